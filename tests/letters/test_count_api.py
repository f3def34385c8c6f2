from datetime import UTC, datetime

import pytest

from letters.models import letter_changed_at
from signatories.models import Level, Review
from tests.builders import make_letter, make_signature

pytestmark = pytest.mark.django_db


def test_count_holds_counted_signatures_by_level_and_the_goal(client):
    letter = make_letter(slug="ai-risk", goal=1000)
    for level in [Level.CONFIRMED, Level.CONFIRMED, Level.DOMAIN, Level.ORCID, Level.ORGANIZER]:
        make_signature(letter, level=level)
    make_signature(letter, level=Level.PENDING)
    make_signature(letter, review=Review.HELD)
    make_signature(letter).withdraw()

    response = client.get("/api/v1/letters/ai-risk/count")

    assert response.json() == {
        "slug": "ai-risk",
        "total": 5,
        "by_level": {"confirmed": 2, "domain": 1, "orcid": 1, "organizer": 1},
        "goal": 1000,
        "updated_at": datetime.fromtimestamp(letter_changed_at(letter.pk), UTC).isoformat(),
    }


def test_count_is_briefly_cacheable_and_readable_from_any_site(client, letter):
    response = client.get("/api/v1/letters/ai-risk/count")

    assert response["Cache-Control"] == "public, max-age=5, stale-while-revalidate=30"
    assert response["Access-Control-Allow-Origin"] == "*"


def test_count_answers_not_modified_until_it_changes(client, letter, settings, held_wall_clock):
    settings.COUNT_CACHE_SECONDS = 1
    first = client.get("/api/v1/letters/ai-risk/count")

    unchanged = client.get("/api/v1/letters/ai-risk/count", HTTP_IF_NONE_MATCH=first["ETag"])
    make_signature(letter)
    cached = client.get("/api/v1/letters/ai-risk/count", HTTP_IF_NONE_MATCH=first["ETag"])
    held_wall_clock.advance(1.1)
    changed = client.get("/api/v1/letters/ai-risk/count", HTTP_IF_NONE_MATCH=first["ETag"])

    assert unchanged.status_code == 304
    # The answer is kept COUNT_CACHE_SECONDS, then shows the new signature.
    assert cached.status_code == 304
    assert (changed.status_code, changed.json()["total"]) == (200, 1)


def test_count_is_served_from_the_cache_without_queries(client, letter, django_assert_num_queries):
    first = client.get("/api/v1/letters/ai-risk/count")

    with django_assert_num_queries(0):
        second = client.get("/api/v1/letters/ai-risk/count")

    assert second.content == first.content
    assert second["Content-Type"] == "application/json"


@pytest.mark.parametrize("slug", ["draft", "nope"])
def test_count_of_a_draft_or_unknown_letter_is_a_json_404(client, slug):
    make_letter(slug="draft", publish=False)

    response = client.get(f"/api/v1/letters/{slug}/count")

    assert (response.status_code, list(response.json())) == (404, ["error"])


@pytest.mark.parametrize("rows", [1, 30])
def test_count_queries_do_not_grow(client, letter, django_assert_num_queries, rows):
    for _ in range(rows):
        make_signature(letter)

    # The letter, then the counts.
    with django_assert_num_queries(2):
        response = client.get("/api/v1/letters/ai-risk/count")

    assert response.json()["total"] == rows


def test_letter_page_points_the_live_count_at_the_endpoint(client, letter, settings):
    settings.LIVE_COUNT_INTERVAL_SECONDS = 20

    response = client.get("/letters/ai-risk/")

    assert 'data-count-url="/api/v1/letters/ai-risk/count" data-count-interval="20"' in (
        response.text
    )
    assert '<script src="/static/js/livecount.js" defer></script>' in response.text
    assert '<p class="visually-hidden" aria-live="polite" aria-atomic="true"' in response.text
