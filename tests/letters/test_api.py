import pytest

from signatories.models import Level
from tests.builders import make_letter, make_signature

pytestmark = pytest.mark.django_db


def test_letter_counts_each_signature_once_at_its_level(client, letter, settings):
    settings.SITE_URL = "https://letters.example.org"
    for level in [
        Level.CONFIRMED,
        Level.CONFIRMED,
        Level.DOMAIN,
        Level.ORCID,
        Level.ORGANIZER,
        Level.PENDING,
    ]:
        make_signature(letter, level=level)
    make_signature(letter, public=False)
    make_signature(letter).withdraw()

    response = client.get("/api/v1/letters/ai-risk/")

    assert response.status_code == 200
    data = response.json()
    assert {k: data[k] for k in ["slug", "title", "status", "url"]} == {
        "slug": "ai-risk",
        "title": "Assess AI risk with science",
        "status": "published",
        "url": "https://letters.example.org/letters/ai-risk/",
    }
    assert data["counts"] == {
        "total": 6,
        "by_level": {"confirmed": 3, "domain": 1, "orcid": 1, "organizer": 1},
    }


def test_letter_list_holds_public_letters_only(client):
    make_letter(slug="a")
    make_letter(slug="b").close()
    make_letter(slug="draft", publish=False)
    make_letter(slug="old").archive(by=None)

    data = client.get("/api/v1/letters/").json()

    assert sorted((r["slug"], r["status"]) for r in data["results"]) == [
        ("a", "published"),
        ("b", "closed"),
    ]
    # An archived letter leaves the list but still answers at its own address.
    assert client.get("/api/v1/letters/old/").json()["status"] == "archived"
    assert all(r["counts"]["total"] == 0 for r in data["results"])


@pytest.mark.parametrize("rows", [1, 30])
def test_letter_list_queries_do_not_grow(client, django_assert_num_queries, rows):
    for n in range(rows):
        make_signature(make_letter(slug=f"l{n}"))

    with django_assert_num_queries(2):
        client.get("/api/v1/letters/")
