"""Who the client is, when a reverse proxy stands in front of us.

Behind a proxy listed in TRUSTED_PROXIES, the client is the right-most address of
X-Forwarded-For that is not itself a trusted proxy, and X-Forwarded-Proto: https marks the
request as secure. From anyone else both headers are dropped, so a script cannot pick its
own address (and dodge a rate limit) by sending a forged header.
"""

import ipaddress

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

FORWARDED_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO")


def parse_networks(entries):
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"TRUSTED_PROXIES entry {entry!r} is not an IP address or CIDR."
            ) from None
    return networks


def parse_address(text):
    """An IP address from a header or socket value, or None when it is not one."""
    text = text.strip()
    if text.startswith("["):  # "[2001:db8::1]:443"
        text = text[1 : text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:  # "203.0.113.7:51234"
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def client_address(peer, forwarded_for, trusted):
    """The client's address given the socket peer and the X-Forwarded-For value."""
    peer_address = parse_address(peer or "")
    if peer_address is None or not any(peer_address in net for net in trusted):
        return peer_address
    client = peer_address
    for hop in reversed((forwarded_for or "").split(",")):
        address = parse_address(hop)
        if address is None:
            # Garbage in the chain: trust nothing to its left.
            break
        client = address
        if not any(address in net for net in trusted):
            break
    return client


class TrustedProxyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.trusted = parse_networks(settings.TRUSTED_PROXIES)

    def __call__(self, request):
        meta = request.META
        peer = parse_address(meta.get("REMOTE_ADDR", ""))
        from_proxy = peer is not None and any(peer in net for net in self.trusted)
        if from_proxy:
            client = client_address(
                meta.get("REMOTE_ADDR"), meta.get("HTTP_X_FORWARDED_FOR"), self.trusted
            )
            meta["REMOTE_ADDR"] = str(client)
            proto = meta.get("HTTP_X_FORWARDED_PROTO", "").split(",")[-1].strip().lower()
            if proto == "https":
                if hasattr(request, "scope"):
                    request.scope = {**request.scope, "scheme": "https"}
                else:
                    meta["wsgi.url_scheme"] = "https"
        elif peer is not None:
            meta["REMOTE_ADDR"] = str(peer)
        for header in FORWARDED_HEADERS:
            meta.pop(header, None)
        return self.get_response(request)
