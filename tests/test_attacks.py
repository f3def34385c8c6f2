"""The attack scripts in attacks/, run from outside against the production stack.

granian (behind a trusted proxy: 127.0.0.1 is in TRUSTED_PROXIES), the task worker, Redis for
the rate-limit counters and a real SMTP sink, with small limits set by environment. Each script
floods its own letter; the test then checks what got through: the rows stored, the emails sent,
and the count API once every email that arrived has been confirmed, as a bot with the inboxes
would. Each must be exactly what the rules allow.
"""

import ipaddress
import json
import subprocess
import sys
import time
import uuid

import pytest
import redis
from django.db import connection

from signatories.models import Signature
from tests.builders import make_letter
from tests.production import (
    BASE_DIR,
    Client,
    api_counts,
    csrf_token,
    database_url,
    email_links,
    production_site,
)
from tests.test_production_journey import smtp_sink  # noqa: F401 (a fixture)

REDIS_URL = "redis://127.0.0.1:6379/0"
IP_BURST = 3
DOMAIN_BURST = 8
MAX_EMAILS = 5
LIMITS = {
    "SIGN_LIMIT_IP_BURST": str(IP_BURST),
    "SIGN_LIMIT_IP_DAILY": "100",
    "SIGN_LIMIT_DOMAIN_BURST": str(DOMAIN_BURST),
    "SIGN_LIMIT_DOMAIN_DAILY": "100",
    "MAX_EMAILS_PER_SIGNATURE": str(MAX_EMAILS),
}
SCRIPT_SECONDS = 60
# An untrusted peer on this machine: Linux routes all of 127.0.0.0/8 to the loopback.
UNTRUSTED_PEER = "127.0.0.2"


@pytest.fixture(scope="module")
def attacked_site(django_db_setup, smtp_sink, tmp_path_factory):  # noqa: F811
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.ConnectionError:
        pytest.fail(f"The attack test needs Redis at {REDIS_URL} for the shared counters.")
    prefix = f"attacks-{uuid.uuid4().hex}"
    try:
        with production_site(
            tmp_path_factory,
            smtp_sink,
            database=database_url(connection.settings_dict),
            TRUSTED_PROXIES="127.0.0.1",
            CACHE_URL=REDIS_URL,
            CACHE_KEY_PREFIX=prefix,
            # The counters are what is tested: a Redis call that a busy machine stalls for over
            # the production second would pause Redis for the site and change the answers.
            CACHE_TIMEOUT_SECONDS="5",
            **LIMITS,
        ) as site:
            yield site
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)


def attack(site, script, slug, count, *args):
    """Run attacks/<script> against the site; its JSON summary."""
    # The burst windows are whole minutes: start in a fresh one, so a flood is not split across
    # two windows (which would rightly let two bursts through).
    if time.time() % 60 > 40:
        time.sleep(60 - time.time() % 60 + 0.5)
    finished = subprocess.run(
        [
            sys.executable,
            f"attacks/{script}",
            "--url",
            site.url,
            "--slug",
            slug,
            "--count",
            str(count),
            "--seconds",
            str(SCRIPT_SECONDS),
            *args,
        ],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=SCRIPT_SECONDS + 30,
    )
    assert finished.returncode == 0, finished.stderr
    return json.loads(finished.stdout)


def confirm_everything_received(site, letter):
    """Follow every confirmation link the letter's signers were sent, as a bot with the inboxes.

    Returns the number of distinct signatures confirmed.
    """
    client = Client(site.url)
    confirmed = 0
    for signature in Signature.objects.filter(letter=letter):
        [message, *_] = site.mail.wait_for(signature.email, 1)
        [link] = [
            link
            for link in email_links(message, site.url)
            if f"/letters/{letter.slug}/confirm/" in link
        ]
        page = client.get(link)
        answer = client.post(link, {"csrfmiddlewaretoken": csrf_token(page)})
        assert answer.status == 200, answer.text
        confirmed += 1
    return confirmed


def wait_for_worker_idle(seconds=3):
    """Give the worker time to send anything it still owes, so a surplus email would show."""
    time.sleep(seconds)


@pytest.mark.django_db(transaction=True)
def test_scripted_floods_get_through_no_more_than_the_limits(attacked_site):
    site = attacked_site
    one = make_letter(slug="one-address")
    rotating = make_letter(slug="rotating")
    slash64 = make_letter(slug="slash-64")
    duplicates = make_letter(slug="duplicates")
    forged = make_letter(slug="forged")

    summaries = {
        "one": attack(site, "flood_one_address.py", one.slug, 20),
        "rotating": attack(
            site, "flood_rotating_addresses.py", rotating.slug, 20, "--domain", "example.edu"
        ),
        "slash64": attack(
            site,
            "flood_rotating_addresses.py",
            slash64.slug,
            12,
            *["--addresses", "ipv6-one-64", "--domain", "gmail.com"],
        ),
        "duplicates": attack(site, "duplicate_variants.py", duplicates.slug, 15),
        "forged": attack(site, "forged_forwarding.py", forged.slug, 20, "--source", UNTRUSTED_PEER),
    }

    # Every attempt got the same answer a real signer gets: nothing to learn the limits from.
    assert summaries == {
        "one": {"sent": 20, "statuses": {"303": 20}},
        "rotating": {"sent": 20, "statuses": {"303": 20}},
        "slash64": {"sent": 12, "statuses": {"303": 12}},
        "duplicates": {"sent": 15, "statuses": {"303": 15}},
        "forged": {"sent": 20, "statuses": {"303": 20}},
    }
    stored = {
        letter.slug: Signature.objects.filter(letter=letter).count()
        for letter in [one, rotating, slash64, duplicates, forged]
    }
    assert stored == {
        "one-address": IP_BURST,
        "rotating": DOMAIN_BURST,
        "slash-64": IP_BURST,
        "duplicates": 1,
        "forged": IP_BURST,
    }
    # The forged headers were ignored: the site saw the real peer.
    assert set(Signature.objects.filter(letter=forged).values_list("client_ip", flat=True)) == {
        UNTRUSTED_PEER
    }
    # Behind the trusted proxy, the forwarded client was believed; a /64 is one client.
    assert {
        str(ipaddress.ip_network(f"{ip}/64", strict=False))
        for ip in slash64.signatures.values_list("client_ip", flat=True)
    } == {"2001:db8:bad:1::/64"}

    confirmed = {
        letter.slug: confirm_everything_received(site, letter)
        for letter in [one, rotating, slash64, duplicates, forged]
    }
    wait_for_worker_idle()

    assert confirmed == stored
    client = Client(site.url)
    assert {slug: api_counts(client, slug)["total"] for slug in stored} == stored
    # One inbox, however spelled: one signature, and no more emails than the cap from the flood.
    # Confirming, which only the inbox's owner can, then sends the manage link beyond it.
    [target] = Signature.objects.filter(letter=duplicates)
    assert target.email_canonical == "targetperson@gmail.com"
    *flood, after_confirming = site.mail.wait_for(target.email, MAX_EMAILS + 1)
    assert [
        any("/confirm/" in link for link in email_links(message, site.url)) for message in flood
    ] == [True] * MAX_EMAILS
    assert any(
        f"/letters/{duplicates.slug}/manage/" in link
        for link in email_links(after_confirming, site.url)
    )
    assert len(site.mail.messages_to(target.email)) == MAX_EMAILS + 1
    # Nobody the limits refused was ever emailed.
    flood_addresses = {f"flood.{i}.bot@gmail.com" for i in range(20)} - set(
        Signature.objects.filter(letter=one).values_list("email", flat=True)
    )
    assert [a for a in flood_addresses if site.mail.messages_to(a)] == []
