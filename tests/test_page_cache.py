"""Anonymous readers share one cached copy of the letter and list pages; signers get their own."""

import re

import pytest
from django.core.cache import cache
from django.test import Client, RequestFactory

from config.http import refresh_lock_key, shared_page_key
from letters.models import Letter
from signatories.models import Signature
from tests.builders import make_signature, sign_data


@pytest.fixture
def reader():
    """A browser with no cookies, as most of a crowd arrives."""
    return Client()


def test_anonymous_letter_page_is_public_and_sets_no_cookie(reader, letter):
    response = reader.get("/letters/ai-risk/")

    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=5, stale-while-revalidate=30"
    assert response.cookies == {}
    assert "csrfmiddlewaretoken" not in response.text
    assert set(response["Vary"].replace(" ", "").split(",")) >= {"Cookie", "Accept-Language"}
    assert 'action="/letters/ai-risk/sign/"' in response.text


def test_anonymous_list_page_is_public_and_sets_no_cookie(reader, letter):
    make_signature(letter, name="Grace Hopper")

    response = reader.get("/letters/ai-risk/signatories/")

    assert response.status_code == 200
    assert "Grace Hopper" in response.text
    assert response["Cache-Control"] == "public, max-age=5, stale-while-revalidate=30"
    assert response.cookies == {}


def test_second_reader_gets_the_cached_page_without_queries(
    reader, letter, django_assert_num_queries
):
    first = reader.get("/letters/ai-risk/")

    with django_assert_num_queries(0):
        second = Client().get("/letters/ai-risk/")

    assert second.content == first.content
    # The copy keeps every header the full stack gave the first reader.
    assert dict(second.items()) == dict(first.items())
    assert second["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in second["Content-Security-Policy"]
    assert second.cookies == {}


def test_signers_share_the_check_your_email_page(
    reader, letter, django_assert_num_queries, immediate_on_commit
):
    signed = Client().post(
        "/letters/ai-risk/sign/", sign_data(), headers={"Sec-Fetch-Site": "same-origin"}
    )
    first = reader.get(signed["Location"])

    with django_assert_num_queries(0):
        second = Client().get("/letters/ai-risk/check-email/")

    assert (first.status_code, second.content) == (200, first.content)
    assert "Check your email" in second.text
    assert second["Cache-Control"] == "public, max-age=5, stale-while-revalidate=30"
    assert second.cookies == {}
    assert "csrfmiddlewaretoken" not in second.text


def test_a_page_that_sets_a_cookie_is_neither_shared_nor_cached(reader, letter):
    # A malformed CSRF cookie makes Django send a new one with the page.
    reader.cookies["csrftoken"] = "not-a-valid-token"

    first = reader.get("/letters/ai-risk/")
    second = Client().get("/letters/ai-risk/")

    assert "csrftoken" in first.cookies
    assert "public" not in first["Cache-Control"]
    assert "private" in first["Cache-Control"]
    assert second.cookies == {}
    assert "public" in second["Cache-Control"]


def test_other_addresses_never_read_the_page_cache(reader, letter):
    reader.get("/letters/ai-risk/")

    response = reader.get("/letters/ai-risk/history/")

    assert "Revision 1" in response.text
    assert "public" not in response.get("Cache-Control", "")


def test_each_language_has_its_own_copy(letter):
    english = Client().get("/letters/ai-risk/", HTTP_ACCEPT_LANGUAGE="en")
    french = Client().get("/letters/ai-risk/", HTTP_ACCEPT_LANGUAGE="fr")

    assert english["Content-Language"] == "en"
    assert french["Content-Language"] == "fr"
    assert french.content != english.content


def test_signed_in_reader_gets_a_private_page_of_their_own(client, django_user_model, letter):
    Client().get("/letters/ai-risk/")  # an anonymous copy is now cached
    user = django_user_model.objects.create_user("ada", "ada@example.org", "pw-unused-1234")
    client.force_login(user)

    response = client.get("/letters/ai-risk/")

    assert response.status_code == 200
    assert "private" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]
    assert "csrfmiddlewaretoken" in response.text
    assert "Your letters" in response.text


def test_confirmed_signature_shows_once_the_cached_copy_expires(
    reader, letter, settings, held_wall_clock
):
    settings.PAGE_CACHE_SECONDS = 1
    signature = make_signature(letter, name="Ada Lovelace", level="pending")
    before = reader.get("/letters/ai-risk/signatories/")

    signature.confirm()
    still_cached = reader.get("/letters/ai-risk/signatories/")
    held_wall_clock.advance(1.1)
    after = reader.get("/letters/ai-risk/signatories/")

    assert "Ada Lovelace" not in before.text
    assert still_cached.content == before.content
    assert "Ada Lovelace" in after.text


# Stale-while-revalidate: past its fresh time a copy is re-rendered by one request only.

LIST = "/letters/ai-risk/signatories/"


def page_key(path):
    return shared_page_key(RequestFactory().get(path))


@pytest.fixture
def expired_list_copy(reader, letter, settings, held_wall_clock):
    """The list page was cached without Ada, Ada has since confirmed, and the copy's fresh
    second has passed."""
    settings.PAGE_CACHE_SECONDS = 1
    signature = make_signature(letter, name="Ada Lovelace", level="pending")
    before = reader.get(LIST)
    signature.confirm()
    held_wall_clock.advance(1.1)
    return before


def test_readers_get_the_stale_copy_while_one_request_refreshes_it(
    reader, expired_list_copy, django_assert_num_queries
):
    # Another request is re-rendering the page right now.
    assert cache.add(refresh_lock_key(page_key(LIST)), 1, 10)

    with django_assert_num_queries(0):
        stale = reader.get(LIST)
        again = Client().get(LIST)

    assert stale.content == expired_list_copy.content
    assert again.content == expired_list_copy.content
    assert "Ada Lovelace" not in stale.text


def test_first_request_past_the_fresh_time_refreshes_the_copy_for_everyone(
    reader, expired_list_copy, django_assert_num_queries
):
    refreshed = reader.get(LIST)

    with django_assert_num_queries(0):
        next_reader = Client().get(LIST)

    assert "Ada Lovelace" in refreshed.text
    assert next_reader.content == refreshed.content
    # The lock is released as soon as the new copy is kept.
    assert cache.get(refresh_lock_key(page_key(LIST))) is None


def test_a_letter_unpublished_meanwhile_loses_its_stale_copy(reader, expired_list_copy, letter):
    Letter.objects.filter(pk=letter.pk).update(status=Letter.Status.DRAFT)

    refreshed = reader.get(LIST)
    next_reader = Client().get(LIST)

    assert refreshed.status_code == 404
    assert next_reader.status_code == 404
    assert cache.get(page_key(LIST)) is None


def test_a_copy_is_gone_once_its_stale_time_has_passed(reader, letter, settings, held_wall_clock):
    settings.PAGE_CACHE_SECONDS = 1
    settings.SHARED_PAGE_STALE_SECONDS = 0
    reader.get(LIST)
    assert cache.get(page_key(LIST)) is not None

    held_wall_clock.advance(1.1)

    assert cache.get(page_key(LIST)) is None


# Each process keeps the fresh copies it reads for up to SHARED_PAGE_LOCAL_SECONDS.


def replace_copy(path, content):
    """Change the copy in the shared cache, as another process refreshing it would."""
    key = page_key(path)
    _, headers, fresh_until = cache.get(key)
    cache.set(key, (content, headers, fresh_until), 60)


def test_a_process_serves_its_own_copy_for_a_second_then_the_shared_one(
    reader, letter, settings, held_wall_clock
):
    settings.SHARED_PAGE_LOCAL_SECONDS = 1
    reader.get(LIST)  # renders and shares the copy
    shared = reader.get(LIST)  # reads it from the shared cache, and keeps it

    replace_copy(LIST, b"refreshed elsewhere")
    within_the_second = reader.get(LIST)
    held_wall_clock.advance(1.01)
    after_it = reader.get(LIST)

    assert within_the_second.content == shared.content
    assert after_it.content == b"refreshed elsewhere"


def test_a_process_never_keeps_a_copy_past_its_fresh_time(
    reader, letter, settings, held_wall_clock
):
    settings.PAGE_CACHE_SECONDS = 1
    settings.SHARED_PAGE_LOCAL_SECONDS = 10
    reader.get(LIST)
    reader.get(LIST)
    replace_copy(LIST, b"refreshed elsewhere")

    # Past the copy's own fresh second: the shared cache decides, and one request refreshes.
    held_wall_clock.advance(1.01)
    assert cache.add(refresh_lock_key(page_key(LIST)), 1, 10)  # someone else is refreshing
    stale = reader.get(LIST)

    assert stale.content == b"refreshed elsewhere"


def test_without_local_seconds_every_read_goes_to_the_shared_cache(reader, letter, settings):
    settings.SHARED_PAGE_LOCAL_SECONDS = 0
    reader.get(LIST)
    reader.get(LIST)

    replace_copy(LIST, b"refreshed elsewhere")

    assert reader.get(LIST).content == b"refreshed elsewhere"


def test_a_process_keeps_a_bounded_number_of_copies(reader, letter, settings):
    from config.http import SHARED_PAGE_LOCAL_COPIES

    settings.SHARED_PAGE_LOCAL_SECONDS = 60
    paths = [f"{LIST}?q=name{n}" for n in range(SHARED_PAGE_LOCAL_COPIES + 5)]
    for path in paths:
        reader.get(path)
        reader.get(path)

    middleware = reader.handler._middleware_chain
    while not hasattr(middleware, "local"):
        middleware = middleware.get_response
    assert 0 < len(middleware.local) <= SHARED_PAGE_LOCAL_COPIES


def test_many_distinct_pages_push_out_the_oldest_copies_not_all(reader, letter, settings):
    from config.http import SHARED_PAGE_LOCAL_COPIES

    settings.SHARED_PAGE_LOCAL_SECONDS = 60
    reader.get(LIST)
    middleware = reader.handler._middleware_chain
    while not hasattr(middleware, "local"):
        middleware = middleware.get_response
    added = []
    for n in range(SHARED_PAGE_LOCAL_COPIES + 3):
        before = set(middleware.local)
        reader.get(f"{LIST}?q=name{n}")
        reader.get(f"{LIST}?q=name{n}")
        added += set(middleware.local) - before

    # Full, with the three oldest pushed out and the rest still there.
    assert len(added) == SHARED_PAGE_LOCAL_COPIES + 3
    assert set(middleware.local) == set(added[3:])


def test_a_full_process_drops_its_expired_copies_first(
    reader, letter, settings, monkeypatch, held_wall_clock
):
    from config import http

    settings.SHARED_PAGE_LOCAL_SECONDS = 1
    settings.PAGE_CACHE_SECONDS = 5  # the shared copies stay fresh throughout
    monkeypatch.setattr(http, "SHARED_PAGE_LOCAL_COPIES", 3)
    reader.get(LIST)
    middleware = reader.handler._middleware_chain
    while not hasattr(middleware, "local"):
        middleware = middleware.get_response
    for n in range(3):
        reader.get(f"{LIST}?q=old{n}")
        reader.get(f"{LIST}?q=old{n}")
    old = set(middleware.local)
    assert len(old) == 3

    # Two seconds later the three local copies are past their second (the shared ones still
    # fresh): the next copy read replaces all three, not only the oldest.
    held_wall_clock.advance(2)
    reader.get(f"{LIST}?q=new")
    reader.get(f"{LIST}?q=new")

    assert len(middleware.local) == 1 and old.isdisjoint(middleware.local)


# CSRF: the shared page's form has no token; the browser's headers vouch for it instead.

SIGN_FORM = {
    "name": "Ada Quinn",
    "email": "ada.quinn@example.org",
    "affiliation": "Example University",
    "role": "Professor",
    "public": "on",
}


@pytest.fixture
def strict_client():
    return Client(enforce_csrf_checks=True)


def test_sign_from_our_own_page_needs_no_token(strict_client, letter, immediate_on_commit):
    response = strict_client.post(
        "/letters/ai-risk/sign/", SIGN_FORM, headers={"Sec-Fetch-Site": "same-origin"}
    )

    assert response.status_code == 303
    assert Signature.objects.get().email == "ada.quinn@example.org"


def test_sign_with_our_origin_and_no_fetch_metadata_needs_no_token(
    strict_client, letter, immediate_on_commit
):
    response = strict_client.post(
        "/letters/ai-risk/sign/", SIGN_FORM, headers={"Origin": "http://testserver"}
    )

    assert response.status_code == 303
    assert Signature.objects.count() == 1


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "same-site", "Origin": "http://sub.testserver"},
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {},
    ],
    ids=["cross-site", "same-site", "foreign-origin", "null-origin", "no-headers"],
)
def test_sign_from_elsewhere_without_a_token_is_refused(strict_client, letter, headers):
    response = strict_client.post("/letters/ai-risk/sign/", SIGN_FORM, headers=headers)

    assert response.status_code == 403
    assert Signature.objects.count() == 0


def test_foreign_origin_is_refused_even_with_a_valid_token(
    strict_client, django_user_model, letter
):
    # A signed-in reader's page is their own and carries a real token.
    strict_client.force_login(django_user_model.objects.create_user("ada", "a@example.org"))
    page = strict_client.get("/letters/ai-risk/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    own_site = strict_client.post(
        "/letters/ai-risk/sign/", SIGN_FORM | {"csrfmiddlewaretoken": token}
    )

    response = strict_client.post(
        "/letters/ai-risk/sign/",
        SIGN_FORM | {"email": "other@example.org", "csrfmiddlewaretoken": token},
        headers={"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
    )

    assert own_site.status_code == 303
    assert response.status_code == 403
    assert list(Signature.objects.values_list("email", flat=True)) == ["ada.quinn@example.org"]


def test_language_switch_from_a_shared_page_needs_no_token(strict_client, letter):
    response = strict_client.post(
        "/i18n/setlang/",
        {"language": "fr", "next": "/letters/ai-risk/"},
        headers={"Sec-Fetch-Site": "same-origin"},
    )

    assert response.status_code == 302
    assert response.cookies["django_language"].value == "fr"


def test_language_switch_from_another_site_is_refused(strict_client, letter):
    response = strict_client.post(
        "/i18n/setlang/",
        {"language": "fr", "next": "/"},
        headers={"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
    )

    assert response.status_code == 403


def test_count_from_the_cache_answers_304_to_a_client_that_has_it(reader, letter):
    first = reader.get("/api/v1/letters/ai-risk/count")

    by_etag = Client().get("/api/v1/letters/ai-risk/count", HTTP_IF_NONE_MATCH=first["ETag"])
    by_date = Client().get(
        "/api/v1/letters/ai-risk/count", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]
    )

    assert first.status_code == 200
    assert (by_etag.status_code, by_date.status_code) == (304, 304)
    assert by_etag["ETag"] == first["ETag"]


def test_a_letter_page_with_a_challenge_is_never_shared(reader, letter):
    # Each proof-of-work challenge may be solved once: a shared copy would hand one challenge
    # to the whole crowd, and all but the first solver would be refused.
    letter.challenge_required = True
    letter.save(update_fields=["challenge_required"])

    first = reader.get("/letters/ai-risk/")
    second = Client().get("/letters/ai-risk/")

    assert "no-store" in first["Cache-Control"]
    assert "public" not in first["Cache-Control"]
    challenges = [
        re.search(r"challengejson=\"([^\"]+)\"", page.text).group(1) for page in (first, second)
    ]
    assert challenges[0] != challenges[1]
