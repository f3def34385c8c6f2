"""The production stack end to end: granian, the task worker, the database and real SMTP.

The tests act as an outside client that knows only the public interface in PRODUCT.md: they
speak HTTP with the standard library and read the email an SMTP server received. The database
is the test database, committed (transaction=True) so the servers in other processes see it.
"""

import re

import pytest
from django.db import connection

from signatories.models import Signature
from tests.builders import make_letter, make_signature
from tests.production import (
    Client,
    SmtpSink,
    api_counts,
    csrf_token,
    database_url,
    email_links,
    from_page,
    production_site,
)

EMAIL = "Grace.Hopper@Example.ORG"
NAME = "Grace Hopper"


@pytest.fixture(scope="module")
def smtp_sink():
    sink = SmtpSink()
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()


@pytest.fixture(scope="module")
def running_site(django_db_setup, smtp_sink, tmp_path_factory):
    """granian and the task worker, configured only by environment, as in production."""
    with production_site(
        tmp_path_factory,
        smtp_sink,
        database=database_url(connection.settings_dict),
        # The journey reads its own writes at once; the few seconds pages and counts are
        # cached for are tested in tests/test_page_cache.py and test_count_api.py.
        PAGE_CACHE_SECONDS="0",
        COUNT_CACHE_SECONDS="0",
    ) as site:
        yield site


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

    # Confirming sends the separate manage link (issue 7), which opens the signer's own page.
    _, manage = site.mail.wait_for(EMAIL, 2)
    assert "Manage your signature" in manage["Subject"]
    [manage_link] = email_links(manage, site.url)
    assert "/manage/" in manage_link
    manage_page = client.get(manage_link)
    assert manage_page.status == 200, manage_page.text
    assert NAME in manage_page.text

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
    _, _, notice = site.mail.wait_for(EMAIL, 3)
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
