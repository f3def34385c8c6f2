"""The pool checks a connection before a request gets it, unless it was handed out a moment ago
and the server has not written to it since."""

import select
import tempfile
import time

import psycopg
import pytest
from django.db import connection

from config.database import CHECK_AFTER_IDLE_SECONDS, check_pooled_connection

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="psycopg's pool is PostgreSQL's"
)


def connect():
    settings = connection.settings_dict
    return psycopg.connect(
        host=settings["HOST"], port=settings["PORT"], user=settings["USER"], dbname="postgres"
    )


@pytest.fixture
def live_connection():
    """A real connection to PostgreSQL, as the pool holds them."""
    with connect() as conn:
        yield conn


@pytest.fixture
def closed_connection():
    conn = connect()
    conn.close()
    return conn


def wire(conn, action):
    """What `action` sent and received on `conn`, as libpq traces its protocol messages."""
    with tempfile.TemporaryFile() as trace:
        conn.pgconn.trace(trace.fileno())
        try:
            action()
        finally:
            conn.pgconn.untrace()
        trace.seek(0)
        return trace.read().decode()


def test_a_connection_handed_out_a_moment_ago_is_handed_out_again_without_a_round_trip(
    live_connection, held_clock
):
    check_pooled_connection(live_connection)

    # Under load that is every connection: the point is to spare each request a round trip.
    assert wire(live_connection, lambda: check_pooled_connection(live_connection)) == ""


def test_a_connection_handed_out_for_the_first_time_is_checked_with_a_round_trip(
    live_connection,
):
    messages = wire(live_connection, lambda: check_pooled_connection(live_connection))

    assert "\tQuery\t" in messages
    assert "\tReadyForQuery\t" in messages


def test_a_connection_idle_for_longer_is_checked_with_a_round_trip(live_connection):
    live_connection.undersigned_handed_out_at = time.monotonic() - CHECK_AFTER_IDLE_SECONDS - 1

    messages = wire(live_connection, lambda: check_pooled_connection(live_connection))

    assert "\tQuery\t" in messages
    assert "\tReadyForQuery\t" in messages


def test_a_connection_the_server_ended_a_moment_ago_is_checked(live_connection):
    # What a database restart quicker than CHECK_AFTER_IDLE_SECONDS does to every pooled
    # connection: the server says "terminating connection" and closes it.
    with connect() as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [live_connection.info.backend_pid])
    select.select([live_connection.fileno()], [], [], 5)
    live_connection.undersigned_handed_out_at = time.monotonic()

    with pytest.raises(psycopg.OperationalError):
        check_pooled_connection(live_connection)


@pytest.mark.parametrize("idle", [0, CHECK_AFTER_IDLE_SECONDS + 1, None])
def test_a_closed_connection_is_checked_however_recently_used(closed_connection, idle):
    if idle is not None:
        closed_connection.undersigned_handed_out_at = time.monotonic() - idle

    with pytest.raises(psycopg.OperationalError):
        check_pooled_connection(closed_connection)
