"""The check psycopg's pool runs on a PostgreSQL connection before a request gets it."""

from psycopg_pool import ConnectionPool


def check_pooled_connection(connection):
    """Check the connection; when it is dead, drop every dead idle connection at once.

    After PostgreSQL restarts, every idle connection in the pool is dead. psycopg_pool tries
    the next idle connection only after a growing back-off (1 s, 2 s, 4 s…), so meeting them
    one by one would keep a pool of ten dead connections answering 503 for longer than the
    pool timeout, although the database is back. One dead connection is taken as the sign of
    a restart: the pool's own check() then discards all the dead ones and opens new ones, and
    the request gets a fresh connection on its next try.
    """
    try:
        ConnectionPool.check_connection(connection)
    except Exception:
        # The pool marks a connection it is handing out with itself (psycopg_pool's getconn);
        # there is no public way from a check callback to the pool it belongs to.
        pool = getattr(connection, "_pool", None)
        if pool is not None:
            pool.check()
        raise
