"""Django's Redis cache, without building a new client for every operation."""

from django.core.cache.backends import redis as django_redis


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
