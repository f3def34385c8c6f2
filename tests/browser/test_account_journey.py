"""An organizer's account as a person makes it: sign up, verify the address from the email, turn
on an authenticator app, log out, and log in again with password and code."""

import re

import pytest
from django.core import mail
from django.core.cache import cache
from playwright.sync_api import expect

from letters.models import Letter
from tests.accounts.totp import current_totp_code
from tests.browser.conftest import assert_accessible
from tests.browser.test_organizer_journey import draft_preview_publish_revise_and_read_the_history
from tests.builders import make_account

pytestmark = pytest.mark.browser

EMAIL = "ada.organizer@example.org"
PASSWORD = "a careful organizer's passphrase"


@pytest.fixture(autouse=True)
def fast_and_fresh(settings):
    # The default hasher is slow on purpose; a test's throwaway password needs no such guard.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # allauth keeps rate limits and used TOTP codes in the cache.
    cache.clear()


def watch_csp(page):
    """Collect the browser's reports of anything our Content Security Policy blocked."""
    blocked = []
    page.on(
        "console",
        lambda message: (
            blocked.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return blocked


def log_in_with_password(page):
    main = page.get_by_role("main")
    main.get_by_label("Email").fill(EMAIL)
    main.get_by_label("Password").fill(PASSWORD)
    main.get_by_role("button", name="Log in").click()


def sign_up_and_verify(page, live_server):
    """From the login page: create an account and confirm its address from the email."""
    main = page.get_by_role("main")
    main.get_by_role("link", name="Create an account").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Create an account")
    assert_accessible(page)
    main.get_by_label("Email").fill(EMAIL)
    main.get_by_label("Password", exact=True).fill(PASSWORD)
    main.get_by_label("Password (again)").fill(PASSWORD)
    main.get_by_role("button", name="Create account").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Verify Your Email Address")
    assert [message.to for message in mail.outbox] == [[EMAIL]]
    (link,) = re.findall(
        re.escape(live_server.url) + r"/accounts/confirm-email/[^/\s]+/", mail.outbox[0].body
    )
    page.goto(link)
    expect(main).to_contain_text(EMAIL)
    main.get_by_role("button", name="Confirm").click()


def turn_on_authenticator(page):
    """From the two-factor page: set up an authenticator app; returns its secret."""
    main = page.get_by_role("main")
    main.get_by_role("link", name="Set up an authenticator app").click()
    # allauth asks for the password again before a change to the account's security.
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm Access")
    main.get_by_label("Password").fill(PASSWORD)
    main.get_by_role("button", name="Confirm").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Activate Authenticator App")
    qr = main.get_by_role("img", name="QR code for your authenticator app")
    expect(qr).to_be_visible()
    assert qr.evaluate("image => image.complete && image.naturalWidth > 0")
    assert_accessible(page)
    secret = main.get_by_label("Authenticator secret").input_value()
    main.get_by_label("Authenticator code").fill(current_totp_code(secret))
    main.get_by_role("button", name="Activate").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Recovery Codes")
    expect(page.get_by_role("status")).to_contain_text("Authenticator app activated.")
    return secret


def test_sign_up_verify_turn_on_two_factor_and_log_in_again(live_server, page):
    blocked = watch_csp(page)
    header = page.get_by_role("banner")
    main = page.get_by_role("main")

    page.goto(live_server.url + "/")
    header.get_by_role("link", name="Log in").click()
    expect(page).to_have_title("Log in · Undersigned")
    assert_accessible(page)
    sign_up_and_verify(page, live_server)
    expect(page).to_have_url(live_server.url + "/")

    header.get_by_text("Account", exact=True).click()
    header.get_by_role("link", name="Two-factor authentication").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-Factor Authentication")
    secret = turn_on_authenticator(page)

    header.get_by_text("Account", exact=True).click()
    header.get_by_role("button", name="Log out").click()
    expect(header.get_by_role("link", name="Log in")).to_be_visible()

    header.get_by_role("link", name="Log in").click()
    log_in_with_password(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-Factor Authentication")
    assert_accessible(page)
    main.get_by_label("Code").fill(current_totp_code(secret))
    main.get_by_role("button", name="Log in").click()

    expect(page).to_have_url(live_server.url + "/")
    expect(header.get_by_text("Account", exact=True)).to_be_visible()
    assert blocked == []


def test_account_pages_are_accessible(live_server, page):
    blocked = watch_csp(page)
    make_account(EMAIL, password=PASSWORD)
    main = page.get_by_role("main")
    for path, heading in [
        ("/accounts/login/code/", "Email me a login code"),
        ("/accounts/password/reset/", "Password Reset"),
    ]:
        page.goto(live_server.url + path)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        assert_accessible(page)

    page.goto(live_server.url + "/accounts/login/")
    log_in_with_password(page)
    for path, heading in [
        ("/accounts/email/", "Email Addresses"),
        ("/accounts/password/change/", "Change Password"),
        ("/accounts/2fa/", "Two-Factor Authentication"),
    ]:
        page.goto(live_server.url + path)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        expect(page.get_by_role("navigation", name="Your account")).to_be_visible()
        assert_accessible(page)

    # A wrong password is announced with the field it belongs to.
    page.goto(live_server.url + "/accounts/password/change/")
    main.get_by_label("Current Password").fill("not my password")
    main.get_by_label("New Password", exact=True).fill("another long passphrase")
    main.get_by_label("New Password (again)").fill("another long passphrase")
    main.get_by_role("button", name="Change Password").click()
    expect(main.get_by_label("Current Password")).to_have_attribute("aria-invalid", "true")
    expect(main).to_contain_text("Please type your current password.")
    assert_accessible(page)
    assert blocked == []


def test_security_key_is_added_and_then_logs_in(live_server, page):
    """WebAuthn through allauth's own script, which must run under our CSP: Chromium's virtual
    authenticator stands in for the key (it answers as if touched and the PIN entered)."""
    blocked = watch_csp(page)
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    user = make_account(EMAIL, password=PASSWORD)
    main = page.get_by_role("main")
    page.goto(live_server.url + "/accounts/login/")
    log_in_with_password(page)

    page.goto(live_server.url + "/accounts/2fa/")
    main.get_by_role("link", name="Add a security key").click()
    main.get_by_label("Password").fill(PASSWORD)
    main.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add Security Key")
    assert_accessible(page)
    main.get_by_label("Name").fill("Desk key")
    main.get_by_role("button", name="Add").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Recovery Codes")
    assert user.authenticator_set.get(type="webauthn").wrap().name == "Desk key"

    page.get_by_role("banner").get_by_text("Account", exact=True).click()
    page.get_by_role("banner").get_by_role("button", name="Log out").click()
    page.goto(live_server.url + "/accounts/login/")
    log_in_with_password(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-Factor Authentication")
    main.get_by_role("button", name="Use a security key").click()

    expect(page).to_have_url(live_server.url + "/")
    expect(page.get_by_role("banner").get_by_text("Account", exact=True)).to_be_visible()
    assert blocked == []


def test_sign_up_turn_on_two_factor_then_draft_publish_and_revise(
    live_server, page, new_page, settings
):
    """The whole organizer journey on a site that requires two-factor authentication of its
    organizers: sign up, verify the address, find the workspace closed until an authenticator
    app is on, then draft, share the preview link, publish, revise and read the public diff."""
    settings.ORGANIZERS_REQUIRE_TWO_FACTOR = True
    blocked = watch_csp(page)
    main = page.get_by_role("main")

    page.goto(live_server.url + "/organize/new/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    sign_up_and_verify(page, live_server)

    response = page.goto(live_server.url + "/organize/new/")
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-factor authentication required")
    assert_accessible(page)
    main.get_by_role("link", name="Set up two-factor authentication").click()
    turn_on_authenticator(page)

    draft_preview_publish_revise_and_read_the_history(page, live_server, new_page, email=EMAIL)

    letter = Letter.objects.get(slug="fund-replication")
    assert letter.organizers.get().user.email == EMAIL
    assert letter.revisions.count() == 2
    assert blocked == []
