import re

import pytest

from signatories.models import Level, Signature
from tests.builders import make_organization, make_signature

pytestmark = pytest.mark.django_db


def test_list_shows_public_confirmed_signatories_with_badges(client, letter):
    make_signature(
        letter, name="Grace Hopper", affiliation="US Navy", role="Rear Admiral", level=Level.DOMAIN
    )
    make_signature(letter, name="Hidden One", public=False)
    make_signature(letter, name="Pending One", level=Level.PENDING)

    response = client.get("/letters/ai-risk/signatories/")

    assert response.status_code == 200
    assert "Grace Hopper" in response.text
    assert "Rear Admiral, US Navy" in response.text
    assert '<span class="badge badge--domain">Institutional email</span>' in response.text
    assert "Hidden One" not in response.text
    assert "Pending One" not in response.text


def test_search_matches_name_and_affiliation(client, letter):
    make_signature(letter, name="Grace Hopper", affiliation="Navy")
    make_signature(letter, name="Alan Turing", affiliation="Manchester")

    by_name = client.get("/letters/ai-risk/signatories/", {"q": "hopper"})
    by_affiliation = client.get("/letters/ai-risk/signatories/", {"q": "MANCHESTER"})

    assert "Grace Hopper" in by_name.text and "Alan Turing" not in by_name.text
    assert "Alan Turing" in by_affiliation.text and "Grace Hopper" not in by_affiliation.text


def test_level_filter(client, letter):
    make_signature(letter, name="Grace Hopper", level=Level.ORCID)
    make_signature(letter, name="Alan Turing", level=Level.CONFIRMED)

    response = client.get("/letters/ai-risk/signatories/", {"level": "orcid"})

    assert "Grace Hopper" in response.text
    assert "Alan Turing" not in response.text


def test_unknown_level_is_a_clear_400(client, letter):
    response = client.get("/letters/ai-risk/signatories/", {"level": "pending"})

    assert response.status_code == 400
    assert "Select a valid choice" in response.text


def test_list_is_paginated_by_cursor_with_notables_first(client, letter):
    for n in range(51):
        make_signature(letter, name=f"Person {n:02d}")
    make_signature(letter, name="Oldest Notable", notable=True, confirmed_at=letter.published_at)

    first = client.get("/letters/ai-risk/signatories/")
    next_link = re.search(r'<a rel="next" href="\?([^"]+)"', first.text).group(1)
    second = client.get("/letters/ai-risk/signatories/?" + next_link.replace("&amp;", "&"))

    names = re.findall(r'<span class="signatory__name">([^<]+)</span>', first.text)
    assert names[:2] == ["Oldest Notable", "Person 50"]
    assert len(names) == 50
    assert re.findall(r'<span class="signatory__name">([^<]+)</span>', second.text) == [
        "Person 01",
        "Person 00",
    ]
    assert 'rel="next"' not in second.text
    assert "First page" in second.text


def test_filters_by_organization_and_country(client, letter):
    uq = make_organization()
    make_signature(letter, name="In Queensland", organization=uq)
    make_signature(letter, name="Nowhere Particular")

    by_org = client.get(
        "/letters/ai-risk/signatories/", {"organization": "https://ror.org/00rqy9422"}
    )
    by_country = client.get("/letters/ai-risk/signatories/", {"country": "au"})

    assert "In Queensland" in by_org.text and "Nowhere Particular" not in by_org.text
    assert "In Queensland" in by_country.text and "Nowhere Particular" not in by_country.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"cursor": "garbage"}, "That page link is not valid"),
        ({"country": "France"}, "Use a two-letter country code"),
    ],
)
def test_bad_filters_are_a_clear_400(client, letter, query, message):
    response = client.get("/letters/ai-risk/signatories/", query)

    assert response.status_code == 400
    assert message in response.text


@pytest.mark.parametrize("rows", [1, 30])
def test_list_queries_do_not_grow(client, letter, django_assert_num_queries, rows):
    for _ in range(rows):
        make_signature(letter)

    # Letter, page rows with their organizations, counts.
    with django_assert_num_queries(3):
        client.get("/letters/ai-risk/signatories/")


def test_csv_holds_public_signatories_only_and_no_emails(client, letter):
    make_signature(
        letter, name="Grace Hopper", email="grace@navy.example", affiliation="Navy", role="Admiral"
    )
    make_signature(letter, name="Hidden One", email="hidden@example.org", public=False)

    response = client.get("/letters/ai-risk/signatories.csv")

    body = b"".join(response.streaming_content).decode()
    lines = body.strip().splitlines()
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    grace = Signature.objects.get(name="Grace Hopper")
    assert lines[0] == (
        "id,name,affiliation,role,level,organization,ror_id,country,orcid,notable,"
        "signed_at,confirmed_at"
    )
    assert len(lines) == 2
    assert lines[1].startswith(f"{grace.public_id},Grace Hopper,Navy,Admiral,confirmed,,,,,no,")
    assert "@" not in body


def test_csv_neutralises_formulas(client, letter):
    make_signature(letter, name='=HYPERLINK("http://x","y")', affiliation="+1", role="@SUM(A1)")

    body = b"".join(client.get("/letters/ai-risk/signatories.csv").streaming_content).decode()

    assert '\'=HYPERLINK(""http://x"",""y"")' in body
    assert ",'+1,'@SUM(A1)," in body


@pytest.mark.parametrize("rows", [1, 30])
def test_csv_queries_do_not_grow(client, letter, django_assert_num_queries, rows):
    for _ in range(rows):
        make_signature(letter)

    with django_assert_num_queries(2):
        b"".join(client.get("/letters/ai-risk/signatories.csv").streaming_content)
