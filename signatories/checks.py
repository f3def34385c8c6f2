"""What signing needs from the environment, checked by `manage.py check --deploy`."""

from django.core import checks
from django.core.cache import caches
from redis.exceptions import AuthenticationError

from config.cache import CACHE_UNAVAILABLE, RedisCache


@checks.register(checks.Tags.caches, deploy=True)
def cache_answers(app_configs=None, **kwargs):
    """Signing counts its rate limits in the cache (signatories/limits.py).

    A Redis that refuses CACHE_URL's credentials answers every signing attempt with 503 until
    the setting is corrected, and at run time looks like a Redis that is briefly down; one that
    is not up yet, until it is.
    """
    cache = caches["default"]
    if not isinstance(cache, RedisCache):
        return []
    try:
        cache._cache.get_client(write=True).ping()
    except AuthenticationError as error:  # before CACHE_UNAVAILABLE: it is a ConnectionError
        return [
            checks.Error(
                f"The Redis at CACHE_URL refused its credentials: {error}",
                hint="Correct the user and password in CACHE_URL: until then every signing "
                "attempt answers 503.",
                id="undersigned.E001",
            )
        ]
    except CACHE_UNAVAILABLE as error:
        return [
            checks.Warning(
                f"The Redis at CACHE_URL did not answer: {error}",
                hint="Start Redis before the web processes: without it signing and logging in "
                "answer 503, and readers are served from the database.",
                id="undersigned.W001",
            )
        ]
    return []
