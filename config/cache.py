"""Django's Redis cache, without building a new client for every operation, and what its
failures mean."""

import contextlib
import logging
import time

from django.conf import settings
from django.core.cache import cache
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


# Once Redis has failed, how long this process goes on without it before trying again. Without
# the pause a dead link would make every page wait CACHE_TIMEOUT_SECONDS, at each cache use.
CACHE_PAUSE_SECONDS = 5

# Until when (time.monotonic()) this process goes without Redis.
paused_until = 0.0


def try_cache(action, fallback=lambda: None):
    """`action()` on the cache, or `fallback()` when Redis is unavailable or was a moment ago:
    a reader is answered from the database, more slowly, instead of with a 503."""
    global paused_until
    if time.monotonic() >= paused_until:
        try:
            return action()
        except CACHE_UNAVAILABLE as error:
            paused_until = time.monotonic() + CACHE_PAUSE_SECONDS
            logger.warning("Cache unavailable; going without it for %ss: %s",
                           CACHE_PAUSE_SECONDS, error)  # fmt: skip
    return fallback()


def get_or_set(key, default, timeout):
    """cache.get_or_set(), or `default()` alone while Redis is unavailable."""
    return try_cache(lambda: cache.get_or_set(key, default, timeout), default)


class KeptHere:
    """Values this process looked up, each used for the seconds the setting `seconds` names
    (SHARED_PAGE_LOCAL_SECONDS, 1 s, unless told) before it is looked up again, as the process
    keeps the shared pages it reads: at a spike the same few keys are asked for hundreds of
    times a second. At most `size` of them; all are forgotten when it is full. A change made in
    another process is seen here within those seconds.
    """

    def __init__(self, size, seconds="SHARED_PAGE_LOCAL_SECONDS"):
        self.size, self.seconds, self.items = size, seconds, {}
        ALL_KEPT_HERE.append(self)

    def get(self, key, load):
        """The value kept for `key`, or `load()`'s, kept from now (unless load() raises)."""
        now = time.monotonic()
        until, value = self.items.get(key, (0.0, None))
        if now >= until:
            value = load()
            if len(self.items) >= self.size:
                self.items.clear()
            self.items[key] = (now + getattr(settings, self.seconds), value)
        return value

    def forget(self, key):
        self.items.pop(key, None)


ALL_KEPT_HERE = []


def forget_all_kept_here():
    for kept in ALL_KEPT_HERE:
        kept.items.clear()


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
