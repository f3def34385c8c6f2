import ipaddress

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.proxies import client_address, parse_networks

TRUSTED = parse_networks(["10.0.0.0/8", "2001:db8:ffff::/48", "127.0.0.1"])


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "client"),
    [
        # An untrusted peer: its header is ignored.
        ("198.51.100.7", "1.2.3.4", "198.51.100.7"),
        # A trusted proxy: the right-most untrusted address.
        ("10.0.0.2", "203.0.113.5", "203.0.113.5"),
        ("10.0.0.2", "1.2.3.4, 203.0.113.5, 10.0.0.9", "203.0.113.5"),
        # A forged left-most value does not win.
        ("10.0.0.2", "6.6.6.6, 203.0.113.5", "203.0.113.5"),
        # IPv6, with brackets and ports.
        ("2001:db8:ffff::1", "[2001:db8:1::5]:443", "2001:db8:1::5"),
        ("10.0.0.2", "203.0.113.5:5123", "203.0.113.5"),
        # IPv4-mapped IPv6 is the IPv4 address.
        ("::ffff:10.0.0.2", "203.0.113.5", "203.0.113.5"),
        # Garbage stops the walk at the last address we could trust.
        ("10.0.0.2", "203.0.113.5, garbage", "10.0.0.2"),
        # No header from a proxy: the proxy is the client.
        ("10.0.0.2", None, "10.0.0.2"),
        # Every hop trusted: the left-most.
        ("10.0.0.2", "10.0.0.3, 10.0.0.4", "10.0.0.3"),
    ],
)
def test_client_address(peer, forwarded_for, client):
    assert client_address(peer, forwarded_for, TRUSTED) == ipaddress.ip_address(client)


def test_bad_trusted_proxy_entry_fails_loudly():
    with pytest.raises(ImproperlyConfigured, match="not-an-ip"):
        parse_networks(["not-an-ip"])


@pytest.mark.django_db
def test_middleware_sets_client_and_scheme_only_for_trusted_proxies(client, settings, letter):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    headers = {"HTTP_X_FORWARDED_FOR": "203.0.113.5", "HTTP_X_FORWARDED_PROTO": "https"}

    trusted = client.get("/healthz", REMOTE_ADDR="127.0.0.1", **headers)
    untrusted = client.get("/healthz", REMOTE_ADDR="198.51.100.7", **headers)

    assert trusted.wsgi_request.META["REMOTE_ADDR"] == "203.0.113.5"
    assert trusted.wsgi_request.is_secure()
    assert "HTTP_X_FORWARDED_FOR" not in trusted.wsgi_request.META
    assert untrusted.wsgi_request.META["REMOTE_ADDR"] == "198.51.100.7"
    assert not untrusted.wsgi_request.is_secure()
