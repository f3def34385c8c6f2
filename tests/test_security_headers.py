"""Every URL the site routes answers with the security headers, whatever its status.

The URLs are read from the URL configuration itself, so a page added later is checked too.
"""

import re
from datetime import date

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from signatories.record import take_snapshot
from tests.builders import make_letter, make_signature

pytestmark = pytest.mark.django_db

# Sample values for each path parameter, by name.
SAMPLES = {"slug": "ai-risk", "token": "not-a-token", "day": "2026-01-01"}
# Only these may be framed by other sites: the counter widget is made for it. The badge is an
# image, which frame-ancestors does not govern, and keeps 'none' for when opened on its own.
FRAMEABLE = {"/letters/ai-risk/embed/"}


def route_paths(patterns=None, prefix=""):
    """Concrete paths for every route, with each parameter filled in from SAMPLES."""
    patterns = get_resolver().url_patterns if patterns is None else patterns
    for entry in patterns:
        text = str(entry.pattern)
        if text.startswith("^"):
            # A regular expression (admin's app index): kept when it has no parameter.
            if "(?P<" in text:
                continue
            text = text.lstrip("^").rstrip("$")
        text = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: SAMPLES.get(m.group(1), "1"), text)
        if isinstance(entry, URLResolver):
            yield from route_paths(entry.url_patterns, prefix + text)
        elif isinstance(entry, URLPattern):
            yield "/" + prefix + text


@pytest.fixture
def site(settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    letter = make_letter(slug="ai-risk")
    make_signature(letter, name="Ada Quinn")
    take_snapshot(letter, date(2026, 1, 1))
    # An error page needs its headers too, so errors are answered, not raised into the test.
    return Client(raise_request_exception=False)


def test_the_walk_covers_the_public_interface():
    paths = set(route_paths())

    assert {
        "/",
        "/letters/ai-risk/",
        "/letters/ai-risk/sign/",
        "/letters/ai-risk/signatories/",
        "/letters/ai-risk/signatories.csv",
        "/letters/ai-risk/embed/",
        "/letters/ai-risk/badge.svg",
        "/api/v1/letters/",
        "/api/v1/letters/ai-risk/",
        "/api/v1/openapi.json",
        "/privacy/",
        "/healthz",
        "/readyz",
        "/admin/login/",
    } <= paths


def test_every_response_carries_the_security_headers(site):
    missing = {}
    for path in sorted(set(route_paths())):
        response = site.get(path, secure=True)
        headers = response.headers
        policy = headers.get("Content-Security-Policy", "")
        ancestors = re.search(r"frame-ancestors ([^;]+)", policy)
        found = {
            "csp": bool(policy) and "unsafe-inline" not in policy and "unsafe-eval" not in policy,
            "frame-ancestors": bool(ancestors)
            and ancestors.group(1) == ("*" if path in FRAMEABLE else "'none'"),
            "x-frame-options": headers.get("X-Frame-Options")
            == (None if path in FRAMEABLE else "DENY"),
            "hsts": headers.get("Strict-Transport-Security")
            == "max-age=31536000; includeSubDomains; preload",
            "referrer-policy": headers.get("Referrer-Policy") == "same-origin",
            "nosniff": headers.get("X-Content-Type-Options") == "nosniff",
            "permissions-policy": "camera=()" in headers.get("Permissions-Policy", "")
            and "geolocation=()" in headers.get("Permissions-Policy", ""),
        }
        if not all(found.values()):
            missing[f"{path} ({response.status_code})"] = [k for k, ok in found.items() if not ok]

    assert missing == {}


def test_cookies_are_secure_http_only_and_same_site_in_production(settings):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    make_letter(slug="ai-risk")
    client = Client()

    # The shared letter page sets no cookie (config/http.py); the login form has a CSRF token.
    client.get("/accounts/login/", secure=True)
    client.post("/i18n/setlang/", {"language": "fr", "next": "/"}, secure=True, HTTP_REFERER="/")

    cookies = {name: cookie for name, cookie in client.cookies.items()}
    assert cookies["csrftoken"]["secure"] is True
    assert cookies["csrftoken"]["samesite"] == "Lax"
    assert cookies["django_language"]["samesite"] == "Lax"
    assert cookies["django_language"]["httponly"] is True
