"""Deleting one's own account (/accounts/delete/, letters/accounts.py)."""

import html
import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from letters.accounts import (
    LOGGED_IN_AT,
    DeleteAccountForm,
    asked_to_log_in,
    delete_account,
    logged_in_when_asked,
)
from letters.models import AuditEvent, Letter, Organizer
from tests.accounts.conftest import is_logged_in, log_in
from tests.builders import ACCOUNT_PASSWORD, make_account, make_letter, make_signature
from tests.orcid import log_in_with_orcid, orcid_record

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


def ticked(client, path=PAGE):
    """The deletion form as the page gives it, with the box ticked."""
    page = client.get(path).text
    opened = re.search(r'name="opened" value="([^"]+)"', page)[1]
    asked = re.search(r'name="asked"(?: value="([^"]*)")?', page)[1] or ""
    return {"confirm": "on", "opened": opened, "asked": asked}


def ticked_for(user):
    """The deletion form for `user`, as a page that shows no form would have had it."""
    return {"confirm": "on", "opened": DeleteAccountForm(user=user).initial["opened"]}


def delete_with_password(client, data=None):
    """Ask to delete; allauth asks for the password again, then carries on with the request."""
    asked = client.post(PAGE, ticked(client) if data is None else data)
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


def test_a_mail_server_down_does_not_undo_or_fail_the_deletion(client, ada, smtp_down, caplog):
    done = delete_with_password(client)

    assert (done.status_code, done["Location"]) == (302, "/")
    assert not account_exists()
    assert "The email saying an account was deleted was not sent." in caplog.text


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
    refused = delete_with_password(client, ticked_for(ada))

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
    refused = delete_with_password(client, {"opened": ticked(client)["opened"]})

    assert refused.status_code == 400
    assert "Tick the box to confirm that you want to delete it." in refused.text
    assert account_exists()


def test_a_form_kept_over_ten_minutes_is_refused(client, ada, held_wall_clock):
    # allauth keeps a POST while it asks for the password: one left there for long is stale.
    data = ticked(client)
    held_wall_clock.advance(601)

    refused = delete_with_password(client, data)

    assert refused.status_code == 400
    assert "This page was opened too long ago: open it again." in refused.text
    assert account_exists()


def test_a_form_made_for_another_account_is_refused(client, ada):
    other = Client()
    make_account("grace@example.org")
    log_in(other, "grace@example.org")

    refused = delete_with_password(client, ticked(other))

    assert refused.status_code == 400
    assert account_exists() and account_exists("grace@example.org")


def test_a_wrong_password_deletes_nothing(client, ada):
    asked = client.post(PAGE, ticked(client))
    wrong = client.post(asked["Location"], {"password": "not the password"})

    assert wrong.status_code == 200
    assert account_exists()
    assert is_logged_in(client)


def test_a_post_from_another_site_is_refused(ada):
    client = Client(enforce_csrf_checks=True)
    client.force_login(ada)
    data = ticked(client)

    refused = client.post(PAGE, data)

    assert refused.status_code == 403
    assert "This form has expired" in refused.text
    assert account_exists()


def test_a_second_click_after_the_deletion_finds_nothing_left_to_do(client, ada):
    assert delete_account(ada) == [EMAIL, "ada@old-lab.example.org"]

    assert delete_account(ada) == []
    assert client.post(PAGE, {"confirm": "on"})["Location"].startswith("/accounts/login/")


def test_a_staff_account_is_deleted_in_the_administration_instead(client, ada):
    get_user_model().objects.filter(pk=ada.pk).update(is_staff=True)

    page = client.get(PAGE)
    refused = delete_with_password(client, ticked_for(ada))

    assert "A staff account is deleted by another operator" in page.text
    assert "Delete my account" not in page.text
    assert refused.status_code == 403
    assert account_exists()


def test_a_visitor_is_sent_to_log_in_and_other_methods_are_refused(client):
    assert client.get(PAGE)["Location"] == "/accounts/login/?next=/accounts/delete/"
    assert client.post(PAGE, {"confirm": "on"})["Location"].startswith("/accounts/login/")
    make_account(EMAIL)
    log_in(client, EMAIL)
    assert client.put(PAGE).status_code == 405
    assert account_exists()


def test_the_account_pages_link_to_it(client, ada):
    page = client.get("/accounts/email/")

    assert f'<a href="{PAGE}">Delete your account</a>' in page.text


# An account made by logging in with ORCID has no password, code or second factor to ask for
# again: it logs in with ORCID again once the page asks, and deletes within five minutes.


@pytest.fixture
def orcid_signer(client, orcid, letter):
    log_in_with_orcid(client, orcid, orcid_record())
    return get_user_model().objects.get(socialaccount__provider="orcid")


def log_in_again(client, orcid, page):
    """Press the page's "Log in with ORCID again"; the page the login comes back to."""
    action = html.unescape(re.search(r'<form method="post" action="([^"]+)">', page.text)[1])
    asked, back = log_in_with_orcid(client, orcid, orcid_record(), start=action)
    assert asked["prompt"] == ["login"]  # ORCID asks for the password, logged in there or not
    assert back.startswith(f"{PAGE}?asked=")
    return back


def test_an_orcid_account_logs_in_again_when_asked_then_is_deleted(client, orcid, orcid_signer):
    page = client.get(PAGE)
    back = log_in_again(client, orcid, page)
    done = client.post(PAGE, ticked(client, back))

    assert "Log in with ORCID again" in page.text
    assert "Delete my account" not in page.text
    assert (done.status_code, done["Location"]) == (302, "/")
    assert not get_user_model().objects.filter(pk=orcid_signer.pk).exists()
    assert not SocialAccount.objects.exists()
    assert mail.outbox == []  # no address to tell


def test_an_unticked_box_after_logging_in_again_keeps_the_form(client, orcid, orcid_signer):
    back = log_in_again(client, orcid, client.get(PAGE))
    data = ticked(client, back)
    del data["confirm"]

    refused = client.post(PAGE, data)

    assert refused.status_code == 400
    assert "Tick the box to confirm that you want to delete it." in refused.text
    assert "Delete my account" in refused.text
    assert get_user_model().objects.filter(pk=orcid_signer.pk).exists()


def test_the_login_made_before_asking_does_not_count(client, orcid_signer):
    # Logged in a moment ago, to sign a letter on a shared computer, say; then the note of
    # asking is taken from the page's button without logging in again.
    page = client.get(PAGE)
    action = html.unescape(re.search(r'<form method="post" action="([^"]+)">', page.text)[1])
    back = parse_qs(urlsplit(action).query)["next"][0]
    asked = parse_qs(urlsplit(back).query)["asked"][0]

    again = client.get(back)
    refused = client.post(PAGE, {**ticked_for(orcid_signer), "asked": asked})

    assert "Delete my account" not in page.text
    assert "Delete my account" not in again.text
    assert refused.status_code == 403
    assert "Log in again to confirm it is you" in refused.text
    assert get_user_model().objects.filter(pk=orcid_signer.pk).exists()


def test_a_note_of_asking_cannot_be_reused_by_another_account_or_forged(
    client, orcid, orcid_signer
):
    back = log_in_again(client, orcid, client.get(PAGE))
    data = ticked(client, back)

    forged = client.post(PAGE, {**data, "asked": data["asked"][:-2] + "xx"})
    other = Client()
    make_account("grace@example.org")
    log_in(other, "grace@example.org")
    grace_page = other.get(back)  # she has a password: the note means nothing to her

    assert forged.status_code == 403
    assert get_user_model().objects.filter(pk=orcid_signer.pk).exists()
    assert "Delete my account" in grace_page.text


def test_a_note_of_asking_stands_for_the_account_it_was_made_for_only(rf):
    asked, other = make_account(), make_account()
    note = asked_to_log_in(asked)
    request = rf.get(PAGE)
    request.session = {LOGGED_IN_AT: time.time() + 1}

    request.user = other
    for_another = logged_in_when_asked(request, note)
    request.user = asked
    for_itself = logged_in_when_asked(request, note)

    assert (for_another, for_itself) == (False, True)


def test_a_login_again_too_long_ago_must_be_made_again(
    client, orcid, orcid_signer, held_wall_clock
):
    page = client.get(PAGE)
    held_wall_clock.advance(1)
    back = log_in_again(client, orcid, page)
    data = ticked(client, back)
    held_wall_clock.advance(300)

    refused = client.post(PAGE, data)

    assert refused.status_code == 403
    assert "Log in with ORCID again" in refused.text
    assert get_user_model().objects.filter(pk=orcid_signer.pk).exists()
