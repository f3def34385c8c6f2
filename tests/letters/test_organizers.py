"""Co-organizers: invitations by email, accepting, roles, removing, leaving, the last owner."""

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from letters.models import (
    AuditEvent,
    Invitation,
    LastOwnerError,
    Organizer,
    TooManyInvitations,
)
from tests.builders import make_letter, make_organizer, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(letter):
    return make_organizer(letter, "owner", email="owner@example.org")


def invite(client, owner, email="bea@example.org", role="editor"):
    client.force_login(owner)
    response = client.post("/organize/ai-risk/organizers/invite/", {"email": email, "role": role})
    return response


def test_inviting_emails_a_link_that_makes_the_invitee_an_organizer(
    client, letter, owner, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://undersigned.example"
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(client, owner)

    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role, invitation.invited_by) == (
        "bea@example.org",
        "editor",
        owner,
    )
    [email] = mail.outbox
    assert email.to == ["bea@example.org"]
    assert email.subject == "You are invited to organize “Assess AI risk with science”"
    link = f"https://undersigned.example/organize/invitations/{invitation.token}/"
    assert link in email.body
    assert link in email.alternatives[0].content

    bea = make_user("bea@example.org")
    client.force_login(bea)
    shown = client.get(link.removeprefix("https://undersigned.example"))
    assert "Accept the invitation" in shown.text
    assert not Organizer.objects.filter(user=bea).exists()
    accepted = client.post(link.removeprefix("https://undersigned.example"))

    assert accepted.status_code == 302
    assert accepted["Location"] == "/organize/ai-risk/"
    assert Organizer.objects.get(user=bea).role == "editor"
    assert [e.action for e in AuditEvent.objects.order_by("id")] == [
        "invitation.sent",
        "invitation.accepted",
    ]


def test_accepting_needs_login(client, letter, owner):
    invitation = letter.invite(email="bea@example.org", role="editor", by=owner)

    response = client.get(f"/organize/invitations/{invitation.token}/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_accepting_with_another_address_is_refused_clearly(client, letter, owner):
    invitation = letter.invite(email="bea@example.org", role="editor", by=owner)
    client.force_login(make_user("mallory@example.org"))

    response = client.post(f"/organize/invitations/{invitation.token}/")

    assert response.status_code == 403
    assert "This invitation was sent to another email address" in response.text
    assert Organizer.objects.filter(letter=letter).count() == 1
    assert Invitation.objects.get().accepted_at is None


def test_an_unverified_matching_address_is_not_enough(client, letter, owner):
    invitation = letter.invite(email="bea@example.org", role="editor", by=owner)
    bea = make_user("bea@example.org")
    bea.emailaddress_set.update(verified=False)
    client.force_login(bea)

    response = client.post(f"/organize/invitations/{invitation.token}/")

    assert response.status_code == 403
    assert not Organizer.objects.filter(user=bea).exists()


def test_an_invitation_works_once(client, letter, owner):
    invitation = letter.invite(email="bea@example.org", role="editor", by=owner)
    bea = make_user("bea@example.org")
    client.force_login(bea)
    client.post(f"/organize/invitations/{invitation.token}/")
    Organizer.objects.filter(user=bea).delete()

    again = client.post(f"/organize/invitations/{invitation.token}/")

    assert again.status_code == 409
    assert "already used, was revoked, or has expired" in again.text
    assert not Organizer.objects.filter(user=bea).exists()


def test_an_invitation_expires_after_14_days(client, letter, owner):
    invitation = letter.invite(email="bea@example.org", role="editor", by=owner)
    Invitation.objects.filter(pk=invitation.pk).update(
        created_at=timezone.now() - timedelta(days=14, seconds=1)
    )
    bea = make_user("bea@example.org")
    client.force_login(bea)

    shown = client.get(f"/organize/invitations/{invitation.token}/")
    posted = client.post(f"/organize/invitations/{invitation.token}/")

    assert shown.status_code == 410
    assert "Accept the invitation</button>" not in shown.text
    assert posted.status_code == 409
    assert not Organizer.objects.filter(user=bea).exists()


def test_a_forged_invitation_token_is_not_found(client, letter):
    client.force_login(make_user())

    assert client.get("/organize/invitations/forged/").status_code == 404
    assert client.post("/organize/invitations/forged/").status_code == 404


def test_a_revoked_invitation_no_longer_works(client, letter, owner):
    invitation = letter.invite(email="bea@example.org", role="editor", by=owner)
    client.force_login(owner)

    response = client.post(f"/organize/ai-risk/invitations/{invitation.pk}/revoke/")

    assert response.status_code == 302
    assert Invitation.objects.get().revoked_at is not None
    assert AuditEvent.objects.filter(action="invitation.revoked").count() == 1
    client.force_login(make_user("bea@example.org"))
    assert client.post(f"/organize/invitations/{invitation.token}/").status_code == 409


def test_an_invitation_of_another_letter_cannot_be_revoked_here(client, letter, owner):
    other = make_letter(slug="other")
    invitation = other.invite(email="bea@example.org", role="editor", by=owner)
    client.force_login(owner)

    response = client.post(f"/organize/ai-risk/invitations/{invitation.pk}/revoke/")

    assert response.status_code == 404
    assert Invitation.objects.get().revoked_at is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "not-an-address", "role": "editor"}, "Enter a valid email address"),
        ({"email": "bea@example.org", "role": "admin"}, "Select a valid choice"),
    ],
)
def test_a_bad_invitation_is_refused_clearly(client, letter, owner, data, message):
    client.force_login(owner)

    response = client.post("/organize/ai-risk/organizers/invite/", data)

    assert response.status_code == 400
    assert message in response.text
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_an_account_sends_at_most_its_daily_invitations(
    client, letter, owner, settings, django_capture_on_commit_callbacks
):
    settings.INVITATIONS_PER_DAY = 2
    other = make_letter(slug="other")
    Organizer.objects.create(letter=other, user=owner, role="owner")
    with django_capture_on_commit_callbacks(execute=True):
        first = invite(client, owner, "bea@example.org")
        client.post(
            "/organize/other/organizers/invite/", {"email": "cy@example.org", "role": "editor"}
        )
        refused = invite(client, owner, "dan@example.org")

    assert first.status_code == 302
    # The allowance is the account's, across its letters.
    assert refused.status_code == 429
    assert "You have sent 2 invitations in the last 24 hours, the most allowed." in refused.text
    assert 86_000 < int(refused["Retry-After"]) <= 86_400
    assert sorted(Invitation.objects.values_list("email", flat=True)) == [
        "bea@example.org",
        "cy@example.org",
    ]
    assert [m.to for m in mail.outbox] == [["bea@example.org"], ["cy@example.org"]]
    assert AuditEvent.objects.filter(action="invitation.sent").count() == 2
    # Another organizer of the letter has an allowance of their own.
    co_owner = make_organizer(letter, "owner", email="co@example.org")
    assert invite(client, co_owner, "dan@example.org").status_code == 302


def test_invitations_older_than_a_day_leave_the_allowance(client, letter, owner, settings):
    settings.INVITATIONS_PER_DAY = 1
    invite(client, owner, "bea@example.org")
    refused = invite(client, owner, "cy@example.org")
    Invitation.objects.update(created_at=timezone.now() - timedelta(days=1, seconds=1))

    again = invite(client, owner, "cy@example.org")

    assert (refused.status_code, again.status_code) == (429, 302)
    assert Invitation.objects.filter(email="cy@example.org").count() == 1


def test_the_refusal_speaks_the_inviters_language(client, letter, owner, settings):
    settings.INVITATIONS_PER_DAY = 1
    client.force_login(owner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    invite(client, owner, "bea@example.org")

    refused = invite(client, owner, "cy@example.org")

    assert refused.status_code == 429
    assert "Vous avez envoyé 1 invitation ces dernières 24 heures, le maximum" in refused.text


def test_a_limit_of_zero_sends_no_invitation(client, letter, owner, settings):
    settings.INVITATIONS_PER_DAY = 0

    response = invite(client, owner)

    assert response.status_code == 429
    assert not Invitation.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_invitations_sent_at_once_stay_within_the_limit(settings):
    """Six requests at the same moment, each in its own connection, against a limit of two."""
    if connection.vendor != "postgresql":
        pytest.skip("Row locks are a PostgreSQL matter; SQLite serialises every write.")
    settings.INVITATIONS_PER_DAY = 2
    letter = make_letter(slug="race")
    owner = make_organizer(letter, "owner")
    barrier = threading.Barrier(6)
    outcomes = []

    def send(n):
        try:
            barrier.wait()
            letter.invite(email=f"person{n}@example.org", role="editor", by=owner)
            outcomes.append("sent")
        except TooManyInvitations:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["refused"] * 4 + ["sent"] * 2
    assert Invitation.objects.filter(letter=letter).count() == 2


def test_an_editor_cannot_invite_but_sees_the_list(client, letter, owner):
    editor = make_organizer(letter, "editor", email="ed@example.org")
    client.force_login(editor)

    listed = client.get("/organize/ai-risk/organizers/")
    refused = invite(client, editor)

    assert listed.status_code == 200
    assert "owner@example.org" in listed.text
    assert "Invite a co-organizer" not in listed.text
    assert refused.status_code == 403
    assert not Invitation.objects.exists()


def test_changing_a_role_is_audited(client, letter, owner):
    editor = make_organizer(letter, "editor")
    membership = Organizer.objects.get(user=editor)
    client.force_login(owner)

    response = client.post(
        f"/organize/ai-risk/organizers/{membership.pk}/role/", {"role": "reviewer"}
    )

    assert response.status_code == 302
    assert Organizer.objects.get(user=editor).role == "reviewer"
    event = AuditEvent.objects.get()
    assert (event.action, event.detail) == (
        "organizer.role_changed",
        {"old_role": "editor", "role": "reviewer"},
    )


def test_a_bad_role_is_refused(client, letter, owner):
    membership = Organizer.objects.get(user=owner)
    client.force_login(owner)

    response = client.post(f"/organize/ai-risk/organizers/{membership.pk}/role/", {"role": "god"})

    assert response.status_code == 400
    assert Organizer.objects.get(user=owner).role == "owner"


def test_the_last_owner_cannot_be_demoted(client, letter, owner):
    membership = Organizer.objects.get(user=owner)
    client.force_login(owner)

    response = client.post(
        f"/organize/ai-risk/organizers/{membership.pk}/role/", {"role": "editor"}
    )

    assert response.status_code == 409
    assert "A letter needs an owner" in response.text
    assert Organizer.objects.get(user=owner).role == "owner"
    assert not AuditEvent.objects.exists()


def test_the_last_owner_cannot_leave(client, letter, owner):
    make_organizer(letter, "editor")
    client.force_login(owner)

    response = client.post("/organize/ai-risk/organizers/leave/")

    assert response.status_code == 409
    assert "make someone else owner before leaving" in response.text
    assert Organizer.objects.filter(user=owner, role="owner").exists()


def test_the_last_owner_cannot_be_removed_by_themself(client, letter, owner):
    membership = Organizer.objects.get(user=owner)
    client.force_login(owner)

    response = client.post(f"/organize/ai-risk/organizers/{membership.pk}/remove/")

    assert response.status_code == 409
    assert Organizer.objects.filter(user=owner).exists()


def test_an_owner_can_leave_when_another_owner_remains(client, letter, owner):
    make_organizer(letter, "owner")
    client.force_login(owner)

    response = client.post("/organize/ai-risk/organizers/leave/")

    assert response["Location"] == "/organize/"
    assert not Organizer.objects.filter(user=owner).exists()
    assert AuditEvent.objects.get().action == "organizer.left"


def test_a_reviewer_can_leave(client, letter, owner):
    reviewer = make_organizer(letter, "reviewer")
    client.force_login(reviewer)

    client.post("/organize/ai-risk/organizers/leave/")

    assert not Organizer.objects.filter(user=reviewer).exists()


def test_removing_an_organizer_is_audited(client, letter, owner):
    editor = make_organizer(letter, "editor")
    membership = Organizer.objects.get(user=editor)
    client.force_login(owner)

    client.post(f"/organize/ai-risk/organizers/{membership.pk}/remove/")

    assert not Organizer.objects.filter(user=editor).exists()
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.detail) == (
        "organizer.removed",
        owner,
        {"role": "editor"},
    )


def test_an_organizer_of_another_letter_cannot_be_removed_here(client, letter, owner):
    stranger = make_organizer(make_letter(slug="other"), "editor")
    membership = Organizer.objects.get(user=stranger)
    client.force_login(owner)

    response = client.post(f"/organize/ai-risk/organizers/{membership.pk}/remove/")

    assert response.status_code == 404
    assert Organizer.objects.filter(user=stranger).exists()


def test_two_owners_demoting_each_other_leave_one_owner(letter):
    first = Organizer.objects.get(user=make_organizer(letter, "owner"))
    second = Organizer.objects.get(user=make_organizer(letter, "owner"))

    letter.change_role(first, "editor", by=second.user)
    with pytest.raises(LastOwnerError):
        letter.change_role(second, "editor", by=first.user)

    assert list(letter.organizers.values_list("role", flat=True).order_by("pk")) == [
        "editor",
        "owner",
    ]


@pytest.mark.django_db(transaction=True)
def test_concurrent_demotions_cannot_remove_every_owner():
    """Two owners demote each other at the same moment, each in its own connection."""
    if connection.vendor != "postgresql":
        pytest.skip("Row locks are a PostgreSQL matter; SQLite serialises every write.")
    letter = make_letter(slug="race")
    first = Organizer.objects.get(user=make_organizer(letter, "owner"))
    second = Organizer.objects.get(user=make_organizer(letter, "owner"))
    barrier = threading.Barrier(2)
    outcomes = []

    def demote(target, actor):
        from django.db import connections

        try:
            barrier.wait()
            letter.change_role(target, "editor", by=actor)
            outcomes.append("demoted")
        except LastOwnerError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=demote, args=(first, second.user)),
        threading.Thread(target=demote, args=(second, first.user)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["demoted", "refused"]
    assert letter.organizers.filter(role="owner").count() == 1


def test_someone_who_already_organizes_cannot_accept_again(client, letter, owner):
    editor = make_organizer(letter, "editor", email="ed@example.org")
    invitation = letter.invite(email="ed@example.org", role="owner", by=owner)
    client.force_login(editor)

    response = client.post(f"/organize/invitations/{invitation.token}/")

    assert response.status_code == 409
    assert "You already organize this letter" in response.text
    assert Organizer.objects.get(user=editor).role == "editor"
    assert Invitation.objects.get().accepted_at is None


def test_only_open_invitations_are_listed(client, letter, owner):
    letter.invite(email="open@example.org", role="editor", by=owner)
    letter.invite(email="revoked@example.org", role="editor", by=owner).revoke(by=owner)
    old = letter.invite(email="expired@example.org", role="editor", by=owner)
    Invitation.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=15))
    client.force_login(owner)

    text = client.get("/organize/ai-risk/organizers/").text

    assert "open@example.org" in text
    assert "revoked@example.org" not in text
    assert "expired@example.org" not in text


@pytest.mark.parametrize("rows", [1, 30])
def test_organizers_page_queries_stay_flat(
    client, letter, owner, django_assert_num_queries, settings, rows
):
    settings.INVITATIONS_PER_DAY = rows
    for n in range(rows):
        make_organizer(letter, "reviewer")
        letter.invite(email=f"invitee{n}@example.org", role="editor", by=owner)
    client.force_login(owner)

    # Session, user, letter, membership, organizers with their users, open invitations.
    with django_assert_num_queries(6):
        response = client.get("/organize/ai-risk/organizers/")
    assert response.text.count("invitee") == rows * 2


@pytest.mark.parametrize(
    "path",
    [
        "/organize/ai-risk/organizers/99999999999999999999999/role/",
        "/organize/ai-risk/organizers/99999999999999999999999/remove/",
        "/organize/ai-risk/invitations/99999999999999999999999/revoke/",
    ],
)
def test_an_id_beyond_any_row_is_not_found(client, letter, owner, path):
    client.force_login(owner)

    assert client.post(path, {"role": "editor"}).status_code == 404
    assert not AuditEvent.objects.exists()
