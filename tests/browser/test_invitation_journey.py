"""An owner invites a co-organizer, who accepts from the email; the daily cap shows plainly."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from letters.models import AuditEvent, Invitation, Organizer
from tests.browser.conftest import assert_accessible, log_in
from tests.builders import make_letter, make_organizer, make_user

pytestmark = pytest.mark.browser


def test_an_owner_invites_a_co_organizer_who_accepts(live_server, page, new_page, settings):
    settings.SITE_URL = live_server.url
    settings.INVITATIONS_PER_DAY = 1
    letter = make_letter(slug="ai-risk")
    owner = make_organizer(letter, "owner", email="owner@example.org")
    log_in(page, live_server, owner)

    page.goto(f"{live_server.url}/organize/ai-risk/organizers/")
    invite = page.get_by_role("region", name="Invite a co-organizer")
    invite.get_by_label("Email address").fill("bea@example.org")
    invite.get_by_label("Role").select_option(label="Editor")
    invite.get_by_role("button", name="Send the invitation").click()

    expect(page.get_by_role("status")).to_contain_text("Invitation sent to bea@example.org.")
    expect(invite).to_contain_text("bea@example.org · Editor")
    assert_accessible(page)
    [email] = mail.outbox
    assert email.to == ["bea@example.org"]
    link = re.search(re.escape(live_server.url) + r"/organize/invitations/[^/\s]+/", email.body)

    # The day's one invitation is sent: the next is refused on the page, with its reason.
    invite.get_by_label("Email address").fill("cy@example.org")
    invite.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "You have sent 1 invitation in the last 24 hours, the most allowed."
    )
    assert_accessible(page)
    assert list(Invitation.objects.values_list("email", flat=True)) == ["bea@example.org"]
    assert len(mail.outbox) == 1

    bea = make_user("bea@example.org")
    invitee = new_page()
    log_in(invitee, live_server, bea)
    invitee.goto(link.group())
    expect(invitee.get_by_role("heading", level=1)).to_have_text("Invitation to organize a letter")
    assert_accessible(invitee)
    invitee.get_by_role("button", name="Accept the invitation").click()

    expect(invitee).to_have_url(f"{live_server.url}/organize/ai-risk/")
    assert Organizer.objects.get(user=bea).role == "editor"
    assert list(
        AuditEvent.objects.filter(letter=letter).order_by("id").values_list("action", flat=True)
    ) == ["invitation.sent", "invitation.accepted"]
