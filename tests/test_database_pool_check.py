"""The pool checks a connection before a request gets it, unless it was in use a moment ago."""

import time

import psycopg
import pytest
from django.db import connection

from config.database import CHECK_AFTER_IDLE_SECONDS, check_pooled_connection

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="psycopg's pool is PostgreSQL's"
)


@pytest.fixture
def dead_connection():
    """A real connection whose server side is gone, as after a database restart."""
    settings = connection.settings_dict
    conn = psycopg.connect(
        host=settings["HOST"], port=settings["PORT"], user=settings["USER"], dbname="postgres"
    )
    conn.close()
    return conn


def test_a_connection_given_back_a_moment_ago_is_handed_out_unchecked(dead_connection):
    dead_connection.undersigned_returned_at = time.monotonic()

    # No round trip, so not even a dead connection is noticed: under load that is the point.
    assert check_pooled_connection(dead_connection) is None


@pytest.mark.parametrize("idle", [CHECK_AFTER_IDLE_SECONDS + 1, None])
def test_a_connection_idle_for_longer_or_never_used_is_checked(dead_connection, idle):
    if idle is not None:
        dead_connection.undersigned_returned_at = time.monotonic() - idle

    with pytest.raises(psycopg.OperationalError):
        check_pooled_connection(dead_connection)
