"""The check psycopg's pool runs on a PostgreSQL connection before a request gets it."""

import select
import time

from psycopg_pool import ConnectionPool

# A connection handed out this recently is handed out again without the check's round trip,
# unless the server has written to it since: under load that is every connection, and the round
# trip would cost each request as much as a query. One handed out longer ago is checked.
#
# The time is noted here, when the connection is handed out, not by a `reset` callback when it
# is given back: with a reset callback psycopg_pool returns every connection on a worker thread,
# and a pool closed before that worker runs drops the return without closing the connection,
# which then keeps the database in use (the test run could not drop its database).
CHECK_AFTER_IDLE_SECONDS = 1.0


def check_pooled_connection(connection):
    """Check the connection; when it is dead, drop every dead idle connection at once.

    After PostgreSQL restarts, every idle connection in the pool is dead. psycopg_pool tries
    the next idle connection only after a growing back-off (1 s, 2 s, 4 s…), so meeting them
    one by one would keep a pool of ten dead connections answering 503 for longer than the
    pool timeout, although the database is back. One dead connection is taken as the sign of
    a restart: the pool's own check() then discards all the dead ones and opens new ones, and
    the request gets a fresh connection on its next try.
    """
    handed_out_at = getattr(connection, "undersigned_handed_out_at", None)
    recent = (
        handed_out_at is not None and time.monotonic() - handed_out_at < CHECK_AFTER_IDLE_SECONDS
    )
    if not recent or server_has_spoken(connection):
        try:
            ConnectionPool.check_connection(connection)
        except Exception:
            # The pool marks a connection it is handing out with itself (psycopg_pool's
            # getconn); there is no public way from a check callback to the pool it belongs to.
            pool = getattr(connection, "_pool", None)
            if pool is not None:
                pool.check()
            raise
    connection.undersigned_handed_out_at = time.monotonic()


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
