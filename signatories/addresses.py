"""Email addresses: the canonical form that makes "one signature per person" hold."""

import contextlib


def canonical_email(address):
    """Lower-case the whole address and encode the domain as IDNA.

    Mail providers treat local parts case-insensitively in practice, so "Ada@Example.org"
    and "ada@example.org" are one signer.
    """
    local, _, domain = address.strip().rpartition("@")
    # A domain that is not valid IDNA stays as typed; it will not match any registry domain.
    with contextlib.suppress(UnicodeError):
        domain = domain.encode("idna").decode("ascii")
    return f"{local.lower()}@{domain.lower()}"


def email_domain(address):
    return address.rpartition("@")[2].lower()
