"""Keyset (cursor) pagination over a letter's listed signatories.

Notables first, then the most recently confirmed. The cursor is the last row's sort key, so
page 10,000 is found by an index range scan that costs what page 1 costs, where OFFSET would
read and throw away every row before it.
"""

import base64
import binascii
import json
from datetime import datetime

from django.db.models import F
from django.db.models.fields.tuple_lookups import Tuple, TupleLessThan

ORDER = ("-notable", "-confirmed_at", "-id")


class BadCursor(ValueError):
    pass


def encode_cursor(signature):
    key = [int(signature.notable), signature.confirmed_at.isoformat(), signature.pk]
    return (
        base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode())
        .decode()
        .rstrip("=")
    )


def decode_cursor(text):
    """(notable, confirmed_at, id) from a cursor string; BadCursor for anything else."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        notable, confirmed_at, pk = json.loads(raw)
        confirmed = datetime.fromisoformat(confirmed_at)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise BadCursor("That page link is not valid; start again from the first page.") from None
    # The id must fit a bigint: SQLite raises OverflowError on a larger one.
    if (
        notable not in (0, 1)
        or type(pk) is not int
        or not 0 < pk < 2**63
        or confirmed.tzinfo is None
    ):
        raise BadCursor("That page link is not valid; start again from the first page.")
    return bool(notable), confirmed, pk


def keyset_page(queryset, cursor, size):
    """(rows, next_cursor): up to `size` rows after `cursor`, and the cursor for the next page."""
    page = queryset.order_by(*ORDER)
    if cursor is not None:
        page = page.filter(TupleLessThan(Tuple(F("notable"), F("confirmed_at"), F("id")), cursor))
    # The page's ids come from the ordered index alone; joins (organization) are applied to
    # those few rows only. Joined directly, PostgreSQL misjudges the cursor's range as one row
    # and hashes half a million rows before sorting them.
    ids = page.values_list("pk", flat=True)[: size + 1]
    rows = list(queryset.filter(pk__in=ids).order_by(*ORDER))
    next_cursor = encode_cursor(rows[size - 1]) if len(rows) > size else None
    return rows[:size], next_cursor
