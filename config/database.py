"""The check psycopg's pool runs on a PostgreSQL connection before a request gets it."""

import select
import time

from psycopg_pool import ConnectionPool

# A connection a request gave back this recently is handed out again without the check's round
# trip, unless the server has written to it since: under load that is every connection, and the
# round trip would cost each request as much as a query. One idle longer is checked.
CHECK_AFTER_IDLE_SECONDS = 1.0


def note_connection_returned(connection):
    """The pool's reset callback: remember when the connection was last in use."""
    connection.undersigned_returned_at = time.monotonic()


def check_pooled_connection(connection):
    """Check the connection; when it is dead, drop every dead idle connection at once.

    After PostgreSQL restarts, every idle connection in the pool is dead. psycopg_pool tries
    the next idle connection only after a growing back-off (1 s, 2 s, 4 s…), so meeting them
    one by one would keep a pool of ten dead connections answering 503 for longer than the
    pool timeout, although the database is back. One dead connection is taken as the sign of
    a restart: the pool's own check() then discards all the dead ones and opens new ones, and
    the request gets a fresh connection on its next try.
    """
    returned_at = getattr(connection, "undersigned_returned_at", None)
    recent = returned_at is not None and time.monotonic() - returned_at < CHECK_AFTER_IDLE_SECONDS
    if recent and not server_has_spoken(connection):
        return
    try:
        ConnectionPool.check_connection(connection)
    except Exception:
        # The pool marks a connection it is handing out with itself (psycopg_pool's getconn);
        # there is no public way from a check callback to the pool it belongs to.
        pool = getattr(connection, "_pool", None)
        if pool is not None:
            pool.check()
        raise


def server_has_spoken(connection):
    """Whether the server has written to this idle connection, or it is closed.

    A server says nothing to an idle connection until it ends it: a restart, a crash or
    pg_terminate_backend() sends "terminating connection" or just closes the socket. Asking the
    kernel whether the socket has something to read costs no round trip, and catches a restart
    that took less than CHECK_AFTER_IDLE_SECONDS.
    """
    if connection.closed:
        return True
    poller = select.poll()
    poller.register(connection.fileno(), select.POLLIN)
    return bool(poller.poll(0))
