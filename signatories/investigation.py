"""Investigating abuse on a letter: search signatures by client address or network, email
domain, name and time window; hide what a search finds in bulk; hourly reports of floods.

Client addresses are the owners' alone (power "investigate"); moderators (power "moderate")
search and hide by domain, name and time window only.
"""

import ipaddress
from collections import Counter
from datetime import timedelta
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import BooleanField, Count, F, Q, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import StrIndex, Substr
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from letters.models import AuditEvent, Letter, Organizer
from signatories.domains import is_shared, normalise_domain
from signatories.forms import clean_text
from signatories.models import AbuseReport, BulkAction, Signature

DATETIME_INPUT = "%Y-%m-%dT%H:%M"
# SQLite has no network type: a search by network reads at most this many candidate rows
# and checks them in Python. Beyond it the search asks for a narrower network.
SQLITE_NETWORK_SCAN_LIMIT = 200_000
BULK_BATCH = 200
IPV6_GROUP_PREFIX = 64


class SearchForm(forms.Form):
    """An investigation search. Every field is optional; an empty form searches nothing."""

    address = forms.CharField(
        label=_("Client address or network"),
        help_text=_("An IPv4 or IPv6 address, or a network such as 203.0.113.0/24."),
        max_length=64,
        required=False,
    )
    domain = forms.CharField(
        label=_("Email domain"),
        help_text=_("Also finds its subdomains."),
        max_length=253,
        required=False,
    )
    name = forms.CharField(label=_("Name contains"), max_length=200, required=False)
    since = forms.DateTimeField(
        label=_("Signed from"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_INPUT),
    )
    until = forms.DateTimeField(
        label=_("Signed before"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_INPUT),
    )

    FILTERS = ["address", "domain", "name", "since", "until"]

    def __init__(self, *args, allow_address, **kwargs):
        super().__init__(*args, **kwargs)
        self.allow_address = allow_address
        if not allow_address:
            del self.fields["address"]

    def clean_address(self):
        value = self.cleaned_data["address"].strip()
        if not value:
            return None
        try:
            return ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise ValidationError(
                _("Enter an IPv4 or IPv6 address, or a network such as 203.0.113.0/24.")
            ) from None

    def clean_domain(self):
        value = self.cleaned_data["domain"].strip().removeprefix("@")
        if not value:
            return ""
        domain = normalise_domain(value)
        if domain is None or "@" in domain or "." not in domain:
            raise ValidationError(_("Enter a domain such as example.org."))
        return domain

    def clean_name(self):
        return clean_text(self.cleaned_data["name"])

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since >= until:
            raise ValidationError(_("The start of the time window must be before its end."))
        return data

    def has_filters(self):
        return any(self.cleaned_data.get(name) for name in self.FILTERS)

    def as_filters(self):
        """The validated search as plain strings: for links, hidden fields and BulkAction."""
        filters = {}
        for name in self.FILTERS:
            value = self.cleaned_data.get(name)
            if not value:
                continue
            if name in ("since", "until"):
                value = timezone.localtime(value).strftime("%Y-%m-%dT%H:%M:%S")
            filters[name] = str(value)
        return filters

    def search(self, letter):
        return matching(letter, **{k: self.cleaned_data.get(k) for k in self.FILTERS})


def matching(letter, *, address=None, domain="", name="", since=None, until=None):
    """The letter's signatures a search finds, withdrawn ones included (they were signed)."""
    signatures = Signature.objects.filter(letter=letter)
    if domain:
        # The canonical address is lower case and IDNA-encoded, as normalise_domain makes it.
        signatures = signatures.filter(
            Q(email_canonical__endswith="@" + domain) | Q(email_canonical__endswith="." + domain)
        )
    if name:
        signatures = signatures.filter(name__icontains=name)
    if since:
        signatures = signatures.filter(signed_at__gte=since)
    if until:
        signatures = signatures.filter(signed_at__lt=until)
    if address is not None:
        signatures = in_network(signatures, address)
    return signatures


class NetworkTooBroad(Exception):
    pass


def in_network(signatures, network):
    """Signatures whose client address is in `network` (a single address is a /32 or /128)."""
    if network.num_addresses == 1:
        return signatures.filter(client_ip=str(network.network_address))
    if connection.vendor == "postgresql":
        # client_ip is an inet column on PostgreSQL: "is contained by or equals" uses it whole.
        condition = RawSQL(
            '"signatories_signature"."client_ip" <<= %s::inet',
            [str(network)],
            output_field=BooleanField(),
        )
        return signatures.filter(condition)
    # Elsewhere addresses are text. IPv4 networks narrow the scan by their whole leading
    # octets ("10.1." for 10.1.0.0/16); then each candidate is parsed and checked exactly.
    candidates = signatures.filter(client_ip__isnull=False)
    if network.version == 4:
        octets = str(network.network_address).split(".")[: network.prefixlen // 8]
        prefix = ".".join(octets) + "." if octets else ""
        candidates = candidates.filter(client_ip__startswith=prefix, client_ip__contains=".")
    else:
        candidates = candidates.filter(client_ip__contains=":")
    rows = list(candidates.values_list("pk", "client_ip")[: SQLITE_NETWORK_SCAN_LIMIT + 1])
    if len(rows) > SQLITE_NETWORK_SCAN_LIMIT:
        raise NetworkTooBroad
    inside = [pk for pk, ip in rows if address_in(ip, network)]
    return signatures.filter(pk__in=inside)


def address_in(text, network):
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return False
    return address.version == network.version and address in network


def email_domain_expression():
    return Substr("email_canonical", StrIndex("email_canonical", Value("@")) + 1)


def summary(signatures, *, with_addresses):
    """How many signatures a search found, how many count, and its largest groups."""
    counted = signatures.counted().count()
    totals = {
        "total": signatures.count(),
        "counted": counted,
        "hidden": signatures.filter(hidden_at__isnull=False).count(),
        "pending": signatures.filter(level="pending").count(),
    }
    domains = (
        signatures.annotate(domain=email_domain_expression())
        .values_list("domain")
        .annotate(n=Count("id"))
        .order_by("-n", "domain")[:10]
    )
    groups = {"domains": list(domains)}
    if with_addresses:
        groups["addresses"] = list(
            signatures.filter(client_ip__isnull=False)
            .values_list("client_ip")
            .annotate(n=Count("id"))
            .order_by("-n", "client_ip")[:10]
        )
    return totals, groups


def start_bulk_hide(letter, *, form, reason, by):
    """Record a bulk hide of what `form` finds and queue it; the BulkAction to watch."""
    from signatories.tasks import run_bulk_action

    filters = form.as_filters()
    # The window closes now at the latest: signatures arriving while the action runs were
    # not in the preview.
    now = timezone.now()
    since, until = form.cleaned_data.get("since"), form.cleaned_data.get("until")
    if (until is None or until > now) and (since is None or since < now):
        filters["until"] = timezone.localtime(now).strftime("%Y-%m-%dT%H:%M:%S.%f")
    # The action, its audit row and its queued task exist together or not at all.
    with transaction.atomic():
        action = BulkAction.objects.create(
            letter=letter,
            filters=filters,
            reason=reason,
            by=by,
            total=bulk_targets(letter, filters).count(),
        )
        AuditEvent.record(
            letter=letter,
            actor=by,
            action="signatures.bulk_hide",
            target=action,
            filters=filters,
            reason=reason,
            total=action.total,
        )
        transaction.on_commit(lambda: run_bulk_action.enqueue(action.pk))
    return action


def bulk_targets(letter, filters):
    """The signatures a stored search still has to hide."""
    form = SearchForm(filters, allow_address=True)
    if not form.is_valid():
        raise ValueError(f"stored filters no longer validate: {form.errors.as_json()}")
    return form.search(letter).filter(hidden_at__isnull=True)


def run_bulk(action_id):
    """Hide, in batches, what a BulkAction's search finds. Safe to run twice or at once:
    hide() is a no-op on a hidden row, and only rows this run hid are added to `done`."""
    action = BulkAction.objects.select_related("letter", "by").filter(pk=action_id).first()
    if action is None or action.finished_at is not None:
        return
    BulkAction.objects.filter(pk=action.pk, started_at__isnull=True).update(
        started_at=timezone.now()
    )
    last_pk = 0
    while True:
        batch = list(
            bulk_targets(action.letter, action.filters)
            .filter(pk__gt=last_pk)
            .order_by("pk")[:BULK_BATCH]
        )
        if not batch:
            break
        hidden = sum(1 for s in batch if s.hide(by=action.by, reason=action.reason))
        BulkAction.objects.filter(pk=action.pk).update(done=F("done") + hidden)
        last_pk = batch[-1].pk
    finished = BulkAction.objects.filter(pk=action.pk, finished_at__isnull=True).update(
        finished_at=timezone.now()
    )
    if finished:
        action.refresh_from_db()
        AuditEvent.record(
            letter=action.letter,
            actor="system",
            action="signatures.bulk_hide_finished",
            target=action,
            done=action.done,
        )


def address_group(text):
    """The group a client address is reported in: itself for IPv4, its /64 for IPv6."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/{IPV6_GROUP_PREFIX}", strict=False))
    return str(address)


def hour_findings(start, end):
    """{letter_id: {"addresses": [(group, n)], "domains": [(domain, n)]}} above the thresholds
    for signatures signed in [start, end)."""
    by_address, by_domain = {}, {}
    rows = (
        Signature.objects.filter(signed_at__gte=start, signed_at__lt=end)
        .values_list("letter_id", "client_ip", "email_canonical")
        .iterator(chunk_size=5000)
    )
    for letter_id, client_ip, email in rows:
        if client_ip and (group := address_group(client_ip)):
            by_address.setdefault(letter_id, Counter())[group] += 1
        by_domain.setdefault(letter_id, Counter())[email.rpartition("@")[2]] += 1
    findings = {}
    for letter_id in by_address.keys() | by_domain.keys():
        addresses = [
            (group, n)
            for group, n in by_address.get(letter_id, Counter()).most_common()
            if n >= settings.ABUSE_REPORT_IP_THRESHOLD
        ]
        # Shared webmail domains carry many honest signers; only the address check sees them.
        domains = [
            (domain, n)
            for domain, n in by_domain.get(letter_id, Counter()).most_common()
            if n >= settings.ABUSE_REPORT_DOMAIN_THRESHOLD and not is_shared(domain)
        ]
        if addresses or domains:
            findings[letter_id] = {"addresses": addresses, "domains": domains}
    return findings


def search_url(letter, **filters):
    return (
        settings.SITE_URL
        + reverse("organize:investigate", args=[letter.slug])
        + "?"
        + urlencode(filters)
    )


def send_abuse_reports(now=None):
    """Email each letter's owners about the last complete hour's floods. Once per letter-hour:
    a second run, or one racing this one, finds the AbuseReport and sends nothing.

    Returns the reports sent.
    """
    from signatories import emails

    end = (now or timezone.now()).replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(hours=1)
    window = {
        "since": timezone.localtime(start).strftime(DATETIME_INPUT),
        "until": timezone.localtime(end).strftime(DATETIME_INPUT),
    }
    sent = []
    findings = hour_findings(start, end)
    for letter in Letter.objects.filter(pk__in=findings.keys()).order_by("pk"):
        found = findings[letter.pk]
        # The report row commits with the sending: if the mail server fails, the row rolls
        # back and the next run reports this hour again; a concurrent run waits on the unique
        # row and then finds it.
        with transaction.atomic():
            report, created = AbuseReport.objects.get_or_create(
                letter=letter, hour=start, defaults={"findings": found}
            )
            if not created:
                continue
            owners = Organizer.objects.filter(
                letter=letter, role=Organizer.Role.OWNER
            ).select_related("user")
            groups = {
                "addresses": [
                    (group, n, search_url(letter, address=group, **window))
                    for group, n in found["addresses"]
                ],
                "domains": [
                    (domain, n, search_url(letter, domain=domain, **window))
                    for domain, n in found["domains"]
                ],
            }
            for owner in owners:
                if owner.user.email:
                    emails.send_abuse_report(letter, to=owner.user.email, hour=start, groups=groups)
        sent.append(report)
    return sent
