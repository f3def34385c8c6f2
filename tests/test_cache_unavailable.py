"""With Redis unavailable, readers are answered from the database (config.cache.try_cache);
what needs Redis (signing's rate limits) answers 503 "try again" (config/errors.py), as a lost
database does; and nothing done already is undone or hidden (config.cache.best_effort).

The caches here are real Redis clients: pointed at a port nothing listens on (the refused
connection a restarting Redis gives), at a listener that never answers (a dead link), and at a
private Redis that a test demotes to a read-only replica (a failover) or kills mid-request.
"""

import contextlib
import shutil
import socket
import threading
import time

import pytest
import redis
from django.core import mail
from django.core.cache import caches
from django.db import connection, transaction
from django.test import Client, RequestFactory

import config.cache
from config.settings import parse_cache_url
from letters.models import Letter, letter_changed
from letters.views import forget_letter_to_sign
from signatories.models import CountDelta, LetterCount, Level, Signature, schedule_roll_up
from tests.builders import make_revision, make_signature, sign_data
from tests.production import redis_server

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


def test_a_letter_page_is_read_from_the_database(visitor, letter, redis_down):
    make_signature(letter, name="Ada Lovelace")

    response = visitor.get("/letters/ai-risk/")

    assert response.status_code == 200
    page = response.content.decode()
    assert f'<h1 id="letter-title">{letter.title}</h1>' in page
    assert "Ada Lovelace" in page


def test_a_crowd_costs_each_process_one_rendering(
    visitor, letter, redis_down, django_assert_num_queries, held_wall_clock
):
    visitor.get("/letters/ai-risk/")

    # The copy this process rendered a moment ago, as it would be from Redis.
    with django_assert_num_queries(0):
        response = visitor.get("/letters/ai-risk/")

    assert response.status_code == 200
    assert f'<h1 id="letter-title">{letter.title}</h1>' in response.content.decode()


def test_the_list_is_read_from_the_database(visitor, letter, redis_down):
    make_signature(letter, name="Ada Lovelace")

    response = visitor.get("/letters/ai-risk/signatories/")

    assert response.status_code == 200
    assert "Ada Lovelace" in response.content.decode()


def test_signing_stores_nothing_and_says_try_again(visitor, letter, redis_down):
    response = visitor.post(
        "/letters/ai-risk/sign/", sign_data(), headers={"Sec-Fetch-Site": "same-origin"}
    )

    assert (response.status_code, response["Retry-After"]) == (503, "5")
    assert Signature.objects.count() == 0
    assert mail.outbox == []


def test_a_revision_diff_and_the_share_card_are_made_without_the_cache(visitor, letter, redis_down):
    make_revision(letter, "We call for **evidence**.\n\n1. Open data\n", "Open data.")

    diff = visitor.get("/letters/ai-risk/history/1..2/")
    card = visitor.get("/letters/ai-risk/card.png")

    assert diff.status_code == 200
    assert "</span>1. Open data</ins>" in diff.content.decode()
    assert (card.status_code, card["Content-Type"], card.content[:8]) == (
        200,
        "image/png",
        b"\x89PNG\r\n\x1a\n",
    )


def test_logging_in_says_try_again(visitor, redis_down):
    # allauth counts login attempts in the cache: without it, they cannot be limited.
    response = visitor.post("/accounts/login/", {"login": "ada@example.org", "password": "x"})

    assert (response.status_code, response["Retry-After"]) == (503, "5")


def test_the_count_is_read_from_the_database(visitor, letter, redis_down):
    make_signature(letter, name="Ada Lovelace")

    response = visitor.get("/api/v1/letters/ai-risk/count")

    assert response.status_code == 200
    assert response.json()["total"] == 1


def test_confirming_is_recorded(visitor, letter, redis_down):
    signature = make_signature(letter, name="Ada Lovelace", level=Level.PENDING)

    response = visitor.post(f"/letters/ai-risk/confirm/{signature.confirmation_token()}/")

    assert response.status_code == 200
    signature.refresh_from_db()
    assert signature.level == Level.CONFIRMED


def test_readyz_still_answers_for_the_database_alone(visitor, redis_down):
    # PRODUCT.md: 200 when the database answers. Redis is shared by every instance: failing
    # them all at once would take down the pages that do not need it too.
    assert visitor.get("/readyz").status_code == 200


def test_work_after_a_commit_is_neither_undone_nor_cut_short(
    letter, redis_down, django_capture_on_commit_callbacks
):
    ran = []
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        forget_letter_to_sign(letter.slug)
        transaction.on_commit(lambda: ran.append("the next callback"))
        letter_changed(letter.pk)

    assert ran == ["the next callback"]


def test_a_roll_up_is_queued_anyway(letter, redis_down):
    CountDelta.objects.create(letter_id=letter.pk, level=Level.CONFIRMED, delta=1)

    schedule_roll_up()  # the immediate backend runs it at once

    assert CountDelta.objects.count() == 0
    assert LetterCount.objects.get(letter_id=letter.pk, level=Level.CONFIRMED).count == 1


@pytest.fixture
def silent_redis(settings):
    """A Redis behind a dead link: connections open and no answer ever comes. Yields the
    connections it has been asked for so far."""
    accepted = []
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        listener.settimeout(0.1)

        def accept():
            with contextlib.suppress(OSError):  # the listener closed
                while True:
                    with contextlib.suppress(TimeoutError):
                        accepted.append(listener.accept()[0])

        threading.Thread(target=accept, daemon=True).start()
        url = f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
        settings.CACHES = {"default": parse_cache_url(url, timeout=1)}
        yield accepted
    for accepted_connection in accepted:
        accepted_connection.close()
    caches._settings = None


def test_a_redis_that_never_answers_is_given_up_on_then_left_alone(visitor, letter, silent_redis):
    first = visitor.get("/letters/ai-risk/")
    asked = len(silent_redis)
    # Another page, so that the copy this process holds does not answer it.
    second = visitor.get("/letters/ai-risk/signatories/")

    assert (first.status_code, second.status_code) == (200, 200)
    assert asked >= 1
    # Within CACHE_PAUSE_SECONDS the process does not wait on the dead link again.
    assert len(silent_redis) == asked


@pytest.fixture
def private_redis(settings, tmp_path):
    """A Redis server of this test's own, the site's cache; yields a client of it and the
    process, so that the test can demote it (REPLICAOF) or stop it."""
    if not shutil.which("redis-server"):
        pytest.skip("needs Debian's redis-server")
    with redis_server(tmp_path) as (port, server):
        settings.CACHES = {"default": parse_cache_url(f"redis://127.0.0.1:{port}/0")}
        yield redis.Redis(port=port), server
    caches._settings = None


def demote(client):
    """Make the server a replica of nothing, as a failover demotes a primary: it keeps what it
    holds and answers reads, and refuses writes with READONLY."""
    client.replicaof("127.0.0.1", 1)


@pytest.fixture
def read_only_redis(private_redis):
    demote(private_redis[0])


def make_stale(path):
    """The shared copy of the page at `path`, marked, and past its fresh time; its key."""
    from config.http import shared_page_key

    key = shared_page_key(RequestFactory().get(path))
    content, headers, _ = caches["default"].get(key)
    caches["default"].set(key, (b"the stale copy", headers, 0), 60)
    return key


def test_the_stale_copy_is_sent_when_the_refresh_cannot_be_locked(
    visitor, letter, private_redis, settings, django_assert_num_queries
):
    settings.SHARED_PAGE_LOCAL_SECONDS = 0
    visitor.get("/letters/ai-risk/")
    make_stale("/letters/ai-risk/")
    # The copy is read; taking the refresh lock is a write, refused.
    demote(private_redis[0])

    with django_assert_num_queries(0):
        response = visitor.get("/letters/ai-risk/")

    assert (response.status_code, response.content) == (200, b"the stale copy")
    # The process goes without Redis for a moment.
    assert config.cache.paused_until > time.monotonic()


def test_a_withdrawn_letter_is_not_found_though_its_copy_cannot_be_dropped(
    visitor, letter, private_redis, settings, caplog
):
    settings.SHARED_PAGE_LOCAL_SECONDS = 0
    visitor.get("/letters/ai-risk/")
    make_stale("/letters/ai-risk/")
    # Around the model, so that nothing drops the copy on the way.
    Letter.objects.filter(pk=letter.pk).update(status=Letter.Status.DRAFT)
    _, server = private_redis

    def redis_dies(execute, sql, params, many, context):
        # Redis goes away while the page is rendered: after the refresh lock was taken, before
        # the stale copy would be dropped.
        if server.poll() is None:
            server.kill()
            server.wait(timeout=10)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(redis_dies):
        response = visitor.get("/letters/ai-risk/")

    assert response.status_code == 404
    assert server.poll() is not None
    assert "Cache unavailable; going without it" in caplog.text
    assert "skipped releasing the refresh lock" in caplog.text


def test_a_page_that_rendered_is_sent_though_it_cannot_be_shared(visitor, letter, read_only_redis):
    response = visitor.get("/letters/ai-risk/")

    assert response.status_code == 200
    assert letter.title in response.content.decode()


def test_signing_on_a_read_only_redis_says_try_again(visitor, letter, read_only_redis):
    response = visitor.post(
        "/letters/ai-risk/sign/", sign_data(), headers={"Sec-Fetch-Site": "same-origin"}
    )

    assert (response.status_code, response["Retry-After"]) == (503, "5")
    assert Signature.objects.count() == 0
