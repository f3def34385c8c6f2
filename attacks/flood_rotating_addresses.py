"""A flood from rotating client addresses, each request forwarded by the site's trusted proxy.

Run it from the proxy itself (an address in TRUSTED_PROXIES): each request names a different
client in X-Forwarded-For, as a botnet behind the real proxy would appear.

    python attacks/flood_rotating_addresses.py --url … --slug ai-risk --count 50 \
        --addresses ipv4 --domain example.edu

--addresses ipv4: 198.18.x.y, a new address each time (the per-domain limit must hold);
--addresses ipv6-one-64: new addresses inside one IPv6 /64 (the per-address limit must hold,
as the /64 is one client).
"""

import ipaddress

from attack_http import Session, arguments, run


def client_addresses(kind):
    if kind == "ipv4":
        base = int(ipaddress.ip_address("198.18.0.1"))
        return (str(ipaddress.ip_address(base + i)) for i in range(2**16))
    if kind == "ipv6-one-64":
        network = ipaddress.ip_network("2001:db8:bad:1::/64")
        return (str(network[i * 7919 + 1]) for i in range(2**16))
    raise SystemExit(f"unknown --addresses {kind!r}")


def main():
    args = arguments(
        __doc__,
        addresses={"default": "ipv4", "choices": ["ipv4", "ipv6-one-64"]},
        domain={"default": "example.edu", "help": "the email domain to sign with"},
    )
    session = Session(args.url)
    clients = client_addresses(args.addresses)
    attempts = (
        lambda i=i, client=client: session.sign(
            args.slug,
            f"rotating.{i}.bot@{args.domain}",
            name=f"Rotating Bot {i}",
            forwarded_for=client,
        )
        for i, client in zip(range(args.count), clients, strict=False)
    )
    run(attempts, args.seconds)


if __name__ == "__main__":
    main()
