"""Django's Redis cache, without building a new client for every operation, and what its
failures mean."""

import contextlib
import logging

from django.core.cache.backends import redis as django_redis
from redis.exceptions import ConnectionError, MasterDownError, ReadOnlyError, TimeoutError

logger = logging.getLogger("undersigned.cache")

# Redis out of reach (restarting, a dead link, past CACHE_TIMEOUT_SECONDS), or during a failover
# no longer the primary: unavailable for a moment, not broken (config/errors.py answers 503).
CACHE_UNAVAILABLE = (ConnectionError, TimeoutError, ReadOnlyError, MasterDownError)


@contextlib.contextmanager
def best_effort(what):
    """Cache work whose failure must not undo or hide what is done already (the commit it
    follows, the page ready to send): logged and skipped when Redis is unavailable."""
    try:
        yield
    except CACHE_UNAVAILABLE as error:
        logger.warning("Cache unavailable; skipped %s: %s", what, error)


class RedisCacheClient(django_redis.RedisCacheClient):
    """Keeps one redis.Redis per connection pool.

    Django's client makes a new redis.Redis for every get and set, and redis-py 8 fills a table
    of some 170 response callbacks in each: that cost more CPU than everything else in a cached
    page's request. A redis.Redis is safe to share between threads; the pool hands each
    command its own connection.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(pool)
        if client is None:
            client = self._clients[pool] = self._client(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
