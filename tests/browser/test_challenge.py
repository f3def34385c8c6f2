"""The proof-of-work challenge in a real browser, under the site's strict CSP."""

import pytest
from playwright.sync_api import expect

from signatories.models import Signature
from tests.browser.conftest import assert_accessible
from tests.builders import make_letter

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_signer_solves_the_challenge_and_signs_with_no_csp_violation(live_server, page, settings):
    # A light puzzle: the machine running the tests is busy, and the work's size is not tested.
    settings.ALTCHA_MAX_NUMBER = 2000
    make_letter(slug="ai-risk", challenge_required=True)
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text)
            if "Content Security Policy" in message.text or "Refused to" in message.text
            else None
        ),
    )

    page.goto(live_server.url + "/letters/ai-risk/")
    page.get_by_label("Full name").fill("Ada Quinn")
    page.get_by_label("Email").fill("ada.quinn@example.org")
    page.get_by_label("Affiliation").fill("Example University")
    page.get_by_label("Role").fill("Professor of Statistics")
    page.locator("altcha-widget input[type=checkbox]").click()
    expect(page.locator("altcha-widget [data-state=verified]")).to_have_count(1)
    assert_accessible(page)
    page.get_by_role("button", name="Sign the letter").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    assert violations == []
    assert list(Signature.objects.values_list("email", flat=True)) == ["ada.quinn@example.org"]


def test_the_privacy_page_banner_and_paused_form_are_accessible(live_server, page):
    from signatories.safeguards import SiteSettings

    make_letter(slug="ai-risk", signing_paused=True)
    SiteSettings(banner="Maintenance tonight at 22:00 UTC.").save_and_apply()

    page.goto(live_server.url + "/privacy/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Privacy: what we keep, and for how long"
    )
    expect(page.get_by_role("status")).to_have_text("Maintenance tonight at 22:00 UTC.")
    assert_accessible(page)

    page.goto(live_server.url + "/letters/ai-risk/")
    expect(page.get_by_text("Signing is paused for the moment.")).to_be_visible()
    assert_accessible(page)
