"""Email addresses: the canonical form that makes "one signature per person" hold."""


def canonical_email(address):
    """Lower-case the whole address and encode the domain as IDNA.

    Mail providers treat local parts case-insensitively in practice, so "Ada@Example.org"
    and "ada@example.org" are one signer.
    """
    local, _, domain = address.strip().rpartition("@")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        pass
    return f"{local.lower()}@{domain.lower()}"


def email_domain(address):
    return address.rpartition("@")[2].lower()
