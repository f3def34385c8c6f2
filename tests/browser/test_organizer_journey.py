"""Drafting and publishing a letter as an organizer does it: log in, write with a preview,
share the secret preview link, publish, revise with a change note, read the public diff."""

import re

import pytest
from playwright.sync_api import expect

from letters.models import AuditEvent, Letter
from tests.browser.conftest import assert_accessible
from tests.builders import make_user

pytestmark = pytest.mark.browser

PASSWORD = "draft-publish-revise-carefully"


@pytest.fixture
def organizer(live_server, settings, transactional_db):
    # The default hasher is slow on purpose; a test's throwaway password needs no such guard.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return make_user("rosa@organizers.example.org", password=PASSWORD)


def log_in(page, live_server):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill("rosa@organizers.example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("Sign in|Log in", re.I)).click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def test_draft_preview_publish_revise_and_read_the_history(live_server, page, new_page, organizer):
    log_in(page, live_server)
    draft_preview_publish_revise_and_read_the_history(
        page, live_server, new_page, email="rosa@organizers.example.org"
    )

    letter = Letter.objects.get(slug="fund-replication")
    assert letter.revisions.count() == 2
    assert list(
        AuditEvent.objects.filter(letter=letter).order_by("id").values_list("action", flat=True)
    ) == ["letter.created", "letter.edited", "letter.published", "letter.edited", "letter.revised"]


def draft_preview_publish_revise_and_read_the_history(page, live_server, new_page, *, email):
    """The organizer's journey from a new letter to its public diff, for a logged-in organizer."""
    page.goto(f"{live_server.url}/organize/new/")
    page.get_by_label("Title").fill("Fund replication studies")
    page.get_by_label("Address").fill("fund-replication")
    page.get_by_role("button", name="Create the draft").click()
    expect(page).to_have_url(f"{live_server.url}/organize/fund-replication/edit/")

    page.get_by_label("Text (Markdown)").fill("We ask funders to pay for **replication**.\n")
    page.get_by_role("button", name="Preview").click()
    preview = page.get_by_role("region", name="Preview (not saved)")
    expect(preview.locator("strong")).to_have_text("replication")
    assert_accessible(page)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Saved.")

    preview_link = page.locator("#preview-link").get_attribute("href")
    reader = new_page()
    reader.goto(live_server.url + preview_link)
    expect(reader.get_by_text("Draft preview")).to_be_visible()
    expect(reader.get_by_role("heading", level=1)).to_have_text("Fund replication studies")
    expect(reader.locator("form[action$='/sign/']")).to_have_count(0)
    assert_accessible(reader)

    page.get_by_role("link", name="Publish").click()
    page.get_by_role("button", name="Publish the letter").click()
    expect(page.get_by_role("status")).to_contain_text("Published")

    page.get_by_role("link", name="Organizers").click()
    expect(page.get_by_role("cell", name=f"{email} (you)")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_label("Pause signing")).not_to_be_checked()
    assert_accessible(page)

    page.get_by_role("link", name="Text").click()
    page.get_by_label("Text (Markdown)").fill(
        "We ask funders to pay for **replication**.\n\nAnd to publish null results.\n"
    )
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_role("link", name="Review and publish the changes").click()
    expect(page.locator("ins", has_text="And to publish null results.")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("What changed").fill("Added null results.")
    page.get_by_role("button", name="Publish a new revision").click()
    expect(page.get_by_role("status")).to_contain_text("Revision 2 is published.")

    page.goto(f"{live_server.url}/letters/fund-replication/")
    expect(page.get_by_text("And to publish null results.")).to_be_visible()
    page.get_by_role("link", name="Revised 1 time — see history").click()
    expect(page.get_by_text("Added null results.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="What changed in revision 2").click()
    added = page.locator("ins", has_text="And to publish null results.")
    expect(added).to_have_text("Added: And to publish null results.")
    assert_accessible(page)
