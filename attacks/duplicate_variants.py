"""A duplicate flood: one inbox signed over and over in its variant spellings.

Dots and +tags at Gmail, googlemail.com, letter case and +tags elsewhere all reach one inbox,
so the site must keep one signature and send a bounded number of emails. Each attempt comes
from a new client address behind the trusted proxy, so address limits do not mask the check.

    python attacks/duplicate_variants.py --url … --slug ai-risk --count 30 --user target
"""

import itertools

from attack_http import Session, arguments, run


def variants(user):
    """Spellings of <user>@gmail.com that Gmail delivers to one inbox."""
    dotted = ".".join(user)
    forms = [user, dotted, user.upper(), dotted.title(), f"{user[0]}.{user[1:]}"]
    domains = ["gmail.com", "googlemail.com", "GMail.com"]
    for n in itertools.count():
        local = forms[n % len(forms)]
        tag = f"+{n}" if n % 2 else ""
        yield f"{local}{tag}@{domains[n % len(domains)]}"


def main():
    args = arguments(__doc__, user={"default": "targetperson"})
    session = Session(args.url)
    spellings = variants(args.user)
    attempts = (
        lambda i=i, email=email: session.sign(
            args.slug, email, name="Target Person", forwarded_for=f"198.19.{i // 250}.{i % 250 + 1}"
        )
        for i, email in zip(range(args.count), spellings, strict=False)
    )
    run(attempts, args.seconds)


if __name__ == "__main__":
    main()
