"""Email domains and what they prove about an affiliation.

A confirmed address proves control of an inbox. It proves an affiliation only when its domain
is one the organization itself runs: not a shared provider, not an alumni forwarding service,
not a look-alike, and only for an organization that is active in the registry.
"""

from functools import cache
from pathlib import Path

import tldextract
from django.conf import settings

# The public suffix list bundled with tldextract: never fetched at run time. Private suffixes
# (github.io, blogspot.com…) count as suffixes, so a user's site is not its host's domain.
_extract = tldextract.TLDExtract(
    suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True
)

SHARED_DOMAINS_FILE = Path(__file__).parent / "data" / "shared_email_domains.txt"
ALUMNI_LABELS = {"alumni", "alum", "alumnae", "alumnus", "alumnos", "alumnet"}


def read_domain_list(path):
    lines = Path(path).read_text().splitlines()
    return {line.strip().lower() for line in lines if line.strip() and not line.startswith("#")}


@cache
def shared_domains():
    domains = read_domain_list(SHARED_DOMAINS_FILE)
    extra = getattr(settings, "SHARED_EMAIL_DOMAINS_FILE", "")
    if extra:
        domains |= read_domain_list(extra)
    return frozenset(domains)


def normalise_domain(domain):
    """Lower case, no trailing dot, IDNA-encoded; None for something that is not a domain."""
    domain = domain.strip().lower().rstrip(".")
    if not domain or " " in domain or "/" in domain:
        return None
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return None


def registrable_domain(host_or_url):
    """The domain a registrant owns: www.cs.monash.edu → monash.edu; None for IPs and suffixes."""
    result = _extract(host_or_url)
    return result.top_domain_under_public_suffix or None


def website_domain(url):
    """The email domain a website vouches for.

    www.monash.edu → monash.edu. A site below its registrable domain (science.osti.gov,
    cs.stanford.edu) is often a unit of a larger body, so it vouches only for its own host:
    a university-wide address must not earn a department's badge.
    """
    result = _extract(url)
    registrable = result.top_domain_under_public_suffix
    if not registrable:
        return None
    host = result.fqdn.removeprefix("www.")
    return normalise_domain(host)


def is_shared(domain):
    """Webmail and other shared providers, by the domain itself or its registrable domain."""
    return domain in shared_domains() or registrable_domain(domain) in shared_domains()


def matching_domain(email_domain, organization_domains):
    """The organization domain that `email_domain` is, or is a subdomain of; else None.

    Matching is by whole labels from the right, so stanford.edu.example.com and stanf0rd.edu
    never match stanford.edu, and an internationalised look-alike differs in its IDNA form.
    Alumni services (alumni.x.edu, alum.x.edu) and shared providers never match.
    """
    email_domain = normalise_domain(email_domain)
    if email_domain is None or is_shared(email_domain):
        return None
    for domain in organization_domains:
        if is_shared(domain):
            continue
        if email_domain == domain:
            return domain
        if email_domain.endswith("." + domain):
            extra_labels = email_domain[: -len(domain) - 1].split(".")
            if ALUMNI_LABELS.intersection(extra_labels):
                return None
            return domain
    return None
