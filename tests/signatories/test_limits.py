"""Rate limits on signing: per client address (IPv6 per /64) and per email domain, per letter."""

import logging
import threading
import time
import uuid
from types import SimpleNamespace

import pytest
from django.core import mail
from django.test import Client
from pytest_django.asserts import assertContains

from signatories.limits import client_key, domain_key, refusal_reason, refusals
from signatories.models import Signature
from signatories.safeguards import SharedNetwork, SiteSettings
from tests.builders import make_letter, sign_data

pytestmark = pytest.mark.django_db

NOW = 1_800_000_000.0  # a fixed instant, so the windows do not roll over mid-test


@pytest.fixture
def small_limits(settings, monkeypatch):
    """Small limits, and the limiter's clock held at NOW: requests that straddle a minute (or an
    hour) would each get a window of their own."""
    monkeypatch.setattr("signatories.limits.time", SimpleNamespace(time=lambda: NOW))
    settings.SIGNING_LIMITS = {
        "ip_burst": 3,
        "ip_daily": 5,
        "shared_network_burst": 6,
        "shared_network_daily": 8,
        "domain_burst": 4,
        "domain_daily": 6,
    }


def sign(client, n, *, ip="198.51.100.7", domain="example.org", prefix="signer", slug="ai-risk"):
    """`n` valid signing attempts with distinct addresses; the responses."""
    return [
        client.post(
            f"/letters/{slug}/sign/",
            sign_data(email=f"{prefix}{i}@{domain}"),
            REMOTE_ADDR=ip,
        )
        for i in range(n)
    ]


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("198.51.100.7", "198.51.100.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
        ("", "unknown"),
        (None, "unknown"),
    ],
)
def test_an_ipv6_client_is_limited_as_its_slash_64(address, key):
    assert client_key(address) == key


@pytest.mark.parametrize(
    ("email", "key"),
    [
        ("ada@cs.example.edu", "example.edu"),
        ("ada@Example.EDU", "example.edu"),
        ("ada@mail.ox.ac.uk", "ox.ac.uk"),
        ("ada@gmail.com", None),
        ("ada@googlemail.com", None),
        ("ada@outlook.com", None),
    ],
)
def test_the_domain_limit_counts_the_registrable_domain_and_exempts_big_providers(email, key):
    assert domain_key(email) == key


def test_signatures_over_the_address_burst_are_answered_alike_and_not_stored(
    client, letter, small_limits, caplog, immediate_on_commit
):
    caplog.set_level(logging.WARNING, logger="undersigned.abuse")

    responses = sign(client, 5)

    # Every attempt gets the same answer, so a script cannot see where the limit lies.
    assert {(r.status_code, r["Location"]) for r in responses} == {
        (303, "/letters/ai-risk/check-email/")
    }
    assert sorted(Signature.objects.values_list("email", flat=True)) == [
        "signer0@example.org",
        "signer1@example.org",
        "signer2@example.org",
    ]
    assert sorted(m.to[0] for m in mail.outbox) == [
        "signer0@example.org",
        "signer1@example.org",
        "signer2@example.org",
    ]
    assert refusals(letter, int(NOW // 3600)) == {"address": 2, "domain": 0, "honeypot": 0}
    assert [r.getMessage() for r in caplog.records] == [
        "Signing attempt refused: letter=ai-risk reason=address client=198.51.100.7 "
        "domain=example.org"
    ] * 2


def test_the_limits_are_per_letter(client, letter, small_limits):
    other = make_letter(slug="other")

    sign(client, 4)
    sign(client, 4, slug=other.slug)

    assert Signature.objects.filter(letter=letter).count() == 3
    assert Signature.objects.filter(letter=other).count() == 3


def test_rotating_addresses_inside_one_ipv6_slash_64_share_one_limit(
    letter, small_limits, counters
):
    allowed = [
        refusal_reason(letter, f"2001:db8:0:1::{i:x}", f"s{i}@gmail.com", now=NOW) is None
        for i in range(1, 6)
    ]

    assert allowed == [True, True, True, False, False]
    assert refusal_reason(letter, "2001:db8:0:2::1", "x@gmail.com", now=NOW) is None


def test_the_burst_window_refills_after_a_minute_but_the_day_does_not(
    letter, small_limits, counters
):
    first = [refusal_reason(letter, "198.51.100.7", f"s{i}@gmail.com", now=NOW) for i in range(4)]
    later = [
        refusal_reason(letter, "198.51.100.7", f"t{i}@gmail.com", now=NOW + 60) for i in range(3)
    ]

    assert first == [None, None, None, "address"]
    # The day counted all four attempts, the refused one too: one more reaches its limit of 5.
    assert later == [None, "address", "address"]


def test_domain_limit_holds_across_addresses_but_not_for_big_providers(
    letter, small_limits, counters
):
    university = [
        refusal_reason(letter, f"198.51.100.{i}", f"s{i}@cs.example.edu", now=NOW) for i in range(6)
    ]
    webmail = [
        refusal_reason(letter, f"203.0.113.{i}", f"s{i}@gmail.com", now=NOW) for i in range(6)
    ]

    assert university == [None, None, None, None, "domain", "domain"]
    assert webmail == [None] * 6


def test_an_address_over_its_limit_does_not_use_up_its_domain(letter, small_limits, counters):
    flood = [
        refusal_reason(letter, "198.51.100.7", f"s{i}@cs.example.edu", now=NOW) for i in range(6)
    ]
    others = [
        refusal_reason(letter, f"203.0.113.{i}", f"t{i}@cs.example.edu", now=NOW) for i in range(2)
    ]

    assert flood == [None, None, None] + ["address"] * 3
    # The domain counted only the three attempts the address let through: one more is allowed.
    assert others == [None, "domain"]


def test_a_shared_network_gets_the_higher_limit(letter, small_limits, counters):
    SharedNetwork.objects.create(cidr="192.0.2.0/24", description="Conference Wi-Fi")
    SharedNetwork.forget()

    campus = [refusal_reason(letter, "192.0.2.9", f"s{i}@gmail.com", now=NOW) for i in range(7)]

    assert campus == [None] * 6 + ["address"]


def test_the_admin_row_overrides_the_environment_defaults(letter, small_limits, counters):
    SiteSettings(ip_burst=1).save_and_apply()

    results = [refusal_reason(letter, "198.51.100.7", f"s{i}@gmail.com", now=NOW) for i in range(2)]

    assert results == [None, "address"]


def test_a_filled_honeypot_is_answered_alike_and_stores_nothing(
    client, letter, caplog, immediate_on_commit
):
    caplog.set_level(logging.WARNING, logger="undersigned.abuse")

    response = client.post("/letters/ai-risk/sign/", sign_data(homepage="http://spam.example"))

    assert (response.status_code, response["Location"]) == (303, "/letters/ai-risk/check-email/")
    assert Signature.objects.count() == 0
    assert mail.outbox == []
    assert "reason=honeypot" in caplog.text


def test_the_honeypot_is_out_of_sight_and_reach(client, letter):
    page = client.get("/letters/ai-risk/")

    assertContains(
        page,
        '<div class="honeypot" aria-hidden="true"><label for="id_homepage">Leave this field empty'
        '</label><input type="text" id="id_homepage" name="homepage" value="" tabindex="-1" '
        'autocomplete="off"></div>',
        html=True,
    )


def test_an_invalid_form_does_not_use_up_the_limit(client, letter, small_limits):
    for _ in range(5):
        client.post("/letters/ai-risk/sign/", sign_data(email="not-an-address"))

    sign(client, 3)

    assert Signature.objects.count() == 3


def test_the_check_email_page_tells_a_limited_human_what_to_do(client, letter):
    page = client.get("/letters/ai-risk/check-email/")

    assert "No email within 10 minutes?" in page.text
    assert "try again later" in page.text


@pytest.fixture
def redis_cache(settings):
    """The default cache on the local Redis, under a key prefix of this test's own."""
    yield from use_redis(settings)


def use_redis(settings):
    import redis

    url = "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url).ping()
    except redis.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    prefix = f"test-limits-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": prefix,
        }
    }
    yield redis.Redis.from_url(url), prefix
    client = redis.Redis.from_url(url)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


@pytest.fixture(params=["local memory", "redis"])
def counters(request, settings):
    """The limits counted in each cache production and development use: the same answers."""
    if request.param == "redis":
        yield from use_redis(settings)
    else:
        yield None


def test_redis_counters_are_atomic_under_concurrency_and_expire(redis_cache):
    from signatories.limits import increment

    def hit():
        for _ in range(50):
            increment("limit:test", 60)

    threads = [threading.Thread(target=hit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    client, prefix = redis_cache
    [key] = list(client.scan_iter(f"{prefix}:*:limit:test"))
    assert int(client.get(key)) == 400
    assert 55 <= client.ttl(key) <= 60


def test_behind_the_trusted_proxy_ipv6_clients_are_limited_per_slash_64(
    letter, small_limits, settings
):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    client = Client()  # built after the setting, so its middleware reads it

    for i in range(1, 6):
        client.post(
            "/letters/ai-risk/sign/",
            sign_data(email=f"s{i}@gmail.com"),
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=f"2001:db8:7:7::{i:x}, 10.0.0.9",
        )
    # A forged header from a peer that is not a trusted proxy is ignored.
    client.post(
        "/letters/ai-risk/sign/",
        sign_data(email="forged@gmail.com"),
        REMOTE_ADDR="2001:db8:9::1",
        HTTP_X_FORWARDED_FOR="198.51.100.99",
    )

    assert sorted(Signature.objects.values_list("email", "client_ip")) == [
        ("forged@gmail.com", "2001:db8:9::1"),
        ("s1@gmail.com", "2001:db8:7:7::1"),
        ("s2@gmail.com", "2001:db8:7:7::2"),
        ("s3@gmail.com", "2001:db8:7:7::3"),
    ]


def test_redis_limit_counters_expire_after_their_window(letter, small_limits, redis_cache):
    refusal_reason(letter, "198.51.100.7", "s@cs.example.edu", now=time.time())

    client, prefix = redis_cache
    ttls = {key.decode().split(":")[-2]: client.ttl(key) for key in client.scan_iter(f"{prefix}:*")}
    # Two windows, counted for the address and the domain alike.
    assert len(list(client.scan_iter(f"{prefix}:*"))) == 4
    assert 60 <= ttls["60"] <= 65
    assert 86_395 <= ttls["86400"] <= 86_405
