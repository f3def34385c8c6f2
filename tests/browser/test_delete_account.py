"""An organizer deletes their account as a person does: from the account pages, with the
password asked again, and an email to say it is done."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.cache import cache
from playwright.sync_api import expect

from letters.models import Letter, Organizer
from tests.browser.conftest import assert_accessible
from tests.browser.test_account_journey import EMAIL, PASSWORD, log_in_with_password, watch_csp
from tests.builders import make_account, make_letter

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def fast_and_fresh(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()


def test_an_organizer_deletes_their_account_once_the_last_letter_has_another_owner(
    live_server, page
):
    blocked = watch_csp(page)
    ada = make_account(EMAIL, password=PASSWORD)
    grace = make_account("grace@example.org")
    letter = make_letter(title="Assess AI risk with science", slug="ai-risk")
    Organizer.objects.create(letter=letter, user=ada, role="owner")
    Organizer.objects.create(letter=letter, user=grace, role="editor")
    draft = make_letter(title="A lone draft", slug="lone-draft", publish=False)
    Organizer.objects.create(letter=draft, user=ada, role="owner")
    header = page.get_by_role("banner")
    main = page.get_by_role("main")

    page.goto(live_server.url + "/accounts/login/")
    log_in_with_password(page)
    header.get_by_text("Account", exact=True).click()
    header.get_by_role("link", name="Email addresses").click()
    main.get_by_role("navigation", name="Your account").get_by_role(
        "link", name="Delete your account"
    ).click()

    # The last owner of a published letter is sent to make someone else owner first.
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete your account")
    assert_accessible(page)
    expect(main.get_by_role("button", name="Delete my account")).to_have_count(0)
    main.get_by_role("link", name="Assess AI risk with science").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Organizers")
    main.get_by_label("Role of grace@example.org").select_option("owner")
    main.get_by_role("row").filter(has_text="grace@example.org").get_by_role(
        "button", name="Change role"
    ).click()
    expect(page.get_by_role("status")).to_contain_text("Role changed.")

    page.goto(live_server.url + "/accounts/delete/")
    expect(main.get_by_role("list").filter(has_text="A lone draft")).to_be_visible()
    assert_accessible(page)
    # The box must be ticked: the browser says so before anything is sent.
    main.get_by_role("button", name="Delete my account").click()
    expect(page).to_have_url(live_server.url + "/accounts/delete/")
    main.get_by_label("I understand that my account cannot be brought back.").check()
    main.get_by_role("button", name="Delete my account").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm Access")
    main.get_by_label("Password").fill(PASSWORD)
    main.get_by_role("button", name="Confirm").click()

    expect(page).to_have_url(live_server.url + "/")
    expect(page.get_by_role("status")).to_contain_text("Your account is deleted.")
    expect(header.get_by_role("link", name="Log in")).to_be_visible()
    assert not get_user_model().objects.filter(email=EMAIL).exists()
    assert list(Letter.objects.values_list("slug", flat=True)) == ["ai-risk"]
    assert list(letter.organizers.values_list("user__email", flat=True)) == ["grace@example.org"]
    assert [(m.to, m.subject) for m in mail.outbox] == [
        ([EMAIL], "[Undersigned] Your account is deleted")
    ]
    assert blocked == []
