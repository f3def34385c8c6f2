"""Switches and limits an operator changes in the admin, without a deploy.

SiteSettings is a single row: the kill switches (pause signing, pause counting, a banner on
every page, a proof-of-work challenge everywhere) and the rate limits, each of which falls back
to its environment default (settings.SIGNING_LIMITS) when left empty. SharedNetwork lists the
networks where many real people share one address (a campus, a conference Wi-Fi); they get
the higher shared-network limit.

Each process keeps what it read for SITE_SETTINGS_CACHE_SECONDS, so a change in the admin is in
force everywhere within that time without a query on every request.
"""

import ipaddress
import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

LIMIT_FIELDS = [
    "ip_burst",
    "ip_daily",
    "shared_network_burst",
    "shared_network_daily",
    "domain_burst",
    "domain_daily",
]


class Memo:
    """A value this process read, and until when it may use it."""

    def __init__(self):
        self.value, self.until = None, 0.0

    def get(self, load):
        if time.monotonic() >= self.until:
            self.value = load()
            self.until = time.monotonic() + settings.SITE_SETTINGS_CACHE_SECONDS
        return self.value

    def set(self, value, seconds):
        self.value, self.until = value, time.monotonic() + seconds

    def forget(self):
        self.until = 0.0


SITE_SETTINGS = Memo()
SHARED_NETWORKS = Memo()


def limit_field(help_text):
    return models.PositiveIntegerField(null=True, blank=True, help_text=help_text)


class SiteSettings(models.Model):
    """The site's kill switches and rate limits: one row, edited in the admin."""

    signing_paused = models.BooleanField(
        default=False,
        help_text="Kill switch: every letter shows “Signing is paused” and refuses signatures.",
    )
    counting_paused = models.BooleanField(
        default=False,
        help_text="Counts stop moving: pages show the last rolled-up totals until resumed.",
    )
    challenge_required = models.BooleanField(
        default=False,
        help_text="Every letter's form asks for a proof-of-work challenge (ALTCHA).",
    )
    banner = models.CharField(
        max_length=500, blank=True, help_text="Shown at the top of every page; empty for none."
    )
    ip_burst = limit_field("Signatures per letter per client address per minute.")
    ip_daily = limit_field("Signatures per letter per client address per day.")
    shared_network_burst = limit_field(
        "Per minute, for an address in a shared network (campus, conference Wi-Fi)."
    )
    shared_network_daily = limit_field("Per day, for an address in a shared network.")
    domain_burst = limit_field(
        "Signatures per letter per email domain per minute (large mail providers are exempt)."
    )
    domain_daily = limit_field("Signatures per letter per email domain per day.")
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = "site settings"
        verbose_name_plural = "site settings"
        constraints = [models.CheckConstraint(condition=models.Q(pk=1), name="site_settings_one")]

    def __str__(self):
        return "Site settings"

    @classmethod
    def current(cls):
        """The row in force (an unsaved default row when none exists yet), read at most once
        per SITE_SETTINGS_CACHE_SECONDS per process."""
        return SITE_SETTINGS.get(lambda: cls.objects.filter(pk=1).first() or cls(pk=1))

    def save_and_apply(self):
        """Save; in force at once in this process, in the others within the memo's time."""
        self.pk = 1
        self.updated_at = timezone.now()
        self.save()
        SITE_SETTINGS.forget()

    def limits(self):
        """{field: n}: the admin's value where set, else the environment's default."""
        return {
            field: value if (value := getattr(self, field)) is not None else default
            for field, default in settings.SIGNING_LIMITS.items()
        }


def validate_network(value):
    try:
        ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        raise ValidationError(_("Enter an IP address or a CIDR such as 192.0.2.0/24.")) from None


class SharedNetwork(models.Model):
    """A network where many real signers share an address, so it gets a higher limit."""

    cidr = models.CharField(
        max_length=64,
        unique=True,
        validators=[validate_network],
        help_text="An IPv4 or IPv6 network, as in 192.0.2.0/24 or 2001:db8::/48.",
    )
    description = models.CharField(max_length=200, help_text="Whose network, and why.")
    added_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["cidr"]

    def __str__(self):
        return f"{self.cidr} ({self.description})"

    @classmethod
    def networks(cls):
        """The listed networks, parsed, read at most once per SITE_SETTINGS_CACHE_SECONDS."""
        return SHARED_NETWORKS.get(
            lambda: [
                ipaddress.ip_network(cidr.strip(), strict=False)
                for cidr in cls.objects.values_list("cidr", flat=True)
            ]
        )

    @classmethod
    def forget(cls):
        """After an edit in the admin: this process reads the list again at once."""
        SHARED_NETWORKS.forget()

    @classmethod
    def contains(cls, address):
        return any(address.version == net.version and address in net for net in cls.networks())


def signing_paused(letter):
    return letter.signing_paused or SiteSettings.current().signing_paused


def challenge_required(letter):
    return letter.challenge_required or SiteSettings.current().challenge_required


def counting_paused():
    return SiteSettings.current().counting_paused
