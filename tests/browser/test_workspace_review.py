"""An organizer's day in the workspace, in a browser: log in, approve a held look-alike from
the review queue, hide a spam signature from the signatures page, read the audit log."""

import pytest
from playwright.sync_api import expect

from signatories.models import Level, Review, Signature
from tests.browser.conftest import assert_accessible
from tests.builders import make_letter, make_organization, make_organizer, make_signature

pytestmark = pytest.mark.browser

PASSWORD = "organize-the-letter-carefully"
HOLD_REASON = "Name matches Geoffrey Hinton, a signatory verified by institutional email."


@pytest.fixture
def letter(live_server, settings):
    settings.SITE_URL = live_server.url
    settings.ORGANIZERS_REQUIRE_TWO_FACTOR = False
    letter = make_letter(title="Assess AI risk with science", slug="ai-risk")
    toronto = make_organization(
        name="University of Toronto", ror_id="03dbr7087", domains=("utoronto.ca",)
    )
    make_signature(
        letter,
        name="Geoffrey Hinton",
        email="geoffrey.hinton@utoronto.ca",
        affiliation="University of Toronto",
        level=Level.DOMAIN,
        organization=toronto,
    )
    make_signature(
        letter,
        name="G. Hinton",
        affiliation="Independent",
        review=Review.HELD,
        hold_reason=HOLD_REASON,
        evidence_url="https://example.net/~ghinton",
    )
    make_signature(letter, name="Buy Cheap Pills", affiliation="Pills Inc")
    return letter


@pytest.fixture
def owner(letter, settings):
    # The default hasher is slow on purpose; a test's throwaway password needs no such guard.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return make_organizer(letter, "owner", email="olga@organizers.example.org", password=PASSWORD)


def log_in(live_server, page, user, next_path):
    page.goto(f"{live_server.url}/accounts/login/?next={next_path}")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}{next_path}")


def test_organizer_reviews_and_moderates_in_the_workspace(
    live_server, page, new_page, letter, owner
):
    log_in(live_server, page, owner, "/organize/ai-risk/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Assess AI risk with science")
    expect(page.get_by_text("1 signature waits for review.")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Open the review queue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review queue")
    item = page.locator(".queue-item").filter(has_text="G. Hinton")
    expect(item.locator(".queue-item__reason")).to_have_text(HOLD_REASON)
    expect(item.get_by_role("link", name="https://example.net/~ghinton")).to_be_visible()
    assert_accessible(page)
    reason = "Staff page at example.net/~ghinton links to this address."
    item.get_by_label("Reason (recorded with your name)").fill(reason)
    item.get_by_role("button", name="Approve").click()
    expect(page.locator(".messages")).to_have_text("Approved G. Hinton.")
    expect(page.get_by_text("Nothing waits for review.")).to_be_visible()

    signature = Signature.objects.get(name="G. Hinton")
    assert (signature.level, signature.review, signature.review_reason) == (
        Level.ORGANIZER,
        Review.APPROVED,
        reason,
    )
    public = new_page()
    public.goto(f"{live_server.url}/letters/ai-risk/signatories/")
    listed = public.locator(".signatory-list .signatory").filter(has_text="G. Hinton")
    expect(listed.locator(".badge")).to_have_text("Checked by an organizer")

    page.get_by_role("navigation", name="Letter workspace").get_by_role(
        "link", name="Signatures"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Signatures")
    assert_accessible(page)
    row = page.locator(".signature-row").filter(has_text="Buy Cheap Pills")
    row.get_by_label("Reason").fill("Spam")
    row.get_by_role("button", name="Hide").click()
    expect(page.locator(".messages")).to_have_text("Buy Cheap Pills is hidden.")
    expect(
        page.locator(".signature-row")
        .filter(has_text="Buy Cheap Pills")
        .locator(".signature-row__state")
    ).to_have_text("Hidden: Spam")
    public.goto(f"{live_server.url}/letters/ai-risk/signatories/")
    # Newest first; the hidden one is gone.
    expect(public.locator(".signatory-list .signatory__name")).to_have_text(
        ["G. Hinton", "Geoffrey Hinton"]
    )

    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")
    expect(page.locator(".audit-log tbody tr td:nth-child(3)")).to_have_text(
        ["signature.hidden", "signature.approved"]
    )
    assert_accessible(page)
