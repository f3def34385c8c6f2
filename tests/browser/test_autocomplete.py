"""Choosing an organization for the affiliation field: with the keyboard through the
suggestions, and without JavaScript by typing its exact name."""

import pytest
from playwright.sync_api import expect

from signatories.models import Organization, Signature
from tests.browser.conftest import assert_accessible
from tests.builders import make_letter, make_organization

pytestmark = pytest.mark.browser


@pytest.fixture
def organizations(live_server):
    queensland = make_organization(
        name="University of Queensland", ror_id="00rqy9422", aliases=["UQ"]
    )
    tasmania = make_organization(
        name="University of Tasmania", ror_id="01nfmeh72", domains=("utas.edu.au",)
    )
    # Merged into another university: still in the registry, never offered.
    ballarat = make_organization(name="University of Ballarat", ror_id="05bllrt01", domains=())
    ballarat.status = Organization.Status.INACTIVE
    ballarat.save(update_fields=["status"])
    return {"queensland": queensland, "tasmania": tasmania}


@pytest.fixture
def letter(live_server, organizations):
    return make_letter(title="Assess AI risk with science", slug="ai-risk")


def fill_the_rest(page):
    page.get_by_label("Full name").fill("Ada Quinn")
    page.get_by_label("Email").fill("a.quinn@uq.edu.au")
    page.get_by_label("Role").fill("Professor of Statistics")


def test_choose_an_organization_with_the_keyboard(live_server, page, letter, organizations):
    page.goto(f"{live_server.url}/letters/ai-risk/")
    affiliation = page.get_by_role("combobox", name="Affiliation")
    listbox = page.get_by_role("listbox", name="Organizations")
    hidden = page.locator('input[type="hidden"][name="organization"]')
    # The form's own live region: the page may have others, such as a live count.
    announcement = page.locator("#sign").get_by_role("status")
    expect(affiliation).to_have_attribute("aria-expanded", "false")
    expect(listbox).to_be_hidden()

    affiliation.press_sequentially("univ")

    expect(listbox).to_be_visible()
    expect(affiliation).to_have_attribute("aria-expanded", "true")
    options = listbox.get_by_role("option")
    # Shortest name first; the inactive University of Ballarat is never suggested.
    expect(options).to_have_text(["University of Tasmania · AU", "University of Queensland · AU"])
    expect(announcement).to_have_text("2 suggestions. Use up and down arrows to choose.")
    assert_accessible(page)

    affiliation.press("ArrowDown")
    affiliation.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    expect(options.nth(0)).to_have_attribute("aria-selected", "false")
    option_id = options.nth(1).get_attribute("id")
    expect(affiliation).to_have_attribute("aria-activedescendant", option_id)
    affiliation.press("Enter")

    # Enter chose the suggestion and did not submit the form.
    expect(affiliation).to_have_value("University of Queensland")
    expect(hidden).to_have_value("00rqy9422")
    expect(listbox).to_be_hidden()
    expect(affiliation).to_have_attribute("aria-expanded", "false")
    expect(announcement).to_have_text("University of Queensland selected.")
    expect(page).to_have_url(f"{live_server.url}/letters/ai-risk/")

    # Typing again means the signer no longer claims the chosen organization.
    affiliation.press("Backspace")
    expect(hidden).to_have_value("")
    expect(options).to_have_text(["University of Queensland · AU"])
    expect(affiliation).to_have_attribute("aria-expanded", "true")
    affiliation.press("Escape")
    expect(listbox).to_be_hidden()
    expect(affiliation).to_have_attribute("aria-expanded", "false")
    assert affiliation.get_attribute("aria-activedescendant") is None
    expect(affiliation).to_have_value("University of Queenslan")

    # ArrowDown on a closed list opens it again.
    affiliation.press("ArrowDown")
    expect(options).to_have_text(["University of Queensland · AU"])
    affiliation.press("ArrowDown")
    affiliation.press("Enter")
    expect(affiliation).to_have_value("University of Queensland")
    expect(hidden).to_have_value("00rqy9422")

    fill_the_rest(page)
    page.get_by_role("button", name="Sign the letter").click()

    expect(page).to_have_url(f"{live_server.url}/letters/ai-risk/check-email/")
    signature = Signature.objects.get()
    assert (signature.affiliation, signature.organization) == (
        "University of Queensland",
        organizations["queensland"],
    )


@pytest.mark.parametrize(
    ("typed", "chosen"),
    [
        pytest.param("University of Tasmania", "tasmania", id="name"),
        pytest.param("uq", "queensland", id="alias-any-case"),
    ],
)
def test_without_javascript_an_exact_name_selects_the_organization(
    live_server, new_page, letter, organizations, typed, chosen
):
    page = new_page(java_script_enabled=False)
    page.goto(f"{live_server.url}/letters/ai-risk/")
    affiliation = page.get_by_role("textbox", name="Affiliation")
    expect(affiliation).not_to_have_attribute("role", "combobox")

    affiliation.fill(typed)
    fill_the_rest(page)
    page.get_by_role("button", name="Sign the letter").click()

    expect(page).to_have_url(f"{live_server.url}/letters/ai-risk/check-email/")
    signature = Signature.objects.get()
    assert (signature.affiliation, signature.organization) == (typed, organizations[chosen])


def test_how_we_verify_explains_each_level(live_server, page, letter):
    page.goto(f"{live_server.url}/letters/ai-risk/")
    page.get_by_role("navigation", name="Site").get_by_role("link", name="How we verify").click()

    expect(page).to_have_url(f"{live_server.url}/how-we-verify/")
    expect(page).to_have_title("How we verify signatures · Undersigned")
    expect(page.get_by_role("heading", level=1)).to_have_text("How we verify signatures")
    levels = page.locator(".levels dt")
    expect(levels).to_have_text(
        [
            "Confirmed email",
            "Institutional email · Organization",
            "ORCID",
            "Checked by an organizer",
        ]
    )
    explanations = page.locator(".levels dd")
    expect(explanations).to_have_count(4)
    for i in range(4):
        expect(explanations.nth(i)).to_contain_text("Proves:")
        expect(explanations.nth(i)).to_contain_text("Does not prove:")
    assert_accessible(page)
