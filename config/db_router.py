"""Public reads from a PostgreSQL read replica, when one is configured (DATABASE_REPLICA_URL).

Only views marked @read_from_replica read there: the public pages, lists, feeds and API, which
can show data a second old. Everything else, and every write, goes to the primary, so a signer
who just confirmed never reads a replica that has not caught up.
"""

import contextvars
import functools

from django.conf import settings

_use_replica = contextvars.ContextVar("use_replica", default=False)


def read_from_replica(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        token = _use_replica.set(True)
        try:
            return view(*args, **kwargs)
        finally:
            _use_replica.reset(token)

    return wrapper


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if _use_replica.get() and "replica" in settings.DATABASES:
            return "replica"
        return "default"

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, **hints):
        return db == "default"
