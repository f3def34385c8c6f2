"""Retention: keep signers' personal data no longer than the letter needs it.

Unconfirmed signatures are deleted UNCONFIRMED_RETENTION_DAYS after signing (they were never
counted, so no count moves). CLOSED_LETTER_RETENTION_DAYS after a letter closes, its
signatures' email addresses are replaced by a placeholder that is not an address and their
client addresses erased: names, levels and counts stay as published, and the placeholder is
unique, so "one signature per address" still holds. Both steps are idempotent (the daily timer
runs `manage.py apply_retention`).
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat, Replace
from django.utils import timezone

from letters.models import Letter
from signatories.models import Level, Signature

logger = logging.getLogger("undersigned.retention")

PLACEHOLDER_DOMAIN = "invalid"  # RFC 2606: never a real domain, so never mailed


@dataclass
class RetentionResult:
    unconfirmed_deleted: int
    redacted: int
    letters_redacted: int


def placeholder_email():
    """erased-<public id, 32 hex digits>@invalid: unique per signature, not an address."""
    hex_id = Replace(Cast("public_id", CharField()), Value("-"), Value(""))
    return Concat(Value("erased-"), hex_id, Value(f"@{PLACEHOLDER_DOMAIN}"))


def delete_unconfirmed(now):
    cutoff = now - timedelta(days=settings.UNCONFIRMED_RETENTION_DAYS)
    deleted, _ = Signature.objects.filter(level=Level.PENDING, signed_at__lt=cutoff).delete()
    return deleted


def letters_past_retention(now):
    """Public letters that closed more than CLOSED_LETTER_RETENTION_DAYS ago."""
    cutoff = now - timedelta(days=settings.CLOSED_LETTER_RETENTION_DAYS)
    return Letter.objects.public().filter(closes_at__lt=cutoff)


def redact_closed_letters(now):
    letters = letters_past_retention(now)
    placeholder = placeholder_email()
    redacted = Signature.objects.filter(letter__in=letters, redacted_at__isnull=True).update(
        email=placeholder, email_canonical=placeholder, client_ip=None, redacted_at=now
    )
    return redacted, letters.count()


def apply_retention(now=None):
    """Delete what has expired; returns what was done, which is also logged."""
    now = now or timezone.now()
    deleted = delete_unconfirmed(now)
    redacted, letters = redact_closed_letters(now)
    result = RetentionResult(deleted, redacted, letters)
    logger.info(
        "Retention: deleted %d unconfirmed signatures older than %d days; erased the email and "
        "client addresses of %d signatures on %d letters closed more than %d days ago.",
        deleted,
        settings.UNCONFIRMED_RETENTION_DAYS,
        redacted,
        letters,
        settings.CLOSED_LETTER_RETENTION_DAYS,
    )
    return result
