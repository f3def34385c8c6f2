"""Signing up, verifying the address, logging in by password or by emailed code, resetting the
password and logging out: allauth's flows as our pages and emails present them."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from tests.accounts.conftest import is_logged_in, log_in
from tests.builders import ACCOUNT_PASSWORD, make_account, make_letter

SIGNUP = {
    "email": "ada@example.org",
    "password1": "correct horse 42",
    "password2": "correct horse 42",
}


def test_signup_sends_a_verification_link_that_logs_in(client, db):
    response = client.post("/accounts/signup/", SIGNUP)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert not is_logged_in(client)
    assert EmailAddress.objects.get(email="ada@example.org").verified is False
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ada@example.org"]
    assert message.subject == "[Undersigned] Please Confirm Your Email Address"
    assert message.body.startswith("Hello,\n\n")
    assert message.body.endswith("— Undersigned\ntestserver")
    (link,) = re.findall(r"http://testserver(/accounts/confirm-email/[^/\s]+/)", message.body)

    # Mail scanners open links: GET only shows the button.
    page = client.get(link)
    assert "ada@example.org" in page.content.decode()
    assert EmailAddress.objects.get(email="ada@example.org").verified is False

    response = client.post(link)

    assert response.status_code == 302
    assert EmailAddress.objects.get(email="ada@example.org").verified is True
    assert is_logged_in(client)


def test_unverified_account_cannot_log_in_until_verified(client, db):
    make_account("bo@example.org", verified=False)

    response = log_in(client, "bo@example.org")

    assert response["Location"] == "/accounts/confirm-email/"
    assert not is_logged_in(client)
    assert [m.to for m in mail.outbox] == [["bo@example.org"]]


def test_signup_form_shows_errors_by_their_field(client, db):
    response = client.post(
        "/accounts/signup/",
        {"email": "not an address", "password1": "short", "password2": "other"},
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert re.search(r'<label for="id_email">Email[^<]*<span class="field__error">', page)
    assert "Enter a valid email address." in page
    assert 'aria-invalid="true"' in page
    assert get_user_model().objects.count() == 0
    assert mail.outbox == []


def test_signup_with_a_taken_address_tells_only_its_owner(client, db):
    # Saying "already registered" on the page would tell anyone who has an account.
    make_account("taken@example.org")

    response = client.post("/accounts/signup/", {**SIGNUP, "email": "taken@example.org"})

    assert response["Location"] == "/accounts/confirm-email/"
    assert get_user_model().objects.filter(email="taken@example.org").count() == 1
    (message,) = mail.outbox
    assert message.to == ["taken@example.org"]
    assert message.subject == "[Undersigned] Account Already Exists"


def test_login_by_password_and_logout_by_post(client, db):
    make_account("cy@example.org")

    wrong = log_in(client, "cy@example.org", "wrong password")
    assert wrong.status_code == 200
    assert "The email address and/or password you specified are not correct." in (
        wrong.content.decode()
    )
    assert not is_logged_in(client)

    assert log_in(client, "cy@example.org")["Location"] == "/"
    assert is_logged_in(client)

    # A GET only asks; the header's button posts.
    client.get("/accounts/logout/")
    assert is_logged_in(client)
    client.post("/accounts/logout/")
    assert not is_logged_in(client)


def test_login_by_emailed_code(client, db):
    make_account("di@example.org")

    response = client.post("/accounts/login/code/", {"email": "di@example.org"})

    assert response["Location"] == "/accounts/login/code/confirm/"
    (message,) = mail.outbox
    assert message.to == ["di@example.org"]
    assert message.subject == "[Undersigned] Sign-In Code"
    code = re.search(r"browser window\.\n\n(\S+)\n", message.body).group(1)

    wrong = client.post("/accounts/login/code/confirm/", {"code": "AAAAAA"})
    assert "Incorrect code." in wrong.content.decode()
    assert not is_logged_in(client)

    response = client.post("/accounts/login/code/confirm/", {"code": code})

    assert response["Location"] == "/"
    assert is_logged_in(client)


def test_password_reset_by_email(client, db):
    make_account("ed@example.org")

    response = client.post("/accounts/password/reset/", {"email": "ed@example.org"})

    assert response["Location"] == "/accounts/password/reset/done/"
    (message,) = mail.outbox
    assert message.to == ["ed@example.org"]
    assert message.subject == "[Undersigned] Password Reset Email"
    (link,) = re.findall(r"http://testserver(/accounts/password/reset/key/\S+/)", message.body)
    form_url = client.get(link)["Location"]
    new_password = "a brand new passphrase 7"
    response = client.post(form_url, {"password1": new_password, "password2": new_password})
    assert response["Location"] == "/accounts/password/reset/key/done/"

    fresh = Client()
    assert log_in(fresh, "ed@example.org", ACCOUNT_PASSWORD).status_code == 200
    assert not is_logged_in(fresh)
    assert log_in(fresh, "ed@example.org", new_password)["Location"] == "/"
    assert is_logged_in(fresh)


def test_password_reset_for_an_unknown_address_looks_the_same_and_sends_nothing(client, db):
    response = client.post("/accounts/password/reset/", {"email": "nobody@example.org"})

    assert response["Location"] == "/accounts/password/reset/done/"
    assert mail.outbox == []


def test_header_offers_log_in_or_the_account_menu(client, db):
    anonymous = client.get("/").content
    assert b'href="/accounts/login/"' in anonymous
    assert b"Log out" not in anonymous

    make_account("fay@example.org")
    log_in(client, "fay@example.org")
    page = client.get("/").content.decode()

    assert 'href="/accounts/login/"' not in page
    assert '<a href="/organize/">Your letters</a>' in page
    assert '<a href="/accounts/2fa/">Two-factor authentication</a>' in page
    assert '<form action="/accounts/logout/" method="post">' in page


def test_organizer_pages_send_visitors_to_log_in_and_back(client, db):
    make_account("gus@example.org")

    response = client.get("/organize/")

    assert response["Location"] == "/accounts/login/?next=/organize/"
    response = client.post(
        "/accounts/login/?next=/organize/",
        {"login": "gus@example.org", "password": ACCOUNT_PASSWORD, "next": "/organize/"},
    )
    assert response["Location"] == "/organize/"
    assert "Your letters" in client.get("/organize/").content.decode()


def test_header_log_in_link_comes_back_to_the_page(client, db):
    make_letter(slug="ai-risk")

    letter_page = client.get("/letters/ai-risk/").content.decode()
    login_page = client.get("/accounts/login/").content.decode()

    assert 'href="/accounts/login/?next=/letters/ai-risk/"' in letter_page
    assert 'class="account-login" href="/accounts/login/"' in login_page


HOSTILE = ["", "x" * 5000, "a@b", "\x00", "<script>alert(1)</script>@example.org", "' OR 1=1 --"]


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/accounts/signup/", ("email", "password1", "password2")),
        ("/accounts/login/", ("login", "password")),
        ("/accounts/login/code/", ("email",)),
        ("/accounts/password/reset/", ("email",)),
        ("/accounts/2fa/authenticate/", ("code",)),
    ],
)
def test_hostile_input_to_account_forms_is_refused_without_effect(client, db, path, fields, value):
    make_account("owner@example.org")

    response = client.post(path, dict.fromkeys(fields, value))

    assert response.status_code in {200, 302, 400}
    assert get_user_model().objects.count() == 1
    assert mail.outbox == []
    assert not is_logged_in(client)
