"""Signing with ORCID, from the login through allauth's callback to the badge.

ORCID itself is the only thing mocked, at the HTTP boundary, with `responses`.
"""

import pytest
from django.core.cache import cache

from signatories.models import Level, Signature
from signatories.orcid import employs
from tests.builders import make_organization, sign_data
from tests.orcid import ORCID_ID, employment, log_in_with_orcid, orcid_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def stanford(db):
    return make_organization(
        name="Stanford University", ror_id="00f54p054", domains=["stanford.edu"]
    )


def test_signing_with_orcid_shows_the_id_and_current_employment(client, letter, stanford, orcid):
    log_in_with_orcid(client, orcid, orcid_record(employment(ror_id="00f54p054")))

    page = client.get("/letters/ai-risk/")
    client.post(
        "/letters/ai-risk/sign/",
        sign_data(
            name="Josiah Carberry", email="josiah@example.org", affiliation="Stanford University"
        ),
    )
    signature = Signature.objects.get()
    signature.confirm()

    assert "You are signed in with ORCID iD" in page.text
    assert 'value="Josiah Carberry"' in page.text
    signature.refresh_from_db()
    assert (signature.orcid_id, signature.orcid_employment, signature.level) == (
        ORCID_ID,
        True,
        Level.ORCID,
    )
    listed = client.get("/letters/ai-risk/signatories/")
    assert (
        '<span class="badge badge--orcid">ORCID · employed at Stanford University</span>'
        in listed.text
    )
    assert (
        f'<a class="orcid-link" href="https://orcid.org/{ORCID_ID}" rel="nofollow">' in listed.text
    )


def test_orcid_without_a_matching_employment_still_shows_the_id(client, letter, stanford, orcid):
    log_in_with_orcid(client, orcid, orcid_record(employment(ror_id="00f54p054", ended=True)))

    client.post("/letters/ai-risk/sign/", sign_data(affiliation="Stanford University"))
    signature = Signature.objects.get()
    signature.confirm()

    signature.refresh_from_db()
    assert (signature.level, signature.orcid_employment) == (Level.ORCID, False)
    listed = client.get("/letters/ai-risk/signatories/")
    assert '<span class="badge badge--orcid">ORCID</span>' in listed.text


def test_sign_with_orcid_button_appears_only_when_configured(
    client, letter, orcid_configured, settings
):
    shown = client.get("/letters/ai-risk/")
    settings.ORCID_CLIENT_ID = ""
    cache.clear()  # the anonymous page is cached a few seconds; the change shows after
    hidden = client.get("/letters/ai-risk/")

    assert "Sign with ORCID" in shown.text
    assert "Sign with ORCID" not in hidden.text


@pytest.mark.parametrize(
    ("group", "expected"),
    [
        (employment(ror_id="00f54p054"), True),
        (employment(ror_id="00f54p054", ended=True), False),
        (employment(ror_id="02bfwt286"), False),
        (employment(name="stanford university", country="US"), True),
        (employment(name="Stanford University", country="GB"), False),
        (employment(name="Stanford", country="US"), False),
    ],
)
def test_employment_matches_by_ror_id_else_name_and_country(stanford, group, expected):
    stanford.country_code = "US"
    stanford.save()

    assert employs(orcid_record(group), stanford) is expected


@pytest.mark.parametrize(
    "record", [{}, {"activities-summary": None}, {"activities-summary": {"employments": "x"}}]
)
def test_odd_records_employ_nobody(stanford, record):
    assert employs(record, stanford) is False


@pytest.mark.parametrize("path", ["/accounts/orcid/login/", "/accounts/orcid/login/callback/"])
def test_orcid_addresses_answer_404_on_a_site_without_orcid(client, db, path):
    client.raise_request_exception = False

    response = client.get(path)

    assert response.status_code == 404
    assert "Page not found" in response.text
