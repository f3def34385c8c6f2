import pytest

from signatories.models import Organization
from tests.builders import make_organization

pytestmark = pytest.mark.django_db


def test_suggestions_match_name_and_alias_prefixes(client):
    make_organization(name="University of Queensland", ror_id="00rqy9422", aliases=["UQ"])
    make_organization(name="Monash University", ror_id="02bfwt286", domains=["monash.edu"])

    by_name = client.get("/organizations/", {"q": "univ"}).json()
    by_alias = client.get("/organizations/", {"q": "uq"}).json()

    assert by_name == {
        "results": [{"ror_id": "00rqy9422", "name": "University of Queensland", "country": "AU"}]
    }
    assert [r["name"] for r in by_alias["results"]] == ["University of Queensland"]


def test_inactive_organizations_are_not_suggested(client):
    organization = make_organization(name="Gone Institute", ror_id="000000003")
    organization.status = Organization.Status.INACTIVE
    organization.save()

    assert client.get("/organizations/", {"q": "gone"}).json() == {"results": []}


@pytest.mark.parametrize("q", ["", "a", "\x00\x00", "x" * 10_000, "%_%"])
def test_odd_queries_answer_empty_or_safely(client, q):
    response = client.get("/organizations/", {"q": q})

    assert response.status_code == 200
    assert response.json() == {"results": []}


@pytest.mark.parametrize("rows", [1, 30])
def test_suggestion_queries_do_not_grow(client, django_assert_num_queries, rows):
    for n in range(rows):
        make_organization(name=f"Institute {n}", ror_id=f"0{n:08d}", domains=[f"i{n}.example.edu"])

    with django_assert_num_queries(2):
        response = client.get("/organizations/", {"q": "inst"})

    assert len(response.json()["results"]) == min(rows, 10)
