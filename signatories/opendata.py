"""Open data: the columns every download of public signatories shares (schema version 1)."""

import json


class Echo:
    def write(self, value):
        return value


OPEN_DATA_SCHEMA_VERSION = 1
OPEN_DATA_COLUMNS = [
    "id",
    "name",
    "affiliation",
    "role",
    "level",
    "organization",
    "ror_id",
    "country",
    "orcid",
    "notable",
    "signed_at",
    "confirmed_at",
]
OPEN_DATA_FIELDS = [
    "public_id",
    "name",
    "affiliation",
    "role",
    "level",
    "organization__name",
    "organization__ror_id",
    "organization__country_code",
    "orcid_id",
    "notable",
    "signed_at",
    "confirmed_at",
    "show_affiliation",
]
# Blanked for a signer who chose to be listed by name only.
AFFILIATION_COLUMNS = ["affiliation", "role", "organization", "ror_id", "country"]
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value):
    """Spreadsheets run a cell starting with = + - @ tab or CR as a formula; quote it."""
    value = "" if value is None else str(value)
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def open_data_rows(signatures):
    """Each signature as a dict of the open-data columns, oldest first, streamed."""
    rows = (
        signatures.order_by("confirmed_at", "id")
        .values_list(*OPEN_DATA_FIELDS)
        .iterator(chunk_size=2000)
    )
    for *row, show_affiliation in rows:
        record = dict(zip(OPEN_DATA_COLUMNS, row, strict=True))
        if not show_affiliation:
            record.update(dict.fromkeys(AFFILIATION_COLUMNS, ""))
        record["id"] = str(record["id"])
        record["signed_at"] = record["signed_at"].isoformat()
        record["confirmed_at"] = record["confirmed_at"].isoformat()
        record["organization"] = record["organization"] or ""
        record["ror_id"] = record["ror_id"] or ""
        record["country"] = record["country"] or ""
        yield record


def csv_row(record):
    """A record as CSV cells: formulas neutralised, booleans as yes/no."""
    cells = {**record, "notable": "yes" if record["notable"] else "no"}
    return [neutralise_cell(cells[column]) for column in OPEN_DATA_COLUMNS]


def json_document(header, key, records):
    """`header` with the list `key` of `records` added, as JSON text streamed record by record."""
    yield json.dumps(header)[:-1] + ", " + json.dumps(key) + ": [\n"
    first = True
    for record in records:
        yield ("" if first else ",\n") + json.dumps(record, ensure_ascii=False)
        first = False
    yield "\n]}\n"
