"""Publishing, revising with a notice to signers, closing, reopening, archiving, switches."""

import re

import pytest
from django.core import mail
from django.utils import timezone

from letters.models import AuditEvent, Letter, LetterNotice
from letters.notices import signature_for_unsubscribe, unsubscribe_token
from letters.tasks import notify_signers_of_revision
from signatories.models import Level, Signature
from tests.builders import make_letter, make_organizer, make_signature

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(db):
    return make_letter(slug="ai-risk", publish=False)


@pytest.fixture
def owner(letter):
    return make_organizer(letter, "owner")


def edit_text(letter, body="We call for **evidence**, and for funding."):
    Letter.objects.filter(pk=letter.pk).update(body=body)
    letter.refresh_from_db()


def test_publishing_a_draft_freezes_revision_1(client, draft):
    owner = make_organizer(draft, "owner")
    client.force_login(owner)

    response = client.post("/organize/ai-risk/publish/")

    draft.refresh_from_db()
    assert response.status_code == 302
    assert draft.status == "published"
    revision = draft.current_revision
    assert (revision.number, revision.body, revision.change_note) == (
        1,
        draft.body,
        "First publication",
    )
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.detail["number"]) == ("letter.published", owner, 1)
    assert client.get("/letters/ai-risk/").status_code == 200


def test_a_draft_without_text_cannot_be_published(client, draft):
    Letter.objects.filter(pk=draft.pk).update(body="   ")
    client.force_login(make_organizer(draft, "owner"))

    response = client.post("/organize/ai-risk/publish/")

    assert response.status_code == 400
    assert "A letter needs a title and a text" in response.text
    assert Letter.objects.get(pk=draft.pk).status == "draft"
    assert not AuditEvent.objects.exists()


def test_a_reviewer_cannot_publish(client, draft):
    client.force_login(make_organizer(draft, "reviewer"))

    assert client.post("/organize/ai-risk/publish/").status_code == 403
    assert Letter.objects.get(pk=draft.pk).status == "draft"


def test_revising_publishes_the_working_text_with_its_note(client, letter, owner):
    edit_text(letter)
    client.force_login(owner)

    shown = client.get("/organize/ai-risk/publish/")
    response = client.post("/organize/ai-risk/publish/", {"change_note": "Asked for funding."})

    assert "for funding." in shown.text
    assert response.status_code == 302
    letter.refresh_from_db()
    assert (letter.current_revision.number, letter.current_revision.change_note) == (
        2,
        "Asked for funding.",
    )
    assert "for funding" in client.get("/letters/ai-risk/").text
    assert AuditEvent.objects.get().action == "letter.revised"
    assert mail.outbox == []


def test_a_revision_needs_a_change_note(client, letter, owner):
    edit_text(letter)
    client.force_login(owner)

    response = client.post("/organize/ai-risk/publish/", {"change_note": "   "})

    assert response.status_code == 400
    assert letter.revisions.count() == 1


def test_a_revision_that_changes_nothing_is_refused(client, letter, owner):
    client.force_login(owner)

    response = client.post("/organize/ai-risk/publish/", {"change_note": "Nothing really."})

    assert response.status_code == 400
    assert "there is nothing to revise" in response.text
    assert letter.revisions.count() == 1


def test_a_too_long_change_note_is_refused(client, letter, owner):
    edit_text(letter)
    client.force_login(owner)

    response = client.post("/organize/ai-risk/publish/", {"change_note": "x" * 501})

    assert response.status_code == 400
    assert letter.revisions.count() == 1


def test_revision_notice_goes_to_each_confirmed_signer_who_accepts_it(
    client, letter, owner, settings, immediate_on_commit
):
    settings.SITE_URL = "https://undersigned.example"
    told = make_signature(letter, email="told@example.org", level=Level.DOMAIN)
    make_signature(letter, email="pending@example.org", level=Level.PENDING)
    make_signature(letter, email="optout@example.org", notify_changes=False)
    make_signature(
        letter, email="hidden@example.org", hidden_at=timezone.now(), hidden_reason="Spam"
    )
    make_signature(letter, email="withdrawn@example.org", withdrawn_at=timezone.now())
    make_signature(make_letter(slug="other"), email="other@example.org")
    edit_text(letter)
    client.force_login(owner)

    client.post(
        "/organize/ai-risk/publish/", {"change_note": "Asked for funding.", "notify_signers": "on"}
    )

    [email] = mail.outbox
    assert email.to == ["told@example.org"]
    assert "Asked for funding." in email.body
    assert "https://undersigned.example/letters/ai-risk/history/1..2/" in email.body
    # The token carries the second it was signed: read it from the email, not made again here.
    unsubscribe, token = re.search(
        r"(https://undersigned\.example/letters/ai-risk/unsubscribe/([^/\s]+)/)", email.body
    ).groups()
    assert signature_for_unsubscribe(token, letter) == told
    assert email.extra_headers["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert list(LetterNotice.objects.values_list("signature_id", flat=True)) == [told.pk]
    assert AuditEvent.objects.filter(action="letter.signers_notified").count() == 1
    diff = client.get("/letters/ai-risk/history/1..2/")
    assert diff.status_code == 200
    assert "for funding." in diff.text
    client.post(unsubscribe.removeprefix("https://undersigned.example"))
    told.refresh_from_db()
    assert not told.notify_changes


def test_the_notice_task_run_twice_sends_once(letter, owner):
    make_signature(letter, email="a@example.org")
    make_signature(letter, email="b@example.org")
    edit_text(letter)
    revision = letter.revise(by=owner, change_note="Clarified.")

    notify_signers_of_revision.call(revision.pk)
    notify_signers_of_revision.call(revision.pk)

    assert sorted(m.to[0] for m in mail.outbox) == ["a@example.org", "b@example.org"]
    assert LetterNotice.objects.count() == 2


def test_unsubscribe_link_shows_a_button_then_stops_the_emails(client, letter):
    signature = make_signature(letter)
    url = f"/letters/ai-risk/unsubscribe/{unsubscribe_token(signature)}/"

    shown = client.get(url)
    signature.refresh_from_db()
    assert signature.notify_changes
    assert "Stop these emails" in shown.text

    done = client.post(url)

    signature.refresh_from_db()
    assert not signature.notify_changes
    assert "you will receive no more emails" in done.text
    assert AuditEvent.objects.get().action == "signature.unsubscribed"


def test_one_click_unsubscribe_works_without_a_csrf_token(letter):
    from django.test import Client

    signature = make_signature(letter)
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        f"/letters/ai-risk/unsubscribe/{unsubscribe_token(signature)}/",
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert not Signature.objects.get(pk=signature.pk).notify_changes


@pytest.mark.parametrize("token", ["forged", "eyJhIjoxfQ:1:abc"])
def test_a_forged_unsubscribe_token_changes_nothing(client, letter, token):
    signature = make_signature(letter)

    response = client.post(f"/letters/ai-risk/unsubscribe/{token}/")

    assert response.status_code == 400
    assert "This link does not work" in response.text
    assert Signature.objects.get(pk=signature.pk).notify_changes


def test_an_unsubscribe_token_for_another_letter_changes_nothing(client, letter):
    other = make_letter(slug="other")
    signature = make_signature(other)

    response = client.post(f"/letters/ai-risk/unsubscribe/{unsubscribe_token(signature)}/")

    assert response.status_code == 400
    assert Signature.objects.get(pk=signature.pk).notify_changes


def test_closing_and_reopening_signing(client, letter, owner):
    client.force_login(owner)

    closed = client.post("/organize/ai-risk/close/")
    letter.refresh_from_db()
    assert closed.status_code == 302
    assert letter.status == "closed"
    assert not letter.accepts_signatures()

    client.post("/organize/ai-risk/reopen/")
    letter.refresh_from_db()
    assert letter.status == "published"
    assert letter.closes_at is None
    assert letter.accepts_signatures()
    assert [e.action for e in AuditEvent.objects.order_by("id")] == [
        "letter.closed",
        "letter.reopened",
    ]


def test_reopening_an_open_letter_is_refused(client, letter, owner):
    client.force_login(owner)

    response = client.post("/organize/ai-risk/reopen/")

    assert response.status_code == 409
    assert "already accepts signatures" in response.text
    assert not AuditEvent.objects.exists()


def test_archiving_takes_the_letter_off_the_index_but_keeps_its_page(client, letter, owner):
    client.force_login(owner)

    client.post("/organize/ai-risk/archive/")

    letter.refresh_from_db()
    assert letter.status == "archived"
    assert not letter.accepts_signatures()
    assert "/letters/ai-risk/" not in client.get("/").text
    page = client.get("/letters/ai-risk/")
    assert page.status_code == 200
    assert "archived, signing closed" in page.text
    assert AuditEvent.objects.get().action == "letter.archived"


def test_a_draft_cannot_be_archived_or_reopened(client, draft):
    client.force_login(make_organizer(draft, "owner"))

    assert client.post("/organize/ai-risk/archive/").status_code == 409
    assert client.post("/organize/ai-risk/reopen/").status_code == 409
    assert Letter.objects.get(pk=draft.pk).status == "draft"


def test_an_editor_cannot_close_the_letter(client, letter):
    client.force_login(make_organizer(letter, "editor"))

    assert client.post("/organize/ai-risk/close/").status_code == 403
    assert Letter.objects.get(pk=letter.pk).status == "published"


def test_settings_toggles_are_saved_and_audited(client, letter, owner):
    client.force_login(owner)

    response = client.post(
        "/organize/ai-risk/settings/", {"signing_paused": "on", "challenge_required": "on"}
    )

    letter.refresh_from_db()
    assert response.status_code == 302
    assert (letter.require_two_factor, letter.signing_paused, letter.challenge_required) == (
        False,
        True,
        True,
    )
    assert sorted(
        (e.detail["setting"], e.detail["value"])
        for e in AuditEvent.objects.filter(action="letter.setting_changed")
    ) == [("challenge_required", True), ("signing_paused", True)]


def test_saving_unchanged_settings_records_nothing(client, letter, owner):
    client.force_login(owner)

    client.post("/organize/ai-risk/settings/", {})

    assert not AuditEvent.objects.exists()


def test_an_editor_cannot_open_the_settings(client, letter):
    client.force_login(make_organizer(letter, "editor"))

    assert client.get("/organize/ai-risk/settings/").status_code == 403
    assert client.post("/organize/ai-risk/settings/", {"signing_paused": "on"}).status_code == 403
    assert not Letter.objects.get(pk=letter.pk).signing_paused


def test_closing_says_so_in_the_organizers_language(client, letter, owner):
    client.force_login(owner)
    client.cookies["django_language"] = "fr"

    response = client.post("/organize/ai-risk/close/", follow=True)

    assert "Les signatures sont closes." in response.content.decode()
