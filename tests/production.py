"""The production stack, started from a test: granian, the task worker and a real SMTP sink.

Shared by the production journey (tests/test_production_journey.py) and the fault scenarios
(tests/faults/). The tests act as outside clients that know only the public interface in
PRODUCT.md: HTTP with the standard library, and the email an SMTP server received.
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

from aiosmtpd.controller import Controller
from django.conf import settings
from django.core.management.utils import get_random_secret_key

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


def production_env(variables):
    env = {name: os.environ[name] for name in INHERITED_VARIABLES if name in os.environ}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(variables)
    return env


def site_env(*, url, database, mail_port, static_root, **variables):
    """The environment of a production site at `url`: DEBUG off, a database, SMTP, a worker."""
    return production_env(
        {
            "DEBUG": "0",
            "SECRET_KEY": get_random_secret_key(),
            "DATABASE_URL": database,
            "SITE_URL": url,
            "ALLOWED_HOSTS": "127.0.0.1",
            "EMAIL_URL": f"smtp://127.0.0.1:{mail_port}",
            "TASKS_BACKEND": "database",
            "STATIC_ROOT": str(static_root),
            # These sites take many signatures from 127.0.0.1 on purpose; the attack tests set
            # their own small limits.
            # The test suite keeps this machine busy: its mail would wait for it (for a minute at
            # most). tests/signatories/test_worker.py runs a worker that holds the mail.
            "MAIL_HOLD_MAX_SECONDS": "0",
            **{
                f"SIGN_LIMIT_{scope}_{window}": str(10**9)
                for scope in ("IP", "SHARED_NETWORK", "DOMAIN")
                for window in ("BURST", "DAILY")
            },
            **variables,
        }
    )


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


@contextlib.contextmanager
def refused_port():
    """A port on 127.0.0.1 that refuses every connection while the block lasts: bound by this
    process and never listening, so that no other process can start listening on it meanwhile."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def granian_command():
    """granian as production starts it: through the launcher that loads Django before forking."""
    return [sys.executable, "-m", "config.serve"]


class SmtpSink:
    """An aiosmtpd handler that keeps every message it accepts, with its envelope recipients and
    the client's address and port (one per connection)."""

    def __init__(self):
        self.port = None
        self._lock = threading.Lock()
        self._received = []
        self._peers = []
        self._controller = None

    def start(self):
        """Listen, on the same port as before if it was started already (so the site finds it)."""
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port or free_port())
        self._controller.start()
        self.port = self._controller.port

    def stop(self):
        self._controller.stop()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self._received.append((tuple(envelope.rcpt_tos), message))
            self._peers.append(session.peer)
        return "250 Message accepted for delivery"

    def peers(self):
        """The client's (address, port) for each message: the same pair, the same connection."""
        with self._lock:
            return list(self._peers)

    def all_messages(self):
        with self._lock:
            return list(self._received)

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


def collect_static(env, static_root):
    """collectstatic into static_root, as a deploy does before starting DEBUG=0 servers."""
    collected = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=BASE_DIR,
        env={**env, "STATIC_ROOT": str(static_root)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert collected.returncode == 0, collected.stderr


def start_web(env, port, logs):
    web = [*granian_command(), *WEB_ARGS, "--port", str(port), "config.wsgi:application"]
    return start_server("granian", web, env, logs)


def start_worker(env, logs, name="db_worker"):
    return start_server(name, [sys.executable, *WORKER_ARGS], env, logs)


@contextlib.contextmanager
def production_site(tmp_path_factory, mail, *, database, **variables):
    """granian and one task worker on `database`, configured only by environment as in
    production (site_env plus `variables`), stopped when the block ends."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    static_root = tmp_path_factory.mktemp("staticfiles")
    env = site_env(
        url=url, database=database, mail_port=mail.port, static_root=static_root, **variables
    )
    collect_static(env, static_root)
    logs = tmp_path_factory.mktemp("logs")
    servers = []
    try:
        servers.append(start_web(env, port, logs))
        servers.append(start_worker(env, logs))
        wait_until_ready(url, servers)
        yield Site(url, mail, servers)
    finally:
        for server in servers:
            server.stop()


@contextlib.contextmanager
def redis_server(directory, *arguments):
    """A Redis server of the test's own on a free port, with `arguments` (`--requirepass x`);
    yields its port once it answers, and stops it after."""
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "",
         "--appendonly", "no", "--dir", str(directory), *arguments],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)
        yield port, server
    finally:
        server.kill()
        server.wait(timeout=STOP_TIMEOUT)
