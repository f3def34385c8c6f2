"""What every attack script shares: a tiny HTTP client that acts like a form-filling bot.

Standard library only, so the scripts run from anywhere against any Undersigned site; nothing
here imports the project. A session keeps its cookies (the CSRF cookie), can send from a chosen
local address (to be a peer the site does not trust) and can add an X-Forwarded-For header.
"""

import argparse
import http.client
import json
import re
import sys
import time
import urllib.parse
from collections import Counter
from http.cookies import SimpleCookie

TIMEOUT = 10


class Session:
    def __init__(self, base_url, *, source_address=None):
        parts = urllib.parse.urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port or 80
        self.source_address = (source_address, 0) if source_address else None
        self.cookies = {}

    def request(self, method, path, *, data=None, forwarded_for=None):
        headers = {"Host": f"{self.host}:{self.port}", "User-Agent": "undersigned-attack/1"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if forwarded_for:
            headers["X-Forwarded-For"] = forwarded_for
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            # Django's CSRF check wants a same-origin Referer only over HTTPS; Origin is enough.
            headers["Origin"] = f"http://{self.host}:{self.port}"
        connection = http.client.HTTPConnection(
            self.host, self.port, timeout=TIMEOUT, source_address=self.source_address
        )
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read()
        finally:
            connection.close()
        for value in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie(value)
            self.cookies.update({name: morsel.value for name, morsel in cookie.items()})
        return response.status, response.headers, content.decode("utf-8", "replace")

    def sign(self, slug, email, *, name="Robo Signer", forwarded_for=None, extra=None):
        """Load the letter page, then post the form as a bot would.

        The shared letter page carries no CSRF token (the site checks the Origin header this
        client sends, as browsers do); a page with one (a signed-in reader's) has it posted.
        """
        status, _, page = self.request("GET", f"/letters/{slug}/", forwarded_for=forwarded_for)
        if status != 200:
            return status
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        data = {
            **({"csrfmiddlewaretoken": token.group(1)} if token else {}),
            "name": name,
            "email": email,
            "affiliation": "Scripted Institute",
            "role": "Bot",
            "public": "on",
            **(extra or {}),
        }
        status, _, _ = self.request(
            "POST", f"/letters/{slug}/sign/", data=data, forwarded_for=forwarded_for
        )
        return status


def arguments(description, **extra):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--url", required=True, help="the site, as http://127.0.0.1:8000")
    parser.add_argument("--slug", required=True, help="the letter to attack")
    parser.add_argument("--count", type=int, default=50, help="signing attempts to make")
    parser.add_argument("--seconds", type=float, default=60, help="stop after this long")
    for name, options in extra.items():
        parser.add_argument(f"--{name.replace('_', '-')}", **options)
    return parser.parse_args()


def run(attempts, seconds):
    """Make `attempts` (callables returning a status) until done or out of time; print a summary.

    The summary is JSON on stdout: how many were sent, and the statuses the site answered.
    """
    deadline = time.monotonic() + seconds
    statuses = Counter()
    sent = 0
    for attempt in attempts:
        if time.monotonic() > deadline:
            break
        statuses[attempt()] += 1
        sent += 1
    summary = {"sent": sent, "statuses": {str(k): v for k, v in sorted(statuses.items())}}
    json.dump(summary, sys.stdout)
    print()
    return summary
