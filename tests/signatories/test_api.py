import json

import pytest

from signatories.models import Level
from tests.builders import make_organization, make_signature

pytestmark = pytest.mark.django_db


def test_signatories_api_lists_public_signatories_without_emails(client, letter, settings):
    settings.SITE_URL = "https://letters.example.org"
    uq = make_organization()
    grace = make_signature(
        letter,
        name="Grace Hopper",
        email="grace@uq.edu.au",
        affiliation="University of Queensland",
        role="Professor",
        level=Level.DOMAIN,
        organization=uq,
    )
    make_signature(letter, name="Hidden One", public=False)

    response = client.get("/api/v1/letters/ai-risk/signatories/")

    assert response.status_code == 200
    assert response.json() == {
        "results": [
            {
                "name": "Grace Hopper",
                "affiliation": "University of Queensland",
                "role": "Professor",
                "level": "domain",
                "organization": {"name": "University of Queensland", "ror_id": "00rqy9422"},
                "orcid": None,
                "signed_at": grace.signed_at.isoformat(),
                "notable": False,
            }
        ],
        "next": None,
    }
    assert "@" not in response.text
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Cache-Control"] == "public, max-age=15, stale-while-revalidate=60"


def test_signatories_api_pages_by_cursor(client, letter, settings, monkeypatch):
    settings.SITE_URL = "https://letters.example.org"
    monkeypatch.setattr("signatories.api.API_PAGE_SIZE", 2)
    for n in range(5):
        make_signature(letter, name=f"Person {n}")

    pages, url = [], "/api/v1/letters/ai-risk/signatories/?q=person"
    while url:
        data = client.get(url.removeprefix("https://letters.example.org")).json()
        pages.append([r["name"] for r in data["results"]])
        url = data["next"]
        assert url is None or url.startswith(
            "https://letters.example.org/api/v1/letters/ai-risk/signatories/?q=person&cursor="
        )

    assert pages == [["Person 4", "Person 3"], ["Person 2", "Person 1"], ["Person 0"]]


def test_signatories_api_filters_by_query_and_level(client, letter):
    make_signature(letter, name="Grace Hopper", level=Level.ORCID)
    make_signature(letter, name="Alan Turing")

    by_level = client.get("/api/v1/letters/ai-risk/signatories/", {"level": "orcid"}).json()
    by_query = client.get("/api/v1/letters/ai-risk/signatories/", {"q": "turing"}).json()

    assert [r["name"] for r in by_level["results"]] == ["Grace Hopper"]
    assert [r["name"] for r in by_query["results"]] == ["Alan Turing"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"level": "pending"}, "level"),
        ({"cursor": "!!"}, "cursor"),
        ({"country": "123"}, "country"),
    ],
)
def test_signatories_api_rejects_bad_parameters_with_400(client, letter, query, field):
    response = client.get("/api/v1/letters/ai-risk/signatories/", query)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


def test_signatories_api_answers_304_to_a_current_copy(client, letter):
    make_signature(letter)
    first = client.get("/api/v1/letters/ai-risk/signatories/")

    again = client.get("/api/v1/letters/ai-risk/signatories/", HTTP_IF_NONE_MATCH=first["ETag"])

    assert first["ETag"] and first["Last-Modified"]
    assert again.status_code == 304


def test_letter_api_is_cacheable_and_open_to_other_origins(client, letter):
    response = client.get("/api/v1/letters/ai-risk/")

    assert response["Access-Control-Allow-Origin"] == "*"
    assert "stale-while-revalidate" in response["Cache-Control"]
    assert (
        client.get("/api/v1/letters/ai-risk/", HTTP_IF_NONE_MATCH=response["ETag"]).status_code
        == 304
    )


@pytest.mark.parametrize("rows", [1, 30])
def test_signatories_api_queries_do_not_grow(client, letter, django_assert_num_queries, rows):
    organization = make_organization()
    for _ in range(rows):
        make_signature(letter, organization=organization)

    with django_assert_num_queries(2):
        response = client.get("/api/v1/letters/ai-risk/signatories/")

    assert len(response.json()["results"]) == rows


def test_json_download_holds_the_csv_rows(client, letter):
    make_signature(
        letter, name="Grace Hopper", email="grace@example.org", affiliation="Navy", role="Admiral"
    )
    make_signature(letter, name="Hidden", public=False)

    response = client.get("/letters/ai-risk/signatories.json")
    body = b"".join(response.streaming_content).decode()
    data = json.loads(body)

    assert response["X-Open-Data-Schema"] == "1"
    assert data["schema_version"] == 1
    assert data["columns"][:5] == ["id", "name", "affiliation", "role", "level"]
    assert [
        (r["name"], r["affiliation"], r["level"], r["notable"]) for r in data["signatories"]
    ] == [("Grace Hopper", "Navy", "confirmed", False)]
    assert "grace@example.org" not in body
