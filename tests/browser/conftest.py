"""Browser tests: Debian's Chromium driven by Playwright, with an accessibility scan per page.

The browser is Debian's package, never one downloaded by `playwright install`: the machines
that run these tests reach no download host.
"""

import os
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.test import Client
from playwright.sync_api import sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
]
# Long enough for a slow CI machine, short enough that a missing element fails in seconds
# rather than after Playwright's default of half a minute.
TIMEOUT_MS = 10_000
BLOCKING_IMPACTS = {"serious", "critical"}
BROWSER_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items):
    # Every test under tests/browser carries the marker, so `-m "not browser"` skips them all,
    # including modules added later that forget to say so.
    for item in items:
        if BROWSER_DIR in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: install Debian's chromium package to run browser tests."
        # CI must not pass by skipping the journeys it exists to check.
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser):
    """Open pages in fresh contexts (no cookies or storage shared between tests)."""
    contexts = []

    def open_page(**context_options):
        context = browser.new_context(**context_options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


_axe = Axe()


def assert_accessible(page):
    """Fail listing every serious or critical axe-core violation on the page as it is now."""
    results = _axe.run(page)
    blocking = [v for v in results.response["violations"] if v["impact"] in BLOCKING_IMPACTS]
    if blocking:
        lines = [f"{len(blocking)} serious or critical accessibility violation(s) on {page.url}:"]
        for violation in blocking:
            lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
            for node in violation["nodes"]:
                lines.append(f"    at {', '.join(map(str, node['target']))}")
        pytest.fail("\n".join(lines), pytrace=False)


def log_in(page, live_server, user):
    """The browser carries a session made by Django's test client for this user."""
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )


@pytest.fixture(autouse=True)
def no_shared_cache(settings):
    """Journeys read their own writes at once (sign, confirm, then see the name); the few
    seconds anonymous pages and counts are cached for are tested in tests/test_page_cache.py."""
    settings.PAGE_CACHE_SECONDS = 0
    settings.COUNT_CACHE_SECONDS = 0
