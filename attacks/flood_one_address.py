"""A scripted flood from one address: many signatures, each with a new email address.

    python attacks/flood_one_address.py --url http://127.0.0.1:8000 --slug ai-risk --count 50

The site should store no more than its per-address limit and answer every attempt alike.
"""

from attack_http import Session, arguments, run


def main():
    args = arguments(
        __doc__,
        domain={"default": "gmail.com", "help": "the email domain to sign with"},
        source={"default": None, "help": "local address to send from (default: any)"},
    )
    session = Session(args.url, source_address=args.source)
    attempts = (
        lambda i=i: session.sign(args.slug, f"flood.{i}.bot@{args.domain}", name=f"Flood Bot {i}")
        for i in range(args.count)
    )
    run(attempts, args.seconds)


if __name__ == "__main__":
    main()
