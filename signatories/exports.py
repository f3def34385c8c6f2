"""The organizers' full export: every signature of the letter, whatever its state, with email
addresses. Streamed, so a letter of a million signatures downloads in constant memory."""

import csv

from django.http import StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from letters.models import AuditEvent
from letters.permissions import organizer_required, role_may
from signatories.models import COUNTED_LEVELS, UNPUBLISHED_REVIEWS, Signature
from signatories.opendata import Echo, json_document, neutralise_cell

# (column, field) pairs: what the file calls it, and where the row keeps it.
EXPORT = [
    ("id", "public_id"),
    ("name", "name"),
    ("email", "email"),
    ("affiliation", "affiliation"),
    ("role", "role"),
    ("organization", "organization__name"),
    ("ror_id", "organization__ror_id"),
    ("level", "level"),
    ("review", "review"),
    ("hold_reason", "hold_reason"),
    ("review_reason", "review_reason"),
    ("evidence_url", "evidence_url"),
    ("orcid", "orcid_id"),
    ("public", "public"),
    ("notable", "notable"),
    ("language", "language"),
    ("comment", "comment"),
    ("signed_at", "signed_at"),
    ("confirmed_at", "confirmed_at"),
    ("withdrawn_at", "withdrawn_at"),
    ("hidden_at", "hidden_at"),
    ("hidden_reason", "hidden_reason"),
    ("redacted_at", "redacted_at"),
]
CLIENT_IP = ("client_ip", "client_ip")
CHUNK_SIZE = 2000


def export_pairs(with_client_ip):
    """The client address is evidence for abuse investigations only, not for every export."""
    return EXPORT + ([CLIENT_IP] if with_client_ip else [])


def state_of(record):
    """One word for where the signature stands, the same order of precedence as the lists."""
    if record["withdrawn_at"]:
        return "withdrawn"
    if record["hidden_at"]:
        return "hidden"
    if record["level"] not in COUNTED_LEVELS:
        return "pending"
    if record["review"] in UNPUBLISHED_REVIEWS:
        return "held"
    return "counted"


def export_records(letter, *, with_client_ip):
    """Each signature of the letter as a dict, oldest first, read in chunks."""
    pairs = export_pairs(with_client_ip)
    columns = [column for column, _ in pairs]
    fields = [field for _, field in pairs]
    rows = (
        Signature.objects.filter(letter=letter)
        .order_by("signed_at", "id")
        .values_list(*fields)
        .iterator(chunk_size=CHUNK_SIZE)
    )
    for row in rows:
        record = dict(zip(columns, row, strict=True))
        record["state"] = state_of(record)
        for key, value in record.items():
            if hasattr(value, "isoformat"):
                record[key] = value.isoformat()
            elif value is None:
                record[key] = ""
        record["id"] = str(record["id"])
        yield record


def export_response(request, letter, membership, *, extension, content_type, chunks):
    with_client_ip = role_may(membership.role, "investigate")
    AuditEvent.record(
        letter=letter,
        actor=request.user,
        action="export.downloaded",
        format=extension,
        client_ip_included=with_client_ip,
    )
    response = StreamingHttpResponse(chunks(with_client_ip), content_type=content_type)
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = (
        f'attachment; filename="{letter.slug}-all-signatures-{stamp}.{extension}"'
    )
    # Email addresses: no shared cache, and no copy left on the organizer's disk cache.
    response["Cache-Control"] = "private, no-store"
    return response


def header_of(with_client_ip):
    return ["state", *(column for column, _ in export_pairs(with_client_ip))]


@require_safe
@organizer_required("export")
def export_csv(request, letter, membership):
    def lines(with_client_ip):
        writer = csv.writer(Echo())
        header = header_of(with_client_ip)
        yield writer.writerow(header)
        for record in export_records(letter, with_client_ip=with_client_ip):
            # A signer's name is theirs to choose; opened in a spreadsheet it must stay text.
            yield writer.writerow([neutralise_cell(record[column]) for column in header])

    return export_response(
        request,
        letter,
        membership,
        extension="csv",
        content_type="text/csv; charset=utf-8",
        chunks=lines,
    )


@require_safe
@organizer_required("export")
def export_json(request, letter, membership):
    """The same records as the CSV, unchanged: JSON is read by programs, not spreadsheets."""

    def chunks(with_client_ip):
        header = {
            "letter": {"slug": letter.slug, "title": letter.title},
            "generated_at": timezone.now().isoformat(),
            "columns": header_of(with_client_ip),
        }
        records = export_records(letter, with_client_ip=with_client_ip)
        return json_document(header, "signatures", records)

    return export_response(
        request,
        letter,
        membership,
        extension="json",
        content_type="application/json; charset=utf-8",
        chunks=chunks,
    )
