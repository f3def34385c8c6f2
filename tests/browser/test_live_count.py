"""The letter page's count moving on its own, and the widget on someone else's page."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from signatories.models import Level
from tests.browser.conftest import assert_accessible
from tests.builders import make_letter, make_signature

pytestmark = pytest.mark.browser

# The page polls about every second here; a slow machine gets several polls' grace.
LIVE_TIMEOUT_MS = 10_000


@pytest.fixture
def letter(live_server, settings):
    settings.SITE_URL = live_server.url
    settings.LIVE_COUNT_INTERVAL_SECONDS = 1
    letter = make_letter(title="Assess AI risk with science", slug="ai-risk")
    make_signature(letter, name="Grace Early")
    return letter


def count_requests(page):
    """The count polls the page sends, as they are sent."""
    requests = []
    page.on("request", lambda request: request.url.endswith("/count") and requests.append(1))
    return requests


def test_count_updates_without_reloading(live_server, page, letter):
    page.goto(f"{live_server.url}/letters/ai-risk/")
    expect(page.locator('[data-count="total"]')).to_have_text("1")
    page.get_by_text("Embed this letter").click()
    expect(page.get_by_label("Badge (Markdown)")).to_be_visible()
    assert_accessible(page)
    with page.expect_response(lambda response: response.url.endswith("/count")):
        pass
    # A poll that changes nothing says nothing to a screen reader.
    expect(page.locator("[data-count-announce]")).to_have_text("")
    page.evaluate("window.sameDocument = true")

    make_signature(letter, name="Hal Second", level=Level.DOMAIN)

    expect(page.locator('[data-count="total"]')).to_have_text("2", timeout=LIVE_TIMEOUT_MS)
    expect(page.locator('[data-count="domain"]')).to_have_text("1")
    expect(page.locator(".counts__headline")).to_have_text("2 confirmed signatures")
    expect(page.locator("[data-count-announce]")).to_have_text("2 confirmed signatures")
    assert page.evaluate("window.sameDocument") is True


def test_polling_pauses_while_the_tab_is_hidden(live_server, page, letter):
    requests = count_requests(page)
    with page.expect_response(lambda response: response.url.endswith("/count")):
        page.goto(f"{live_server.url}/letters/ai-risk/")

    # Headless Chromium never hides a tab on its own; tell the page its tab went away.
    page.evaluate(
        """() => {
            Object.defineProperty(document, "hidden", {configurable: true, get: () => true});
            document.dispatchEvent(new Event("visibilitychange"));
        }"""
    )
    page.wait_for_timeout(500)
    polled_while_visible = len(requests)
    # Visible, it would poll two or three times in this while.
    page.wait_for_timeout(3000)
    assert len(requests) == polled_while_visible

    make_signature(letter, name="Hal Second")
    page.evaluate(
        """() => {
            Object.defineProperty(document, "hidden", {configurable: true, get: () => false});
            document.dispatchEvent(new Event("visibilitychange"));
        }"""
    )
    expect(page.locator('[data-count="total"]')).to_have_text("2", timeout=LIVE_TIMEOUT_MS)


@pytest.fixture
def supporter_site(live_server):
    """Another site, on its own origin, whose page frames the widget and the letter page.

    A real server on the same machine: Chromium refuses to let a page it cannot place on the
    network (one Playwright fulfils itself) frame a local one.
    """
    page = f"""<!doctype html><html lang="en"><title>A supporter</title>
        <iframe id="widget" title="Signatures" src="{live_server.url}/letters/ai-risk/embed/"
          width="320" height="280"></iframe>
        <iframe id="page" title="Letter" src="{live_server.url}/letters/ai-risk/"></iframe>
        </html>""".encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


def test_widget_works_inside_another_sites_page(live_server, page, letter, supporter_site):
    page.goto(supporter_site)

    widget = page.frame_locator("#widget")
    expect(widget.locator(".embed__total strong")).to_have_text("1")
    # Chromium refuses to show the letter page in a frame (frame-ancestors 'none').
    assert [frame.url for frame in page.frames[1:]] == [
        f"{live_server.url}/letters/ai-risk/embed/",
        "chrome-error://chromewebdata/",
    ]

    with page.context.expect_page() as opened:
        widget.get_by_role("link", name="Sign the letter").click()
    expect(opened.value).to_have_url(f"{live_server.url}/letters/ai-risk/#sign")


def test_widget_page_is_accessible(live_server, page, letter):
    page.goto(f"{live_server.url}/letters/ai-risk/embed/")

    expect(page.get_by_role("heading", level=1)).to_have_text("Assess AI risk with science")
    assert_accessible(page)
