"""The public record: a daily, hash-chained log of what entered and left a letter's public list.

Day D's content is a CSV (see RECORD_COLUMNS) of rows added (+) with their open-data fields and
rows removed (-) by id, since the previous snapshot. Its digest is

    sha256(previous_digest + "\\n" + D + "\\n" + sha256(content) + "\\n")

with 64 zeros before the first day. tools/verify_record.py recomputes the chain from the
downloads alone and checks that every id the record still lists is in the current CSV.
"""

import csv
import hashlib
import io
from itertools import batched

from django.db import transaction

from signatories.models import Signature, Snapshot
from signatories.opendata import OPEN_DATA_COLUMNS, csv_row, open_data_rows

RECORD_COLUMNS = ["op", *OPEN_DATA_COLUMNS]


# A day's additions can be a viral day's signatures: their ids go to the database in batches,
# as PostgreSQL takes at most 65,535 parameters a statement when they are sent apart from the
# query (config/settings.py), and some SQLite builds 32,766.
IN_RECORD_BATCH = 10_000


def mark_in_record(letter, public_ids, in_record):
    for batch in batched(public_ids, IN_RECORD_BATCH):
        Signature.objects.filter(letter=letter, public_id__in=batch).update(in_record=in_record)


def chain_digest(previous_digest, day, content_sha256):
    return hashlib.sha256(
        f"{previous_digest}\n{day.isoformat()}\n{content_sha256}\n".encode()
    ).hexdigest()


def take_snapshot(letter, day):
    """Record `letter`'s public-list changes for `day`. Safe to run twice: the second is a no-op."""
    if Snapshot.objects.filter(letter=letter, day=day).exists():
        return None
    # One transaction with the previous snapshot locked: two runs at once cannot both chain
    # onto the same predecessor, and in_record flips only if the snapshot is stored.
    with transaction.atomic():
        previous = (
            Snapshot.objects.select_for_update()
            .filter(letter=letter, day__lt=day)
            .order_by("-day")
            .first()
        )
        if Snapshot.objects.filter(letter=letter, day=day).exists():
            return None
        listed = Signature.objects.listed(letter)
        added = listed.filter(in_record=False)
        removed = Signature.objects.filter(letter=letter, in_record=True).exclude(
            pk__in=listed.values("pk")
        )
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(RECORD_COLUMNS)
        added_ids = []
        for record in open_data_rows(added):
            writer.writerow(["+", *csv_row(record)])
            added_ids.append(record["id"])
        removed_ids = [
            str(public_id)
            for public_id in removed.order_by("id").values_list("public_id", flat=True)
        ]
        for public_id in removed_ids:
            writer.writerow(["-", public_id] + [""] * (len(OPEN_DATA_COLUMNS) - 1))
        content = buffer.getvalue()
        content_sha256 = hashlib.sha256(content.encode()).hexdigest()
        previous_digest = previous.digest if previous else Snapshot.GENESIS
        mark_in_record(letter, added_ids, True)
        mark_in_record(letter, removed_ids, False)
        return Snapshot.objects.create(
            letter=letter,
            day=day,
            added=len(added_ids),
            removed=len(removed_ids),
            total=(previous.total if previous else 0) + len(added_ids) - len(removed_ids),
            content=content,
            content_sha256=content_sha256,
            previous_digest=previous_digest,
            digest=chain_digest(previous_digest, day, content_sha256),
        )


def manifest(letter, site_url):
    """The record's index: each day's counts, digests and download link."""
    return {
        "letter": letter.slug,
        "genesis": Snapshot.GENESIS,
        "snapshots": [
            {
                "day": snapshot.day.isoformat(),
                "added": snapshot.added,
                "removed": snapshot.removed,
                "total": snapshot.total,
                "content_sha256": snapshot.content_sha256,
                "previous_digest": snapshot.previous_digest,
                "digest": snapshot.digest,
                "url": f"{site_url}/letters/{letter.slug}/record/{snapshot.day.isoformat()}.csv",
            }
            for snapshot in letter.snapshots.defer("content").order_by("day")
        ],
    }
