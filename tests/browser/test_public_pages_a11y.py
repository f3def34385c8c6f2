"""Every public page, scanned with axe in Chromium: no serious or critical violation."""

from datetime import date

import pytest
from django.core.management import call_command

from signatories.models import Level
from tests.browser.conftest import assert_accessible
from tests.builders import make_letter, make_organization, make_signature

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def site(letter):
    """A letter with signatures at every level, a notable, a record, and a closed letter."""
    organization = make_organization()
    for n, level in enumerate([Level.CONFIRMED, Level.DOMAIN, Level.ORCID, Level.ORGANIZER]):
        make_signature(
            letter, name=f"Person {n}", level=level, organization=organization, notable=n == 0
        )
    pending = make_signature(letter, name="Pending Person", level=Level.PENDING)
    call_command("take_snapshots", day=date.today().isoformat())
    make_letter(slug="closed-letter", title="A closed letter").close()
    return {"pending": pending}


PATHS = [
    "/",
    "/how-we-verify/",
    "/letters/ai-risk/",
    "/letters/ai-risk/signatories/",
    "/letters/ai-risk/signatories/?q=person&level=domain",
    "/letters/ai-risk/signatories/?level=bogus",
    "/letters/ai-risk/check-email/",
    "/letters/ai-risk/record/",
    "/letters/ai-risk/embed/",
    "/letters/ai-risk/confirm/not-a-token/",
    "/letters/closed-letter/",
    "/no-such-page/",
]


@pytest.mark.parametrize("path", PATHS)
def test_public_page_is_accessible(live_server, page, site, path):
    page.goto(live_server.url + path)

    assert page.title()
    assert_accessible(page)


def test_confirmation_pages_are_accessible(live_server, page, site):
    link = f"/letters/ai-risk/confirm/{site['pending'].confirmation_token()}/"

    page.goto(live_server.url + link)
    assert_accessible(page)
    page.get_by_role("button", name="Confirm my signature").click()
    page.wait_for_load_state()

    assert "confirmed" in page.title().lower() or "bestätigt" in page.title().lower()
    assert_accessible(page)
