import pytest

from signatories.models import Level
from tests.builders import make_signature

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
    assert "1 signatory listed" in response.text


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


def test_list_is_paginated(client, letter):
    for n in range(51):
        make_signature(letter, name=f"Person {n:02d}")

    first = client.get("/letters/ai-risk/signatories/")
    second = client.get("/letters/ai-risk/signatories/", {"page": 2})

    assert "Page 1 of 2" in first.text
    assert first.text.count('class="signatory"') == 50
    assert second.text.count('class="signatory"') == 1


@pytest.mark.parametrize("rows", [1, 30])
def test_list_queries_do_not_grow(client, letter, django_assert_num_queries, rows):
    for _ in range(rows):
        make_signature(letter)

    # Letter, page count, page rows, counts.
    with django_assert_num_queries(4):
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
    assert lines[0] == "name,affiliation,role,level,signed_at,confirmed_at"
    assert len(lines) == 2
    assert lines[1].startswith("Grace Hopper,Navy,Admiral,confirmed,")
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
