"""Kill switches (pause signing, pause counting, banner) and the proof-of-work challenge."""

import base64
import html
import ipaddress
import json
import re

import altcha
import pytest
from django.core import mail
from pytest_django.asserts import assertContains, assertNotContains

from signatories.models import Signature, roll_up
from signatories.safeguards import SharedNetwork, SiteSettings
from tests.builders import make_signature, sign_data
from tools.altcha_assets import OUTPUT, assets

pytestmark = pytest.mark.django_db


def test_a_paused_letter_shows_the_pause_instead_of_the_form(client, letter):
    letter.signing_paused = True
    letter.save()

    page = client.get("/letters/ai-risk/")

    assertContains(page, "Signing is paused for the moment.")
    assertNotContains(page, 'name="email"')


def test_signing_while_paused_is_a_503_with_retry_after_and_stores_nothing(
    client, letter, immediate_on_commit
):
    SiteSettings(signing_paused=True).save_and_apply()

    response = client.post("/letters/ai-risk/sign/", sign_data())

    assert response.status_code == 503
    assert response["Retry-After"] == "3600"
    assertContains(response, "Signing is paused", status_code=503)
    assertContains(response, "your signature was not recorded", status_code=503)
    assert Signature.objects.count() == 0
    assert mail.outbox == []


def test_the_site_pause_shows_on_every_letter(client, letter):
    SiteSettings(signing_paused=True).save_and_apply()

    assertContains(client.get("/letters/ai-risk/"), "Signing is paused for the moment.")


def test_resuming_signing_brings_the_form_back(client, letter):
    SiteSettings(signing_paused=True).save_and_apply()
    SiteSettings(signing_paused=False).save_and_apply()

    assert client.post("/letters/ai-risk/sign/", sign_data()).status_code == 303
    assert Signature.objects.count() == 1


def test_paused_counting_shows_the_last_totals_until_resumed(client, letter):
    make_signature(letter)
    roll_up()
    SiteSettings(counting_paused=True).save_and_apply()
    make_signature(letter)
    make_signature(letter)

    paused_api = client.get("/api/v1/letters/ai-risk/").json()["counts"]["total"]
    rolled = roll_up()
    SiteSettings(counting_paused=False).save_and_apply()
    resumed_api = client.get("/api/v1/letters/ai-risk/").json()["counts"]["total"]

    assert (paused_api, rolled, resumed_api) == (1, 0, 3)
    assert Signature.objects.counts_for(letter)["total"] == 3


def test_the_banner_shows_on_every_page(client, letter):
    SiteSettings(banner="Maintenance tonight at 22:00 UTC.").save_and_apply()

    for url in ["/", "/letters/ai-risk/", "/privacy/", "/how-we-verify/"]:
        assertContains(
            client.get(url),
            '<div class="site-banner" role="status"><div class="wrap">'
            "<p>Maintenance tonight at 22:00 UTC.</p></div></div>",
            html=True,
        )


def test_no_banner_without_text(client, letter):
    assertNotContains(client.get("/"), "site-banner")


def test_the_form_has_no_challenge_unless_switched_on(client, letter):
    assertNotContains(client.get("/letters/ai-risk/"), "altcha")


def challenge_from(page):
    """The challenge the page's widget carries, as the widget reads it."""
    found = re.search(r'challengejson="([^"]+)"', page.text)
    assert found, "no challenge in the page"
    return json.loads(html.unescape(found.group(1)))


def solve(challenge):
    """What the widget posts: the solution as base64 JSON (the browser's work, done here)."""
    solution = altcha.solve_challenge(
        challenge["challenge"],
        challenge["salt"],
        challenge["algorithm"],
        challenge["max_number"],
        0,
    )
    payload = {
        "algorithm": challenge["algorithm"],
        "challenge": challenge["challenge"],
        "number": solution.number,
        "salt": challenge["salt"],
        "signature": challenge["signature"],
    }
    return base64.b64encode(json.dumps(payload).encode()).decode()


@pytest.fixture
def challenged(letter):
    letter.challenge_required = True
    letter.save()
    return letter


def test_a_challenged_letter_serves_the_widget_from_our_own_static_files(client, challenged):
    page = client.get("/letters/ai-risk/")

    assertContains(page, '<script async defer src="/static/altcha/altcha.min.js" type="module">')
    assertContains(
        page, '<link id="__altcha-css" rel="stylesheet" href="/static/altcha/altcha.css">'
    )
    assertContains(page, 'workerurl="http://testserver/static/altcha/worker.js"')
    assert "'unsafe-inline'" not in page["Content-Security-Policy"]


def test_a_solved_challenge_signs_once_and_cannot_be_replayed(client, challenged):
    payload = solve(challenge_from(client.get("/letters/ai-risk/")))

    first = client.post("/letters/ai-risk/sign/", sign_data(altcha=payload))
    replay = client.post(
        "/letters/ai-risk/sign/", sign_data(email="other@example.org", altcha=payload)
    )

    assert first.status_code == 303
    assertContains(replay, "The verification did not complete.", status_code=400)
    assert list(Signature.objects.values_list("email", flat=True)) == ["ada.quinn@example.org"]


@pytest.mark.parametrize("altcha_value", [None, "", "bm90IGpzb24=", "%%%"])
def test_a_missing_or_forged_solution_is_refused_with_a_message(client, challenged, altcha_value):
    response = client.post("/letters/ai-risk/sign/", sign_data(altcha=altcha_value))

    assert response.status_code == 400
    assert re.search(r"Tick the (verification )?box", response.text)
    assert Signature.objects.count() == 0


def test_the_site_switch_challenges_every_letter(client, letter):
    SiteSettings(challenge_required=True).save_and_apply()

    response = client.post("/letters/ai-risk/sign/", sign_data())

    assert response.status_code == 400
    assert Signature.objects.count() == 0


def test_our_copies_of_the_widget_stylesheet_and_worker_match_the_installed_package():
    # After upgrading django-altcha, run `uv run python -m tools.altcha_assets`.
    assert {name: (OUTPUT / name).read_text() for name in assets()} == assets()


def test_an_operator_pauses_signing_in_the_admin_without_a_deploy(client, letter, admin_user):
    client.force_login(admin_user)

    saved = client.post(
        "/admin/signatories/sitesettings/add/",
        {"signing_paused": "on", "banner": "Signing paused while we investigate.", "ip_burst": "5"},
    )

    assert saved.status_code == 302
    page = client.get("/letters/ai-risk/")
    assertContains(page, "Signing is paused for the moment.")
    assertContains(page, "Signing paused while we investigate.")
    assert SiteSettings.current().limits()["ip_burst"] == 5
    # One row only: the add page is gone once it exists.
    assert client.get("/admin/signatories/sitesettings/add/").status_code == 403


def test_an_operator_lists_a_shared_network_in_the_admin(client, letter, admin_user):
    client.force_login(admin_user)

    bad = client.post(
        "/admin/signatories/sharednetwork/add/", {"cidr": "campus", "description": "Campus"}
    )
    good = client.post(
        "/admin/signatories/sharednetwork/add/",
        {"cidr": "192.0.2.0/24", "description": "Conference Wi-Fi"},
    )

    assertContains(bad, "Enter an IP address or a CIDR such as 192.0.2.0/24.")
    assert good.status_code == 302
    assert SharedNetwork.contains(ipaddress.ip_address("192.0.2.77"))
