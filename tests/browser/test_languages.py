"""Reading and signing in German, with the keyboard alone: the header's switcher, then the form."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from signatories.models import Level, Signature
from tests.browser.conftest import assert_accessible
from tests.builders import make_letter, make_signature

pytestmark = pytest.mark.browser

GERMAN_TITLE = "KI-Risiken wissenschaftlich bewerten"


@pytest.fixture
def letter(live_server, settings):
    settings.SITE_URL = live_server.url
    letter = make_letter(title="Assess AI risk with science", slug="ai-risk")
    letter.current_revision.translate(
        language="de",
        title=GERMAN_TITLE,
        summary="Eine kurze Zusammenfassung.",
        body="Wir fordern **Belege**.\n\n1. Veröffentlichte Methoden\n",
    )
    make_signature(letter, name="Grace Early", affiliation="Early Institute", level=Level.DOMAIN)
    return letter


def tab_to(page, target, limit=80):
    """Press Tab until `target` has the focus, as a keyboard user moves through the page."""
    for _ in range(limit):
        if target.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {target}")


def test_switch_to_german_and_sign_with_the_keyboard_alone(live_server, page, letter):
    page.goto(f"{live_server.url}/letters/ai-risk/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Assess AI risk with science")

    language = page.get_by_label("Language")
    tab_to(page, language)
    expect(language).to_be_focused()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(language).to_have_value("de")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Change")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page).to_have_url(f"{live_server.url}/letters/ai-risk/")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page).to_have_title(f"{GERMAN_TITLE} · Undersigned")
    expect(page.get_by_role("heading", level=1)).to_have_text(GERMAN_TITLE)
    expect(page.locator("article.letter")).to_have_attribute("lang", "de")
    expect(page.locator(".translation-notice")).to_have_text(
        "Inoffizielle Übersetzung – maßgeblich ist allein der englische Text. "
        "Den maßgeblichen englischen Text lesen"
    )
    expect(
        page.get_by_role("navigation", name="Fassungen dieses Briefes").get_by_role("link")
    ).to_have_text(["English", "Deutsch"])
    expect(page.get_by_label("Sprache")).to_have_value("de")
    assert_accessible(page)

    call_to_sign = page.get_by_role("link", name="Diesen Brief unterzeichnen")
    tab_to(page, call_to_sign)
    page.keyboard.press("Enter")
    # Following the link moves the keyboard to the form: the next Tab lands on its first field.
    page.keyboard.press("Tab")
    expect(page.get_by_label("Vollständiger Name")).to_be_focused()
    page.keyboard.type("Ada Quinn")
    page.keyboard.press("Tab")
    expect(page.get_by_label("E-Mail-Adresse")).to_be_focused()
    page.keyboard.type("ada.quinn@example.org")
    page.keyboard.press("Tab")
    page.keyboard.type("Example University")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Funktion")).to_be_focused()
    page.keyboard.type("Professorin für Statistik")
    submit = page.get_by_role("button", name="Brief unterzeichnen")
    tab_to(page, submit)
    page.keyboard.press("Enter")

    expect(page).to_have_url(f"{live_server.url}/letters/ai-risk/check-email/")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bitte prüfen Sie Ihre E-Mails")
    assert_accessible(page)
    signature = Signature.objects.get(email="ada.quinn@example.org")
    assert (signature.name, signature.role, signature.language) == (
        "Ada Quinn",
        "Professorin für Statistik",
        "de",
    )
    (message,) = mail.outbox
    assert message.subject == "Bestätigen Sie Ihre Unterschrift unter „Assess AI risk with science“"

    page.goto(re.search(r"http://\S+/confirm/\S+/", message.body)[0])
    expect(page.get_by_role("heading", level=1)).to_have_text("Bestätigen Sie Ihre Unterschrift")
    confirm = page.get_by_role("button", name="Meine Unterschrift bestätigen")
    tab_to(page, confirm)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Vielen Dank, Ihre Unterschrift ist bestätigt"
    )
    assert_accessible(page)

    # Another language, from the confirmed page: the signer's own manage page opens in it.
    page.get_by_label("Sprache").select_option("en")
    page.locator(".language-form__button").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Manage your signature")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert Signature.from_manage_token(page.url.rstrip("/").rsplit("/", 1)[1]) == signature


def test_german_pages_fit_a_phone_with_the_switcher(live_server, new_page, letter):
    page = new_page(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        locale="de-DE",
    )

    page.goto(f"{live_server.url}/letters/ai-risk/")

    # The browser's own language chose German before any switch.
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", level=1)).to_have_text(GERMAN_TITLE)
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    expect(page.get_by_label("Sprache")).to_be_in_viewport()
    assert_accessible(page)
