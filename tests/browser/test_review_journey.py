"""Reviewing a look-alike signature as people do it: an impostor signs in a browser, an
organizer decides in the admin's review queue, and the public pages follow the decision."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from letters.models import Organizer
from signatories.models import Level, Review, Signature
from tests.browser.conftest import assert_accessible
from tests.builders import make_account, make_letter, make_organization, make_signature

pytestmark = pytest.mark.browser

HOLD_REASON = "Name matches Geoffrey Hinton, a signatory verified by institutional email."
REVIEWER_PASSWORD = "review-the-queue-carefully"


@pytest.fixture
def letter(live_server, settings):
    # Confirmation emails link to SITE_URL; here that must be the server the browser talks to.
    settings.SITE_URL = live_server.url
    letter = make_letter(title="Assess AI risk with science", slug="ai-risk")
    toronto = make_organization(
        name="University of Toronto", ror_id="03dbr7087", domains=("utoronto.ca",)
    )
    make_signature(
        letter,
        name="Geoffrey Hinton",
        email="geoffrey.hinton@utoronto.ca",
        affiliation="University of Toronto",
        role="Professor Emeritus of Computer Science",
        level=Level.DOMAIN,
        organization=toronto,
    )
    return letter


@pytest.fixture
def reviewer(letter, settings):
    # The default hasher is slow on purpose; a test's throwaway password needs no such guard.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    user = make_account("rosa@organizers.example.org", password=REVIEWER_PASSWORD, is_staff=True)
    Organizer.objects.create(letter=letter, user=user, role=Organizer.Role.REVIEWER)
    return user


def sign_as_impostor(live_server, page):
    """Sign "G. Hinton" through the letter page and confirm by the emailed link."""
    page.goto(f"{live_server.url}/letters/ai-risk/")
    expect(page.locator('[data-count="total"]')).to_have_text("1")
    assert_accessible(page)
    page.get_by_label("Full name").fill("G. Hinton")
    page.get_by_label("Email").fill("g.hinton@example.net")
    page.get_by_label("Affiliation").fill("Independent")
    page.get_by_label("Role").fill("Researcher")
    page.get_by_role("button", name="Sign the letter").click()
    expect(page).to_have_url(f"{live_server.url}/letters/ai-risk/check-email/")
    assert_accessible(page)

    assert [message.to for message in mail.outbox] == [["g.hinton@example.net"]]
    links = re.findall(
        re.escape(live_server.url) + r"/letters/ai-risk/confirm/\S+/", mail.outbox[0].body
    )
    assert len(links) == 1
    page.goto(links[0])
    expect(page.locator(".signatory__name")).to_have_text("G. Hinton")
    assert_accessible(page)
    page.get_by_role("button", name="Confirm my signature").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Thank you, your signature is confirmed"
    )
    assert_accessible(page)
    return Signature.objects.get(email="g.hinton@example.net")


def assert_public_list(live_server, page, *, names, total):
    page.goto(f"{live_server.url}/letters/ai-risk/signatories/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Signatories")
    expect(page.locator('[data-count="total"]')).to_have_text(str(total))
    expect(page.locator(".signatory-list .signatory__name")).to_have_text(names)
    assert_accessible(page)


def log_in_to_review_queue(live_server, page, user):
    # The admin's login goes through the site's own (allauth's) login page.
    page.goto(f"{live_server.url}/admin/login/?next=/admin/signatories/reviewitem/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(REVIEWER_PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live_server.url}/admin/signatories/reviewitem/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Select review queue item to change")


def decide_in_review_queue(page, *, action, button, reason):
    """Tick the held row, run `action`, and give the reason on the page that asks for it."""
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    row = rows.first
    expect(row).to_contain_text("G. Hinton")
    expect(row).to_contain_text("Independent")
    expect(row.locator(".field-hold_reason")).to_have_text(HOLD_REASON)
    row.get_by_role("checkbox", name=re.compile(r"G\. Hinton")).check()
    page.get_by_role("combobox", name="Action").select_option(label=action)
    # Django 6.1 labels the admin's action button "Run" (earlier versions said "Go").
    page.get_by_role("button", name="Run").click()

    expect(page.get_by_role("main")).to_contain_text("G. Hinton — Researcher, Independent")
    expect(page.get_by_role("main")).to_contain_text(HOLD_REASON)
    page.get_by_label("Reason (recorded with your name)").fill(reason)
    page.get_by_role("button", name=button).click()


def test_held_look_alike_is_approved_from_the_review_queue(
    live_server, page, new_page, letter, reviewer
):
    signature = sign_as_impostor(live_server, page)

    assert (signature.level, signature.review, signature.hold_reason) == (
        Level.CONFIRMED,
        Review.HELD,
        HOLD_REASON,
    )
    assert_public_list(live_server, page, names=["Geoffrey Hinton"], total=1)
    page.goto(f"{live_server.url}/letters/ai-risk/")
    expect(page.locator('[data-count="total"]')).to_have_text("1")
    expect(page.locator(".recent .signatory__name")).to_have_text(["Geoffrey Hinton"])

    # The reviewer uses a browser of their own: no cookie of the signer's carries over.
    reviewer_page = new_page()
    log_in_to_review_queue(live_server, reviewer_page, reviewer)
    reason = "Staff page at example.net/~ghinton links to this address."
    decide_in_review_queue(
        reviewer_page,
        action="Approve: verified by an organizer",
        button="Approve",
        reason=reason,
    )
    expect(reviewer_page).to_have_url(f"{live_server.url}/admin/signatories/reviewitem/")
    expect(reviewer_page.locator(".messagelist")).to_have_text("Approved 1 signature(s).")
    expect(reviewer_page.locator("#result_list")).to_have_count(0)

    signature.refresh_from_db()
    assert (
        signature.level,
        signature.review,
        signature.reviewed_by,
        signature.review_reason,
    ) == (Level.ORGANIZER, Review.APPROVED, reviewer, reason)
    assert signature.reviewed_at is not None
    assert_public_list(live_server, page, names=["G. Hinton", "Geoffrey Hinton"], total=2)
    listed = page.locator(".signatory-list .signatory").filter(has_text="G. Hinton")
    expect(listed.locator(".badge")).to_have_text("Checked by an organizer")


def test_held_look_alike_is_rejected_from_the_review_queue(
    live_server, page, new_page, letter, reviewer
):
    signature = sign_as_impostor(live_server, page)

    reviewer_page = new_page()
    log_in_to_review_queue(live_server, reviewer_page, reviewer)
    reason = "No evidence; the real Geoffrey Hinton signed from utoronto.ca."
    decide_in_review_queue(
        reviewer_page, action="Reject: keep unpublished", button="Reject", reason=reason
    )
    expect(reviewer_page.locator(".messagelist")).to_have_text("Rejected 1 signature(s).")
    expect(reviewer_page.locator("#result_list")).to_have_count(0)

    signature.refresh_from_db()
    assert (
        signature.level,
        signature.review,
        signature.reviewed_by,
        signature.review_reason,
    ) == (Level.CONFIRMED, Review.REJECTED, reviewer, reason)
    assert_public_list(live_server, page, names=["Geoffrey Hinton"], total=1)
    page.goto(f"{live_server.url}/letters/ai-risk/")
    expect(page.locator('[data-count="total"]')).to_have_text("1")
    expect(page.locator(".recent .signatory__name")).to_have_text(["Geoffrey Hinton"])


def test_held_signer_is_not_told_the_name_is_listed(live_server, page, letter):
    sign_as_impostor(live_server, page)

    # The signature waits for an organizer; saying otherwise sends the signer looking for a
    # name that is not there, and tells an impostor the trick worked. The page has loaded, so
    # the text is read once: a retrying negative assertion would wait out its whole timeout.
    assert "Your name now appears" not in page.get_by_role("main").inner_text()
