"""Two-factor authentication: an authenticator app and recovery codes, and where they are
required (a letter's workspace, the admin)."""

import re

from allauth.mfa.models import Authenticator
from django.core import mail
from django.test import Client
from django.urls import reverse

from letters.models import Letter, Organizer
from tests.accounts.conftest import activate_totp, is_logged_in, log_in
from tests.accounts.totp import current_totp_code
from tests.builders import ACCOUNT_PASSWORD, make_account, make_letter


def test_totp_activation_shows_the_qr_code_and_then_login_asks_for_the_code(
    client, db, immediate_on_commit
):
    user = make_account("gil@example.org")
    log_in(client, "gil@example.org")

    response = client.get("/accounts/2fa/totp/activate/")
    # A change to the account's security asks for the password again.
    assert (
        response["Location"]
        == "/accounts/reauthenticate/?next=%2Faccounts%2F2fa%2Ftotp%2Factivate%2F"
    )
    client.post(response["Location"], {"password": ACCOUNT_PASSWORD})
    page = client.get("/accounts/2fa/totp/activate/")
    assert re.search(
        r'<img class="totp-qr" src="data:image/svg\+xml;base64,', page.content.decode()
    )
    # The QR code is a data: URI, which the page's CSP must allow.
    assert "img-src 'self' data:" in page["Content-Security-Policy"]
    wrong = client.post("/accounts/2fa/totp/activate/", {"code": "000000"})
    assert "Incorrect code." in wrong.content.decode()
    assert not Authenticator.objects.filter(user=user).exists()

    secret = activate_totp(client)

    assert set(Authenticator.objects.filter(user=user).values_list("type", flat=True)) == {
        Authenticator.Type.TOTP,
        Authenticator.Type.RECOVERY_CODES,
    }
    assert [m.subject for m in mail.outbox] == ["[Undersigned] Authenticator App Activated"]

    fresh = Client()
    response = log_in(fresh, "gil@example.org")
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert not is_logged_in(fresh)
    wrong = fresh.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert "Incorrect code." in wrong.content.decode()
    assert not is_logged_in(fresh)

    response = fresh.post("/accounts/2fa/authenticate/", {"code": current_totp_code(secret)})

    assert response["Location"] == "/"
    assert is_logged_in(fresh)


def test_login_by_code_still_asks_for_the_second_factor(client, db):
    make_account("hal@example.org")
    log_in(client, "hal@example.org")
    secret = activate_totp(client)
    mail.outbox.clear()

    fresh = Client()
    fresh.post("/accounts/login/code/", {"email": "hal@example.org"})
    code = re.search(r"browser window\.\n\n(\S+)\n", mail.outbox[0].body).group(1)
    response = fresh.post("/accounts/login/code/confirm/", {"code": code})

    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert not is_logged_in(fresh)
    fresh.post("/accounts/2fa/authenticate/", {"code": current_totp_code(secret)})
    assert is_logged_in(fresh)


def test_a_recovery_code_logs_in_once(client, db):
    make_account("ivy@example.org")
    log_in(client, "ivy@example.org")
    activate_totp(client)
    page = client.get("/accounts/2fa/recovery-codes/").content.decode()
    codes = re.search(r'<textarea id="recovery_codes"[^>]*>([^<]+)</textarea>', page).group(1)
    codes = codes.split()
    assert len(codes) == 10
    assert "There are 10 out of 10 recovery codes available." in page

    first = Client()
    log_in(first, "ivy@example.org")
    response = first.post("/accounts/2fa/authenticate/", {"code": codes[0]})
    assert response["Location"] == "/"
    assert is_logged_in(first)

    second = Client()
    log_in(second, "ivy@example.org")
    response = second.post("/accounts/2fa/authenticate/", {"code": codes[0]})
    assert "Incorrect code." in response.content.decode()
    assert not is_logged_in(second)
    recovery = Authenticator.objects.get(type=Authenticator.Type.RECOVERY_CODES)
    assert recovery.wrap().get_unused_codes() == codes[1:]


def organizer_of_letter(**letter_fields):
    user = make_account()
    letter = make_letter(slug="ai-risk", **letter_fields)
    Organizer.objects.create(letter=letter, user=user, role=Organizer.Role.OWNER)
    return user, letter


def test_letter_requiring_two_factor_refuses_organizer_without_it(client, db, settings):
    settings.ORGANIZERS_REQUIRE_TWO_FACTOR = False
    user, letter = organizer_of_letter(require_two_factor=True)
    log_in(client, user.email)

    response = client.get(reverse("organize:dashboard", args=[letter.slug]))

    assert response.status_code == 403
    page = response.content.decode()
    assert "Two-factor authentication required" in page
    assert 'href="/accounts/2fa/"' in page

    activate_totp(client)
    response = client.get(reverse("organize:dashboard", args=[letter.slug]))

    assert response.status_code == 200
    assert letter.title in response.content.decode()


def test_site_wide_setting_requires_two_factor_for_every_letter(client, db, settings):
    user, letter = organizer_of_letter(require_two_factor=False)
    log_in(client, user.email)
    url = reverse("organize:dashboard", args=[letter.slug])

    settings.ORGANIZERS_REQUIRE_TWO_FACTOR = False
    assert client.get(url).status_code == 200
    settings.ORGANIZERS_REQUIRE_TWO_FACTOR = True
    assert client.get(url).status_code == 403


def test_site_wide_setting_requires_two_factor_to_start_a_letter(client, db, settings):
    settings.ORGANIZERS_REQUIRE_TWO_FACTOR = True
    make_account("kim@example.org")
    log_in(client, "kim@example.org")

    refused = client.post("/organize/new/", {"title": "A letter", "slug": "a-letter"})

    assert refused.status_code == 403
    assert "must use two-factor authentication" in refused.content.decode()
    assert not Letter.objects.exists()


def test_admin_login_goes_through_allauth(client, db):
    response = client.get("/admin/login/?next=/admin/")

    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2F"


def test_admin_sends_staff_without_two_factor_to_set_it_up(client, db, settings):
    settings.ORGANIZERS_REQUIRE_TWO_FACTOR = True
    make_account("jo@example.org", is_staff=True, is_superuser=True)
    log_in(client, "jo@example.org")

    response = client.get("/admin/")

    assert response["Location"] == "/accounts/2fa/"
    page = client.get("/accounts/2fa/").content.decode()
    assert "Turn on two-factor authentication to use the administration." in page

    activate_totp(client)
    response = client.get("/admin/")

    assert response.status_code == 200
    assert "Site administration" in response.content.decode()


def test_admin_without_the_setting_needs_no_second_factor(client, db, settings):
    settings.ORGANIZERS_REQUIRE_TWO_FACTOR = False
    make_account("kim@example.org", is_staff=True, is_superuser=True)
    log_in(client, "kim@example.org")

    response = client.get("/admin/")

    assert response.status_code == 200
    assert "Site administration" in response.content.decode()


def test_admin_refuses_a_signed_in_person_who_is_not_staff(client, db):
    make_account("lee@example.org")
    log_in(client, "lee@example.org")

    assert client.get("/admin/login/").status_code == 403
