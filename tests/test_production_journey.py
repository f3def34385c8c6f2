"""The production stack end to end: granian, the task worker, the database and real SMTP.

The tests act as an outside client that knows only the public interface in PRODUCT.md: they
speak HTTP with the standard library and read the email an SMTP server received. The database
is the test database, committed (transaction=True) so the servers in other processes see it.
"""

import contextlib
import email
import email.policy
import html
import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.core.management.utils import get_random_secret_key
from django.db import connection

from signatories.models import Signature
from tests.builders import make_letter, make_signature

BASE_DIR = Path(settings.BASE_DIR)
STARTUP_TIMEOUT = 30
MAIL_TIMEOUT = 30
HTTP_TIMEOUT = 10
STOP_TIMEOUT = 10
WEB_ARGS = ["--interface", "wsgi", "--host", "127.0.0.1", "--workers", "1"]
# A short poll interval keeps the tests quick; everything else is the worker's default.
WORKER_ARGS = ["manage.py", "db_worker", "--interval", "0.2", "--no-startup-delay"]

# The servers get only these from the developer's environment, plus the production values a
# test passes; a DATABASE_URL, EMAIL_URL or GRANIAN_* setting on the machine never leaks in.
INHERITED_VARIABLES = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR")

EMAIL = "Grace.Hopper@Example.ORG"
NAME = "Grace Hopper"


def production_env(variables):
    env = {name: os.environ[name] for name in INHERITED_VARIABLES if name in os.environ}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(variables)
    return env


def database_url(settings_dict):
    """A DATABASE_URL naming the database in settings_dict, for a server in another process."""
    engine = settings_dict["ENGINE"]
    if engine == "django.db.backends.sqlite3":
        return f"sqlite:///{settings_dict['NAME']}"
    if engine == "django.db.backends.postgresql":
        quote = urllib.parse.quote
        user = quote(settings_dict.get("USER") or "", safe="")
        password = quote(settings_dict.get("PASSWORD") or "", safe="")
        credentials = f"{user}:{password}@" if password else f"{user}@" if user else ""
        # A socket directory ("/var/run/postgresql") travels percent-encoded in the host part.
        host = quote(settings_dict.get("HOST") or "localhost", safe="")
        port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
        return f"postgres://{credentials}{host}{port}/{quote(settings_dict['NAME'], safe='')}"
    raise NotImplementedError(f"No DATABASE_URL for the {engine} engine.")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def granian_command():
    """The granian that belongs to this virtual environment."""
    script = Path(sys.executable).with_name("granian")
    return [str(script)] if script.exists() else [sys.executable, "-m", "granian"]


class SmtpSink:
    """An aiosmtpd handler that keeps every message it accepts, with its envelope recipients."""

    def __init__(self):
        self.port = None
        self._lock = threading.Lock()
        self._received = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self._received.append((tuple(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def messages_to(self, address):
        wanted = address.casefold()
        with self._lock:
            return [
                m for rcpt_tos, m in self._received if wanted in {r.casefold() for r in rcpt_tos}
            ]

    def wait_for(self, address, count):
        """The messages to `address` once there are `count` of them, polling for a bounded time."""
        deadline = time.monotonic() + MAIL_TIMEOUT
        while len(messages := self.messages_to(address)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{len(messages)} of {count} emails to {address} after {MAIL_TIMEOUT} s"
                )
            time.sleep(0.1)
        return messages


@dataclass
class Response:
    status: int
    headers: object
    content: bytes

    @property
    def text(self):
        return self.content.decode("utf-8")

    def json(self):
        return json.loads(self.content)


class NoRedirects(urllib.request.HTTPRedirectHandler):
    """Leave redirects to the test, so it sees the 303 itself."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class Client:
    """An outside HTTP client: standard library only, keeps cookies, never follows redirects."""

    def __init__(self, base_url):
        self.base_url = base_url
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), NoRedirects()
        )

    def request(self, method, url, data=None, headers=None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(
            urllib.parse.urljoin(self.base_url, url),
            data=body,
            method=method,
            headers=headers or {},
        )
        try:
            with self.opener.open(request, timeout=HTTP_TIMEOUT) as response:
                return Response(response.status, response.headers, response.read())
        except urllib.error.HTTPError as error:
            with error:
                return Response(error.code, error.headers, error.read())

    def get(self, url, headers=None):
        return self.request("GET", url, headers=headers)

    def post(self, url, data, headers=None):
        return self.request("POST", url, data=data, headers=headers)


def from_page(client):
    """The headers a browser sends with a form posted from one of the site's own pages."""
    return {"Origin": client.base_url, "Sec-Fetch-Site": "same-origin"}


def csrf_token(page):
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert match, "the page has no CSRF token"
    return match.group(1)


def email_links(message, site_url):
    """Links on the site in the message's text and HTML parts, except the site's home page.

    The footer names the site; the link to follow is the one that goes somewhere.
    """
    text = message.get_body(preferencelist=("plain",)).get_content()
    markup = message.get_body(preferencelist=("html",)).get_content()
    links = set(re.findall(r"https?://[^\s<>\"']+", text))
    links |= {html.unescape(href) for href in re.findall(r'href="([^"]+)"', markup)}
    return {
        link
        for link in links
        if link.startswith(site_url) and link not in {site_url, site_url + "/"}
    }


def api_counts(client, slug):
    response = client.get(f"/api/v1/letters/{slug}/")
    assert response.status == 200, response.text
    return response.json()["counts"]


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    log: Path

    def output(self, since=0):
        with self.log.open("rb") as log:
            log.seek(since)
            return log.read().decode("utf-8", "replace")

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=STOP_TIMEOUT)
        # Granian runs its workers as children; the server's own process group takes them too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=STOP_TIMEOUT)


def start_server(name, command, env, logs):
    log = logs / f"{name}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Server(name, process, log)


def wait_until_ready(url, servers):
    deadline = time.monotonic() + STARTUP_TIMEOUT
    pending = ["/healthz", "/readyz"]
    while pending:
        for server in servers:
            if server.process.poll() is not None:
                raise AssertionError(f"{server.name} exited early:\n{server.output()}")
        try:
            with urllib.request.urlopen(url + pending[0], timeout=2) as response:
                if response.status == 200 and response.read() == b"ok":
                    pending.pop(0)
                    continue
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            logs = "\n".join(f"--- {s.name}\n{s.output()}" for s in servers)
            raise AssertionError(f"{url}{pending[0]} not ready after {STARTUP_TIMEOUT} s\n{logs}")
        time.sleep(0.2)


@dataclass
class Site:
    url: str
    mail: SmtpSink
    servers: list


@pytest.fixture(scope="module")
def smtp_sink():
    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    sink.port = controller.port
    try:
        yield sink
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def running_site(django_db_setup, smtp_sink, tmp_path_factory):
    """granian and the task worker, configured only by environment, as in production."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    static_root = tmp_path_factory.mktemp("staticfiles")
    env = production_env(
        {
            "DEBUG": "0",
            "SECRET_KEY": get_random_secret_key(),
            "DATABASE_URL": database_url(connection.settings_dict),
            "SITE_URL": url,
            "ALLOWED_HOSTS": "127.0.0.1",
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_sink.port}",
            "TASKS_BACKEND": "database",
            "STATIC_ROOT": str(static_root),
            # The journey reads its own writes at once; the few seconds pages and counts are
            # cached for are tested in tests/test_page_cache.py and test_count_api.py.
            "PAGE_CACHE_SECONDS": "0",
            "COUNT_CACHE_SECONDS": "0",
        }
    )
    collected = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert collected.returncode == 0, collected.stderr

    logs = tmp_path_factory.mktemp("logs")
    servers = []
    try:
        web = [*granian_command(), *WEB_ARGS, "--port", str(port), "config.wsgi:application"]
        servers.append(start_server("granian", web, env, logs))
        servers.append(start_server("db_worker", [sys.executable, *WORKER_ARGS], env, logs))
        wait_until_ready(url, servers)
        yield Site(url, smtp_sink, servers)
    finally:
        for server in servers:
            server.stop()


@pytest.fixture
def site(running_site):
    """The running site; when a test fails, pytest shows what the servers logged during it."""
    offsets = {server.name: server.log.stat().st_size for server in running_site.servers}
    yield running_site
    for server in running_site.servers:
        state = (
            "running" if server.process.poll() is None else f"exited {server.process.returncode}"
        )
        print(f"--- {server.name} ({state})\n{server.output(offsets[server.name])}")


@pytest.mark.django_db(transaction=True)
def test_signer_confirms_by_email_and_is_counted_and_listed(site):
    letter = make_letter(slug="ai-risk")
    make_signature(letter, name="Alan Turing")
    client = Client(site.url)
    before = api_counts(client, letter.slug)
    assert before == {
        "total": 1,
        "by_level": {"confirmed": 1, "domain": 0, "orcid": 0, "organizer": 0},
    }

    page = client.get(f"/letters/{letter.slug}/")
    # The letter page is the same for every reader, so its form carries no CSRF token; the
    # browser's Sec-Fetch-Site and Origin say where the form came from.
    assert "csrfmiddlewaretoken" not in page.text
    signed = client.post(
        f"/letters/{letter.slug}/sign/",
        {
            "name": NAME,
            "email": EMAIL,
            "affiliation": "Yale University",
            "role": "Computer scientist",
            "public": "on",
        },
        headers=from_page(client),
    )

    assert signed.status == 303, signed.text
    check_email = client.get(signed.headers["Location"])
    assert check_email.status == 200
    assert "Check your email" in check_email.text
    # Pending signatures are neither counted nor shown.
    assert api_counts(client, letter.slug) == before
    assert NAME not in client.get(f"/letters/{letter.slug}/signatories/").text

    [message] = site.mail.wait_for(EMAIL, 1)
    assert [address.addr_spec.casefold() for address in message["To"].addresses] == [
        EMAIL.casefold()
    ]
    assert letter.title in message["Subject"]
    [link] = email_links(message, site.url)

    confirm_page = client.get(link)
    assert confirm_page.status == 200, confirm_page.text
    assert "Confirm my signature" in confirm_page.text
    confirmed = client.post(link, {"csrfmiddlewaretoken": csrf_token(confirm_page)})

    assert confirmed.status == 200, confirmed.text
    assert "Thank you, your signature is confirmed" in confirmed.text
    after = api_counts(client, letter.slug)
    assert after == {
        "total": before["total"] + 1,
        "by_level": {**before["by_level"], "confirmed": before["by_level"]["confirmed"] + 1},
    }
    public_responses = {
        url: client.get(url)
        for url in [
            f"/letters/{letter.slug}/",
            f"/letters/{letter.slug}/signatories/",
            f"/letters/{letter.slug}/signatories/?q=Hopper",
            f"/letters/{letter.slug}/signatories.csv",
            f"/api/v1/letters/{letter.slug}/",
            "/api/v1/letters/",
            "/",
        ]
    }
    assert {url: r.status for url, r in public_responses.items()} == dict.fromkeys(
        public_responses, 200
    )
    for url in [f"/letters/{letter.slug}/signatories/", f"/letters/{letter.slug}/signatories.csv"]:
        assert NAME in public_responses[url].text, url
    leaks = [url for url, r in public_responses.items() if EMAIL.casefold() in r.text.casefold()]
    assert leaks == []

    # The same person signs again, typing the address in another case.
    again = client.post(
        f"/letters/{letter.slug}/sign/",
        {
            "name": NAME,
            "email": EMAIL.lower(),
            "affiliation": "Yale University",
            "role": "Computer scientist",
            "public": "on",
        },
        headers=from_page(client),
    )

    # The same answer as to a new signer: the form never tells whether an address has signed.
    assert (again.status, again.headers["Location"]) == (303, signed.headers["Location"])
    _, notice = site.mail.wait_for(EMAIL, 2)
    assert "already signed" in notice["Subject"]
    assert not any("/confirm/" in link for link in email_links(notice, site.url))
    assert sorted(Signature.objects.filter(letter=letter).values_list("name", "level")) == [
        ("Alan Turing", "confirmed"),
        (NAME, "confirmed"),
    ]
    assert api_counts(client, letter.slug) == after


@pytest.mark.django_db(transaction=True)
def test_sign_without_csrf_token_is_refused_and_stores_nothing(site):
    letter = make_letter(slug="ai-risk")
    client = Client(site.url)
    client.get(f"/letters/{letter.slug}/")

    refused = client.post(
        f"/letters/{letter.slug}/sign/",
        {"name": "Mallory Script", "email": "mallory@example.org", "affiliation": "X", "role": "Y"},
    )

    assert refused.status == 403
    assert list(Signature.objects.filter(letter=letter)) == []
    assert site.mail.messages_to("mallory@example.org") == []


@pytest.mark.django_db(transaction=True)
def test_pages_carry_a_strict_csp_and_hashed_static_files(site):
    letter = make_letter(slug="ai-risk")
    client = Client(site.url)

    page = client.get(f"/letters/{letter.slug}/")

    assert page.status == 200
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "'unsafe-inline'" not in policy
    assert "'unsafe-eval'" not in policy
    # A strict policy blocks inline code, so the page must not rely on any.
    assert re.findall(r"<script(?![^>]*\bsrc=)|<style\b|\sstyle=", page.text) == []
    [stylesheet] = re.findall(r'<link rel="stylesheet" href="([^"]+)"', page.text)
    assert re.fullmatch(r"/static/css/site\.[0-9a-f]{12}\.css", stylesheet), stylesheet

    css = client.get(stylesheet, headers={"Accept-Encoding": "gzip"})

    assert css.status == 200
    assert css.headers["Content-Type"].startswith("text/css")
    assert css.headers["Content-Encoding"] == "gzip"
    # whitenoise marks a file whose name carries its hash as cacheable for ever.
    assert "immutable" in css.headers["Cache-Control"]
