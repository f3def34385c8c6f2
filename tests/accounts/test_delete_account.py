"""Deleting one's own account (/accounts/delete/, letters/accounts.py)."""

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from django.core import mail

from config.settings import parse_email_url
from letters.models import AuditEvent, Letter, Organizer
from tests.accounts.conftest import is_logged_in, log_in
from tests.builders import ACCOUNT_PASSWORD, make_account, make_letter, make_signature
from tests.production import refused_port
from tests.signatories.test_orcid import (  # noqa: F401 (fixtures)
    log_in_with_orcid,
    orcid,
    orcid_configured,
    orcid_record,
)

pytestmark = pytest.mark.django_db

EMAIL = "ada@example.org"
PAGE = "/accounts/delete/"


@pytest.fixture
def ada(client):
    user = make_account(EMAIL)
    EmailAddress.objects.create(user=user, email="ada@old-lab.example.org", verified=True)
    EmailAddress.objects.create(user=user, email="typo@example.org", verified=False)
    log_in(client, EMAIL)
    return user


def organize(letter, user, role="owner"):
    return Organizer.objects.create(letter=letter, user=user, role=role)


def delete_with_password(client):
    """Ask to delete; allauth asks for the password again, then carries on with the request."""
    asked = client.post(PAGE, {"confirm": "delete"})
    assert asked.status_code == 302
    assert asked["Location"] == "/accounts/reauthenticate/?next=%2Faccounts%2Fdelete%2F"
    return client.post(asked["Location"], {"password": ACCOUNT_PASSWORD})


def account_exists(email=EMAIL):
    return get_user_model().objects.filter(email=email).exists()


def test_deleting_leaves_each_letter_deletes_lone_drafts_and_keeps_signatures(client, ada):
    shared = make_letter(title="Shared letter")
    colleague = make_account("grace@example.org")
    organize(shared, ada)
    organize(shared, colleague)
    reviewed = make_letter(title="Reviewed letter")
    organize(reviewed, colleague)
    organize(reviewed, ada, role="reviewer")
    lone_draft = make_letter(title="Lone draft", publish=False)
    organize(lone_draft, ada)
    signature = make_signature(shared, name="Ada Lovelace", email=EMAIL)

    page = client.get(PAGE)
    done = delete_with_password(client)

    assert "Lone draft" in page.text
    assert (done.status_code, done["Location"]) == (302, "/")
    assert not account_exists()
    assert not EmailAddress.objects.filter(email__in=[EMAIL, "ada@old-lab.example.org"]).exists()
    assert not is_logged_in(client)
    assert sorted(Letter.objects.values_list("title", flat=True)) == [
        "Reviewed letter",
        "Shared letter",
    ]
    assert sorted(Organizer.objects.values_list("letter__title", "user__email")) == [
        ("Reviewed letter", "grace@example.org"),
        ("Shared letter", "grace@example.org"),
    ]
    left = AuditEvent.objects.filter(action="organizer.left").order_by("letter__title")
    assert [(e.letter.title, e.actor, e.actor_label) for e in left] == [
        ("Reviewed letter", None, EMAIL),
        ("Shared letter", None, EMAIL),
    ]
    signature.refresh_from_db()
    assert (signature.name, signature.email) == ("Ada Lovelace", EMAIL)
    assert signature.withdrawn_at is None


def test_each_verified_address_is_told_and_no_one_else(client, ada):
    organize(make_letter(), make_account("grace@example.org"))
    mail.outbox.clear()

    delete_with_password(client)

    told = sorted((message.to[0], message.subject) for message in mail.outbox)
    assert told == [
        ("ada@example.org", "[Undersigned] Your account is deleted"),
        ("ada@old-lab.example.org", "[Undersigned] Your account is deleted"),
    ]
    assert "Your signatures stay as they were" in mail.outbox[0].body


def test_a_mail_server_down_does_not_undo_or_fail_the_deletion(client, ada, settings, caplog):
    with refused_port() as port:
        settings.MAILERS = {"default": parse_email_url(f"smtp://127.0.0.1:{port}")}

        done = delete_with_password(client)

    assert (done.status_code, done["Location"]) == (302, "/")
    assert not account_exists()
    assert "could not be sent" in caplog.text


@pytest.mark.parametrize(
    ("published", "others"),
    [(True, []), (True, ["editor"]), (False, ["editor"])],
    ids=["published, alone", "published, with an editor", "draft with an editor"],
)
def test_the_last_owner_of_a_letter_that_needs_one_is_refused_and_nothing_changes(
    client, ada, published, others
):
    letter = make_letter(title="Needs an owner", slug="needs-an-owner", publish=published)
    organize(letter, ada)
    for role in others:
        organize(letter, make_account(), role=role)
    lone_draft = make_letter(title="Lone draft", publish=False)
    organize(lone_draft, ada)
    events = AuditEvent.objects.count()

    page = client.get(PAGE)
    refused = delete_with_password(client)

    assert 'href="/organize/needs-an-owner/organizers/"' in page.text
    assert "Delete my account" not in page.text
    assert refused.status_code == 409
    assert "Make someone else owner of the letters below first." in refused.text
    assert account_exists()
    assert Organizer.objects.filter(user=ada).count() == 2
    assert Letter.objects.filter(pk=lone_draft.pk).exists()
    assert AuditEvent.objects.count() == events
    assert is_logged_in(client)


def test_with_another_owner_the_account_may_go(client, ada):
    letter = make_letter(title="Two owners")
    organize(letter, ada)
    organize(letter, make_account("grace@example.org"))

    delete_with_password(client)

    assert not account_exists()
    assert list(letter.organizers.values_list("user__email", "role")) == [
        ("grace@example.org", "owner")
    ]


def test_without_the_box_ticked_nothing_is_deleted(client, ada):
    asked = client.post(PAGE, {})
    refused = client.post(asked["Location"], {"password": ACCOUNT_PASSWORD})

    assert refused.status_code == 400
    assert "Tick the box to confirm that you want to delete it." in refused.text
    assert account_exists()


def test_a_wrong_password_deletes_nothing(client, ada):
    asked = client.post(PAGE, {"confirm": "delete"})
    wrong = client.post(asked["Location"], {"password": "not the password"})

    assert wrong.status_code == 200
    assert account_exists()
    assert is_logged_in(client)


def test_a_visitor_is_sent_to_log_in_and_other_methods_are_refused(client):
    assert client.get(PAGE)["Location"] == "/accounts/login/?next=/accounts/delete/"
    assert client.post(PAGE, {"confirm": "delete"})["Location"].startswith("/accounts/login/")
    make_account(EMAIL)
    log_in(client, EMAIL)
    assert client.put(PAGE).status_code == 405
    assert account_exists()


def test_the_account_pages_link_to_it(client, ada):
    page = client.get("/accounts/email/")

    assert f'<a href="{PAGE}">Delete your account</a>' in page.text


# An account made by logging in with ORCID has no password or email address to ask for again:
# a login in the same session in the last five minutes stands for it.


@pytest.fixture
def orcid_signer(client, orcid, letter):  # noqa: F811
    log_in_with_orcid(client, orcid, orcid_record())
    return get_user_model().objects.get(socialaccount__provider="orcid")


def test_an_orcid_account_is_deleted_right_after_logging_in(client, orcid_signer):
    page = client.get(PAGE)
    done = client.post(PAGE, {"confirm": "delete"})

    assert "Delete my account" in page.text
    assert (done.status_code, done["Location"]) == (302, "/")
    assert not get_user_model().objects.filter(pk=orcid_signer.pk).exists()
    assert not SocialAccount.objects.exists()
    assert mail.outbox == []  # no address to tell


def test_an_orcid_login_too_long_ago_must_be_made_again(client, orcid_signer, held_wall_clock):
    held_wall_clock.advance(301)

    page = client.get(PAGE)
    refused = client.post(PAGE, {"confirm": "delete"})

    assert "Log in with ORCID again" in page.text
    assert "Delete my account" not in page.text
    assert 'action="/accounts/orcid/login/?next=/accounts/delete/"' in page.text
    assert refused.status_code == 403
    assert "Log in again to confirm it is you" in refused.text
    assert get_user_model().objects.filter(pk=orcid_signer.pk).exists()
