"""Rate limits on signing, per letter: per client address and per email domain.

Each limit has a burst window (a minute) and a sustained one (a day), counted in the cache
(Redis in production) with an atomic increment, in fixed windows. A client is its address as
config.proxies decided it (TRUSTED_PROXIES), except that an IPv6 client is its /64: one
household or host gets a whole /64, and would otherwise have 2**64 addresses to rotate through.

What a limited signer sees is the same 303 "check your email" page as everyone else: nothing is
stored and no email is sent, and the refusal is logged and counted per letter and hour for the
investigation reports. A script therefore cannot probe the limits by watching the answers; the
price is that a real person behind a busy address gets no email, and the check-your-email page
tells them to try again later when none arrives.
"""

import hashlib
import ipaddress
import logging
import time

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache

from signatories.addresses import canonical_email, email_domain
from signatories.domains import is_shared, normalise_domain, registrable_domain
from signatories.safeguards import SharedNetwork, SiteSettings

logger = logging.getLogger("undersigned.abuse")

BURST_SECONDS = 60
DAY_SECONDS = 24 * 3600
# Counters of refusals for the investigation reports, per letter and hour.
REFUSED_KEEP_SECONDS = 8 * DAY_SECONDS


def client_key(address):
    """The unit a client address is limited as: an IPv4 address, or an IPv6 /64."""
    if not address:
        return "unknown"
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return "unknown"
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def domain_key(email):
    """The email's registrable domain (cs.example.edu → example.edu), or None when exempt.

    Large mail providers are exempt: thousands of unrelated people share gmail.com, and the
    per-address limit and the canonical-address constraint already hold there.
    """
    domain = normalise_domain(email_domain(canonical_email(email)))
    if domain is None:
        return "invalid"
    if is_shared(domain):
        return None
    return registrable_domain(domain) or domain


def increment(key, timeout):
    """Add one to the counter at `key`, created with `timeout`; the new value. Atomic."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        # One round trip: INCR creates the key at 1, and EXPIRE NX sets its lifetime only then,
        # so a key can never be left without one.
        full_key = backend.make_and_validate_key(key)
        client = backend._cache.get_client(full_key, write=True)
        pipeline = client.pipeline()
        pipeline.incr(full_key)
        pipeline.expire(full_key, timeout, nx=True)
        return pipeline.execute()[0]
    # Local memory: add() creates the key if absent, incr() is atomic under the cache's lock.
    if cache.add(key, 1, timeout):
        return 1
    try:
        return cache.incr(key)
    except ValueError:
        # Expired between the two calls: this hit starts a new window.
        cache.add(key, 1, timeout)
        return 1


# first_over_limit on Redis, in one round trip. KEYS are the counters, two windows per scope;
# ARGV holds each counter's limit then its lifetime. It counts the scopes in order and stops at
# the first one over its limit; it returns that scope's number (1-based), or 0.
FIRST_OVER_LIMIT_SCRIPT = """
for scope = 1, #KEYS / 2 do
  local exceeded = false
  for i = 2 * scope - 1, 2 * scope do
    local count = redis.call('INCR', KEYS[i])
    redis.call('EXPIRE', KEYS[i], ARGV[2 * i], 'NX')
    if count > tonumber(ARGV[2 * i - 1]) then exceeded = true end
  end
  if exceeded then return scope end
end
return 0
"""
_scripts = {}


def first_over_limit(letter_id, scopes, now):
    """Count one attempt against each of `scopes` ((name, burst, daily), in order) in both
    windows, stopping at the first one over a limit; its index, or None when all allow it.

    A scope after a refusing one is not counted: a flood from one address must not use up the
    allowance of the domains it signs with.
    """
    counters = []
    for scope, burst, daily in scopes:
        for window, limit in [(BURST_SECONDS, burst), (DAY_SECONDS, daily)]:
            key = f"limit:{letter_id}:{scope}:{window}:{int(now // window)}"
            counters.append((key, limit, window + 5))
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        for index in range(len(scopes)):
            windows = counters[2 * index : 2 * index + 2]
            # Both windows count, whichever refuses.
            if any([increment(key, ttl) > limit for key, limit, ttl in windows]):
                return index
        return None
    keys = [backend.make_and_validate_key(key) for key, _, _ in counters]
    client = backend._cache.get_client(keys[0], write=True)
    # One script object per connection pool (Django's own Redis cache makes a client per call).
    script = _scripts.get(client.connection_pool)
    if script is None:
        script = _scripts[client.connection_pool] = client.register_script(FIRST_OVER_LIMIT_SCRIPT)
    arguments = [value for _, limit, ttl in counters for value in (limit, ttl)]
    scope = script(keys=keys, args=arguments, client=client)
    return scope - 1 if scope else None


def refusal_reason(letter, client_ip, email, now=None):
    """Count this signing attempt; the name of the limit it exceeds, or None when allowed.

    The domain is counted only for attempts the address limit let through, so a flood from one
    address cannot use up a whole university's allowance.
    """
    now = time.time() if now is None else now
    limits = SiteSettings.current().limits()
    client = client_key(client_ip)
    shared = client != "unknown" and SharedNetwork.contains(ipaddress.ip_network(client)[0])
    prefix = "shared_network" if shared else "ip"
    scopes = [(f"ip:{client}", limits[f"{prefix}_burst"], limits[f"{prefix}_daily"])]
    domain = domain_key(email)
    if domain is not None:
        scopes.append((f"domain:{domain}", limits["domain_burst"], limits["domain_daily"]))
    refused_by = first_over_limit(letter.pk, scopes, now)
    return None if refused_by is None else ["address", "domain"][refused_by]


def requests_allowed(kind, subject, per_day, now=None):
    """Count a request of `kind` about `subject` today; whether it is within `per_day`."""
    now = time.time() if now is None else now
    day = int(now // DAY_SECONDS)
    return increment(f"{kind}:{subject}:{day}", DAY_SECONDS + 5) <= per_day


def fresh_link_allowed(signature, now=None):
    """A request for a fresh confirmation link, within FRESH_LINKS_PER_DAY?"""
    return requests_allowed("fresh-link", signature.pk, settings.FRESH_LINKS_PER_DAY, now)


def manage_link_allowed(letter, email, now=None):
    """A request for the manage link on `letter` for `email`, within MANAGE_LINKS_PER_DAY?

    Counted by address whether or not it has signed, so that the answer cannot tell the two
    apart, not even when the cache is down. The counter's key holds a hash, not the address.
    """
    address = hashlib.sha256(canonical_email(email).encode()).hexdigest()[:32]
    return requests_allowed(
        "manage-link", f"{letter.pk}:{address}", settings.MANAGE_LINKS_PER_DAY, now
    )


# The honeypot: a field people never see or reach (signatories/_sign_form.html) that form-filling
# scripts complete.
HONEYPOT_FIELD = "homepage"


def refused(request, letter, email):
    """Whether to drop this valid signing attempt: a filled honeypot, or a limit exceeded.

    A refusal is logged and counted; the caller answers exactly as it does to a real signer.
    """
    client_ip = request.META.get("REMOTE_ADDR") or None
    if request.POST.get(HONEYPOT_FIELD, "").strip():
        reason = "honeypot"
    else:
        reason = refusal_reason(letter, client_ip, email)
    if reason is None:
        return False
    record_refusal(letter, reason, client_ip, email)
    return True


def record_refusal(letter, reason, client_ip, email="", now=None):
    """Log a refused attempt and count it for the letter's hour (see refusals())."""
    now = time.time() if now is None else now
    hour = int(now // 3600)
    increment(f"refused:{letter.pk}:{hour}:{reason}", REFUSED_KEEP_SECONDS)
    logger.warning(
        "Signing attempt refused: letter=%s reason=%s client=%s domain=%s",
        letter.slug,
        reason,
        client_key(client_ip),
        email_domain(email) if email else "-",
    )


def refusals(letter, hour):
    """{reason: n} refused on `letter` in the hour starting at `hour` * 3600 (epoch seconds)."""
    reasons = ["address", "domain", "honeypot"]
    found = cache.get_many([f"refused:{letter.pk}:{hour}:{reason}" for reason in reasons])
    return {reason: found.get(f"refused:{letter.pk}:{hour}:{reason}", 0) for reason in reasons}
