"""Email addresses: the canonical form that makes "one signature per person" hold.

Providers deliver variants of one address to one inbox: any letter case, "+tags" almost
everywhere, and at Gmail dots anywhere in the local part and the googlemail.com domain. All
variants of an address share one canonical form, so they make one signature.
"""

import contextlib

# Domains whose local parts ignore dots (and their aliases, mapped to one domain).
DOTLESS_DOMAINS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}


def canonical_email(address):
    local, _, domain = address.strip().rpartition("@")
    domain = domain.lower().rstrip(".")
    # A domain that is not valid IDNA stays as typed; it will not match any registry domain.
    with contextlib.suppress(UnicodeError):
        domain = domain.encode("idna").decode("ascii")
    local = local.lower()
    # "ada+letters@example.org" is delivered to ada@example.org; a local part that is only a
    # tag ("+x@…") is kept whole, as it has nothing else to be.
    if "+" in local.lstrip("+"):
        local = local[: local.index("+", 1)]
    if domain in DOTLESS_DOMAINS:
        domain = DOTLESS_DOMAINS[domain]
        local = local.replace(".", "")
    return f"{local}@{domain}"


def email_domain(address):
    return address.rpartition("@")[2].lower()
