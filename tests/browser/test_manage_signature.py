"""A signer manages their signature through the emailed manage link: name only, then withdraw."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from signatories.models import Signature
from tests.browser.conftest import assert_accessible
from tests.browser.test_sign_journey import fill_sign_form
from tests.builders import make_letter, make_signature

pytestmark = pytest.mark.browser


@pytest.fixture
def letter(live_server, settings):
    settings.SITE_URL = live_server.url
    return make_letter(title="Assess AI risk with science", slug="ai-risk")


def test_sign_confirm_show_name_only_then_withdraw(live_server, page, letter):
    make_signature(letter, name="Grace Early", affiliation="Early Institute")
    page.goto(f"{live_server.url}/letters/ai-risk/")
    fill_sign_form(
        page,
        name="Ada Quinn",
        email="ada.quinn@example.org",
        affiliation="Example University",
        role="Professor of Statistics",
    )
    page.get_by_role("button", name="Sign the letter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    confirm_link = re.search(re.escape(live_server.url) + r"/\S+/confirm/\S+/", mail.outbox[0].body)
    page.goto(confirm_link[0])
    page.get_by_role("button", name="Confirm my signature").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Thank you, your signature is confirmed"
    )

    # The manage link comes by email, separate from the confirmation link.
    manage_email = mail.outbox[1]
    assert manage_email.to == ["ada.quinn@example.org"]
    assert manage_email.subject == "Manage your signature on “Assess AI risk with science”"
    manage_link = re.search(
        re.escape(live_server.url) + r"/\S+/manage/[^/\s]+/", manage_email.body
    )[0]
    page.goto(manage_link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Manage your signature")
    expect(page.get_by_label("My name with my affiliation and role")).to_be_checked()
    assert_accessible(page)

    page.get_by_label("My name only").check()
    page.get_by_role("button", name="Save my choices").click()
    expect(page.get_by_role("status")).to_have_text("Your choices are saved.")
    expect(page.get_by_label("My name only")).to_be_checked()
    assert_accessible(page)

    page.goto(f"{live_server.url}/letters/ai-risk/signatories/")
    ada = page.locator(".signatory-list .signatory").filter(has_text="Ada Quinn")
    expect(ada).to_have_count(1)
    expect(ada).not_to_contain_text("Example University")
    expect(ada).not_to_contain_text("Professor of Statistics")
    expect(
        page.locator(".signatory-list .signatory").filter(has_text="Grace Early")
    ).to_contain_text("Early Institute")

    page.goto(f"{live_server.url}/letters/ai-risk/")
    expect(page.locator('[data-count="total"]')).to_have_text("2")

    page.goto(manage_link)
    page.get_by_role("link", name="Withdraw my signature…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Withdraw your signature")
    assert_accessible(page)
    assert Signature.objects.get(email="ada.quinn@example.org").withdrawn_at is None
    page.get_by_role("button", name="Yes, withdraw my signature").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your signature is withdrawn")
    assert_accessible(page)

    page.goto(f"{live_server.url}/letters/ai-risk/")
    expect(page.locator('[data-count="total"]')).to_have_text("1")
    page.goto(f"{live_server.url}/letters/ai-risk/signatories/")
    expect(page.locator(".signatory-list .signatory__name")).to_have_text(["Grace Early"])

    page.goto(manage_link)
    expect(page.get_by_role("heading", level=1)).to_have_text("No signature to manage")
    assert_accessible(page)


def test_asking_for_the_manage_link_from_the_letter_page(live_server, page, letter):
    make_signature(letter, name="Bo Later", email="bo@example.org")
    page.goto(f"{live_server.url}/letters/ai-risk/")

    page.get_by_role("link", name="Already signed? Manage your signature").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Manage your signature")
    assert_accessible(page)
    page.get_by_label("The email address you signed with").fill("bo@example.org")
    page.get_by_role("button", name="Email me the link").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    assert_accessible(page)
    (message,) = mail.outbox
    assert message.to == ["bo@example.org"]
    page.goto(re.search(re.escape(live_server.url) + r"/\S+/manage/[^/\s]+/", message.body)[0])
    expect(page.locator(".signatory__name")).to_have_text("Bo Later")
