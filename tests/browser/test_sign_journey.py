"""Signing a letter as a person does it: in a browser, with the keyboard, then by email."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from signatories.models import Level, Signature
from tests.browser.conftest import assert_accessible
from tests.builders import LETTER_BODY, make_letter, make_signature

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def letter(live_server, settings):
    # Confirmation emails link to SITE_URL; here that must be the server the browser talks to.
    settings.SITE_URL = live_server.url
    return make_letter(title="Assess AI risk with science", slug="ai-risk")


def fill_sign_form(page, *, name, email, affiliation, role):
    page.get_by_label("Full name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Affiliation").fill(affiliation)
    page.get_by_label("Role").fill(role)


def test_sign_and_confirm_by_email(live_server, page, letter):
    make_signature(letter, name="Grace Early", affiliation="Early Institute")
    make_signature(letter, name="Hal Second", affiliation="Second Lab")
    make_signature(letter, name="Pat Pending", level=Level.PENDING)

    page.goto(live_server.url + "/")
    expect(page).to_have_title("Open letters · Undersigned")
    expect(page.get_by_role("heading", level=1)).to_have_text("Open letters")
    assert_accessible(page)

    page.get_by_role("link", name="Assess AI risk with science").click()
    expect(page).to_have_url(f"{live_server.url}/letters/ai-risk/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Assess AI risk with science")
    expect(page.locator(".letter__body")).to_contain_text("We call for evidence.")
    expect(page.locator(".letter__body li")).to_have_text(
        ["Published methods", "Independent replication"]
    )
    expect(page.locator('[data-count="total"]')).to_have_text("2")
    assert_accessible(page)

    fill_sign_form(
        page,
        name="Ada Quinn",
        email="ada.quinn@example.org",
        affiliation="Example University",
        role="Professor of Statistics",
    )
    public = page.get_by_label("List my name publicly")
    expect(public).to_be_checked()
    public.focus()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Sign the letter")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page).to_have_url(f"{live_server.url}/letters/ai-risk/check-email/")
    expect(page).to_have_title("Check your email · Undersigned")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    assert_accessible(page)
    signature = Signature.objects.get(email="ada.quinn@example.org")
    assert (signature.name, signature.level, signature.public) == ("Ada Quinn", Level.PENDING, True)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ada.quinn@example.org"]
    assert message.subject == "Confirm your signature on “Assess AI risk with science”"
    links = re.findall(re.escape(live_server.url) + r"/letters/ai-risk/confirm/\S+/", message.body)
    assert len(links) == 1

    page.goto(links[0])
    expect(page).to_have_title("Confirm your signature · Undersigned")
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your signature")
    expect(page.locator(".signatory__name")).to_have_text("Ada Quinn")
    assert_accessible(page)
    # Only the button confirms: opening the link, as a mail scanner would, changes nothing.
    signature.refresh_from_db()
    assert signature.level == Level.PENDING

    page.get_by_role("button", name="Confirm my signature").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Thank you, your signature is confirmed"
    )
    assert_accessible(page)
    signature.refresh_from_db()
    assert signature.level == Level.CONFIRMED

    page.get_by_role("main").get_by_role("link", name="Assess AI risk with science").click()
    expect(page).to_have_url(f"{live_server.url}/letters/ai-risk/")
    expect(page.locator('[data-count="total"]')).to_have_text("3")
    expect(page.locator(".recent .signatory__name").first).to_have_text("Ada Quinn")

    page.get_by_role("link", name="See all signatories").click()
    expect(page).to_have_url(f"{live_server.url}/letters/ai-risk/signatories/")
    expect(page.locator(".signatory-list .signatory__name")).to_have_text(
        ["Ada Quinn", "Hal Second", "Grace Early"]
    )
    expect(page.locator(".signatory-list .signatory").first).to_contain_text(
        "Professor of Statistics, Example University"
    )
    assert_accessible(page)


def test_invalid_form_shows_errors_and_keeps_values(live_server, page, letter):
    page.goto(f"{live_server.url}/letters/ai-risk/")

    fill_sign_form(
        page,
        name="Ada Quinn",
        email="ada.quinn@",
        affiliation="Example University",
        role="",
    )
    page.get_by_label("Role").press("Enter")

    summary = page.get_by_role("alert")
    expect(summary.get_by_role("heading")).to_have_text("Please correct the following")
    expect(summary.get_by_role("link")).to_have_text(
        ["Email: Enter a valid email address.", "Role: This field is required."]
    )
    email_error = summary.get_by_role("link", name="Email: Enter a valid email address.")
    expect(email_error).to_have_attribute("href", "#id_email")
    email = page.get_by_label("Email")
    role = page.get_by_label("Role")
    expect(email).to_have_accessible_name(re.compile(r"Enter a valid email address\."))
    expect(role).to_have_accessible_name(re.compile(r"This field is required\."))
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(role).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Full name")).to_have_value("Ada Quinn")
    expect(email).to_have_value("ada.quinn@")
    expect(page.get_by_label("Affiliation")).to_have_value("Example University")
    expect(role).to_have_value("")
    expect(page.get_by_label("List my name publicly")).to_be_checked()
    assert_accessible(page)
    assert Signature.objects.count() == 0
    assert mail.outbox == []


# Letters quote reports by their full address and sometimes show a line of code; neither may
# widen the page on a phone.
LONG_CONTENT = (
    LETTER_BODY
    + "\nSee <https://www.example.org/reports/2025/AssessingFrontierAIRiskWithScienceFinal.pdf>.\n"
    + "\n```\nassess(model, evaluations=published_benchmarks, replications=independent)\n```\n"
)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(LETTER_BODY, id="plain-text"),
        pytest.param(LONG_CONTENT, id="long-link-and-code"),
    ],
)
def test_letter_page_fits_a_phone(live_server, new_page, body):
    make_letter(slug="on-a-phone", body=body)
    page = new_page(viewport=PHONE, is_mobile=True, has_touch=True)

    page.goto(f"{live_server.url}/letters/on-a-phone/")

    scroll_width = page.evaluate("document.scrollingElement.scrollWidth")
    assert scroll_width <= PHONE["width"]
    page.get_by_role("link", name="Sign this letter").click()
    expect(page.get_by_role("heading", name="Sign this letter")).to_be_in_viewport()
    page.get_by_label("Full name").fill("Ada Quinn")
    button = page.get_by_role("button", name="Sign the letter")
    button.scroll_into_view_if_needed()
    expect(button).to_be_in_viewport()
    box = button.bounding_box()
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= PHONE["width"]
    assert_accessible(page)
