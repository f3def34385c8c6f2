"""Redis out of reach answers 503 "try again" (config/errors.py), as a lost database does.

The cache here is a real Redis client pointed at a port nothing listens on, so each request
meets the refused connection a restarting Redis gives.
"""

import socket
import time

import pytest
from django.core import mail
from django.core.cache import caches
from django.test import Client

from config.settings import parse_cache_url
from signatories.models import Signature
from tests.builders import sign_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {
        "default": {"BACKEND": "config.cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    yield
    caches._settings = None


@pytest.fixture
def visitor():
    return Client(raise_request_exception=False)


def test_a_letter_page_says_try_again(visitor, letter, redis_down):
    response = visitor.get("/letters/ai-risk/")

    assert (response.status_code, response["Retry-After"]) == (503, "5")
    assert "<h1>Please try again in a moment</h1>" in response.content.decode()


def test_signing_stores_nothing_and_says_try_again(visitor, letter, redis_down):
    response = visitor.post(
        "/letters/ai-risk/sign/", sign_data(), headers={"Sec-Fetch-Site": "same-origin"}
    )

    assert (response.status_code, response["Retry-After"]) == (503, "5")
    assert Signature.objects.count() == 0
    assert mail.outbox == []


def test_the_api_answers_json(visitor, letter, redis_down):
    response = visitor.get("/api/v1/letters/ai-risk/count")

    assert response.status_code == 503
    assert response.json() == {"error": "The service is briefly unavailable; please try again."}


def test_readyz_tells_the_load_balancer(visitor, redis_down):
    response = visitor.get("/readyz")

    assert (response.status_code, response.content) == (503, b"cache unavailable")


@pytest.fixture
def silent_redis(settings):
    """A Redis behind a dead link: the connection opens (the kernel accepts it into the
    backlog) and no answer ever comes."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        url = f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
        settings.CACHES = {"default": parse_cache_url(url, timeout=1)}
        yield
    caches._settings = None


def test_a_redis_that_never_answers_is_given_up_on_in_a_second(visitor, letter, silent_redis):
    started = time.monotonic()
    response = visitor.get("/letters/ai-risk/")

    assert (response.status_code, response["Retry-After"]) == (503, "5")
    # Not a timed assertion of speed: without the timeout the request would never end.
    assert time.monotonic() - started < 30
