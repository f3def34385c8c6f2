"""The check psycopg's pool runs on a PostgreSQL connection before a request gets it."""

import time

from psycopg_pool import ConnectionPool

# A connection a request gave back this recently is handed out again unchecked: under load that
# is every connection, and the check's round trip would cost each request as much as a query.
# One idle longer (say, across a database restart) is checked first.
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
    if returned_at is not None and time.monotonic() - returned_at < CHECK_AFTER_IDLE_SECONDS:
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
