"""Open data: the columns every download of public signatories shares (schema version 1)."""

import csv
import io
import json

from django.db import connections
from django.db.models import F


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


# PostgreSQL writes the same CSV itself, with COPY: a million rows take seconds instead of the
# minute Python's csv module needs, and the web process only passes bytes along.


def _neutralised(column):
    """neutralise_cell() in SQL; NULL and '' both come out as an empty, unquoted cell."""
    return (
        f"CASE WHEN left({column}, 1) IN ('=', '+', '-', '@', E'\\t', E'\\r') "
        f"THEN '''' || {column} ELSE NULLIF({column}, '') END"
    )


def _isoformat(column):
    """datetime.isoformat() of a UTC timestamp: microseconds only when there are some."""
    # One to_char per cell: it is the dearest part of the statement.
    return (
        f"replace(to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), "
        "'.000000', '') || '+00:00'"
    )


def _when_affiliation_shown(cell):
    """Blank (NULL, written as an empty cell) for a signer listed by name only (c12)."""
    return f"CASE WHEN c12 THEN {cell} END"


# Each column of the CSV, as SQL over the columns c0…c12 that OPEN_DATA_FIELDS name.
_COPY_COLUMNS = [
    "c0::text",
    *(
        _when_affiliation_shown(_neutralised(f"c{i}"))
        if OPEN_DATA_COLUMNS[i] in AFFILIATION_COLUMNS
        else _neutralised(f"c{i}")
        for i in range(1, 9)
    ),
    "CASE WHEN c9 THEN 'yes' ELSE 'no' END",
    _isoformat("c10"),
    _isoformat("c11"),
]


def copy_csv_statement(signatures, connection):
    """The COPY statement that writes csv_row() of every open_data_rows() record, in order."""
    aliases = {f"c{i}": F(field) for i, field in enumerate(OPEN_DATA_FIELDS)}
    rows = signatures.order_by().annotate(**aliases, row_id=F("id")).values_list(*aliases, "row_id")
    sql, params = rows.query.sql_with_params()
    select = (
        f"SELECT {', '.join(_COPY_COLUMNS)} FROM ({sql}) AS open_data "  # noqa: S608 (constant SQL around the ORM's query; values stay parameters)
        "ORDER BY c11, row_id"  # confirmed_at, id: open_data_rows()'s order
    )
    return connection.ops.compose_sql(f"COPY ({select}) TO STDOUT (FORMAT csv)", params)


def copy_csv_chunks(signatures, *, chunk_size=1 << 16):
    """The CSV body (header included) as bytes, written by PostgreSQL and sent in chunks."""
    connection = connections[signatures.db]
    header = io.StringIO()
    csv.writer(header).writerow(OPEN_DATA_COLUMNS)
    buffer, size = [header.getvalue().encode()], 0
    # Through Django's cursor, so the statement is logged (and counted in tests) like any other.
    with (
        connection.cursor() as cursor,
        cursor.copy(copy_csv_statement(signatures, connection)) as copy,
    ):
        for record in crlf_records(copy):
            buffer.append(record)
            size += len(record)
            if size >= chunk_size:
                yield b"".join(buffer)
                buffer, size = [], 0
    yield b"".join(buffer)


def crlf_records(chunks):
    """PostgreSQL ends CSV records with LF, Python's csv (and schema v1) with CRLF.

    libpq hands COPY data over one record at a time, but this does not rely on it: a line
    break inside a quoted cell (an odd number of quotes before it) is kept as it is.
    """
    inside_quotes = False
    for chunk in chunks:
        lines = bytes(chunk).split(b"\n")
        last = lines.pop()
        for line in lines:
            if line.count(b'"') % 2:
                inside_quotes = not inside_quotes
            yield line + (b"\n" if inside_quotes else b"\r\n")
        if last:
            # The rest of a record continues in the next chunk.
            if last.count(b'"') % 2:
                inside_quotes = not inside_quotes
            yield last


def python_csv_lines(signatures):
    """The CSV body line by line, written by Python: SQLite's way, and the reference."""
    writer = csv.writer(Echo())
    yield writer.writerow(OPEN_DATA_COLUMNS)
    for record in open_data_rows(signatures):
        yield writer.writerow(csv_row(record))


def csv_body(signatures):
    """The open-data CSV of `signatures`, streamed: by PostgreSQL's COPY where it can."""
    if connections[signatures.db].vendor == "postgresql":
        return copy_csv_chunks(signatures)
    return python_csv_lines(signatures)
