"""Forged forwarding headers from a peer the site does not trust.

Each request claims a new client in X-Forwarded-For (and X-Forwarded-Proto: https), but comes
straight from this machine. Run it from an address outside TRUSTED_PROXIES (--source picks
the local address to send from, as 127.0.0.2 on a test machine): the site must ignore the
headers and limit all attempts as one client.

    python attacks/forged_forwarding.py --url … --slug ai-risk --count 30 --source 127.0.0.2
"""

from attack_http import Session, arguments, run


def main():
    args = arguments(
        __doc__,
        source={"default": None, "help": "local address to send from (not a trusted proxy)"},
        domain={"default": "gmail.com"},
    )
    session = Session(args.url, source_address=args.source)
    attempts = (
        lambda i=i: session.sign(
            args.slug,
            f"forged.{i}.bot@{args.domain}",
            name=f"Forged Bot {i}",
            forwarded_for=f"203.0.113.{i % 250 + 1}, 10.0.0.{i % 250 + 1}",
        )
        for i in range(args.count)
    )
    run(attempts, args.seconds)


if __name__ == "__main__":
    main()
