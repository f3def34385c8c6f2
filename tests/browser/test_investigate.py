"""An owner investigates a flood in the browser: search, preview, hide with a reason, progress."""

import pytest
from playwright.sync_api import expect

from signatories.models import Signature
from tests.browser.conftest import assert_accessible, log_in
from tests.builders import make_letter, make_organizer, make_signature

pytestmark = pytest.mark.browser


def test_owner_finds_a_flood_and_hides_it(live_server, page):
    letter = make_letter(slug="ai-risk")
    owner = make_organizer(letter, role="owner")
    for n in range(3):
        make_signature(
            letter, name=f"Bot {n}", email=f"bot{n}@spam.example", client_ip="203.0.113.5"
        )
    make_signature(letter, name="Ada Quinn", client_ip="198.51.100.7")
    log_in(page, live_server, owner)

    page.goto(f"{live_server.url}/organize/ai-risk/")
    page.get_by_role("link", name="Investigate").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Investigate")
    page.get_by_label("Client address or network").fill("203.0.113.0/24")
    page.get_by_role("button", name="Search").click()
    expect(page.locator('[data-total="found"]')).to_have_text("3")
    expect(page.locator("tbody tr")).to_have_count(3)
    assert_accessible(page)

    page.get_by_role("link", name="Hide these signatures…").click()
    expect(page.get_by_role("main")).to_contain_text(
        "This will hide 3 signatures, 3 of them counted now"
    )
    assert_accessible(page)
    page.get_by_label("Reason").fill("Scripted flood from one address")
    page.get_by_role("button", name="Hide 3 signatures").click()

    expect(page.get_by_role("main")).to_contain_text("Finished: 3 signatures hidden.")
    assert_accessible(page)
    assert sorted(Signature.objects.counted().values_list("name", flat=True)) == ["Ada Quinn"]
