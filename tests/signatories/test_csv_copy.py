"""The open-data CSV written by PostgreSQL's COPY is byte for byte the one Python writes."""

import datetime

import pytest
from django.db import connection

from signatories.models import Level, Signature
from signatories.opendata import copy_csv_chunks, crlf_records, python_csv_lines
from tests.builders import make_organization, make_signature

HOSTILE_NAMES = [
    '=HYPERLINK("http://x","y")',
    "+SUM(1,2)",
    "-2+3",
    "@cmd|' /C calc'!A0",
    "\tTabbed",
    "\rCarriage",
    "Comma, Name",
    'Quote "Q" Person',
    "Line\nBreak",
    "Windows\r\nBreak",
    "\\.",
    "Back\\slash",
    " Leading and trailing ",
    "Ünïcödé 名前 👩‍🔬",
    "'Already quoted",
    "x",
]


@pytest.fixture
def hostile_letter(letter):
    organization = make_organization(name='=Org, "Inc"', ror_id="00rqy9422")
    exact_second = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    for i, name in enumerate(HOSTILE_NAMES):
        # Some timestamps on the second exactly: isoformat() then has no microseconds.
        times = {"confirmed_at": exact_second + datetime.timedelta(seconds=i)} if i % 2 else {}
        make_signature(
            letter,
            name=name,
            affiliation=["", "-Dept", 'Lab, "Main"', "Plain"][i % 4],
            role=["@role", "", "Role\nTwo", "Engineer"][i % 4],
            level=[Level.CONFIRMED, Level.DOMAIN, Level.ORCID, Level.ORGANIZER][i % 4],
            organization=organization if i % 2 else None,
            orcid_id="0000-0002-1825-0097" if i % 3 == 0 else "",
            notable=i % 5 == 0,
            signed_at=exact_second if i % 3 == 0 else datetime.datetime.now(datetime.UTC),
            **times,
        )
    make_signature(letter, name="Hidden Person", public=False)
    make_signature(letter, name="Pending Person", level=Level.PENDING)
    return letter


def python_csv(signatures):
    return "".join(python_csv_lines(signatures)).encode()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
@pytest.mark.django_db
def test_copy_writes_the_same_bytes_as_python(hostile_letter):
    signatures = Signature.objects.listed(hostile_letter)

    copied = b"".join(copy_csv_chunks(signatures, chunk_size=100))

    expected = python_csv(signatures)
    assert copied == expected
    for cell in [b"'=HYPERLINK(\"\"http", b'"Line\nBreak"', b'"Windows\r\nBreak"', b"\\.",
                 b"'\tTabbed", b"2026-01-02T03:04:05+00:00", b",,"]:  # fmt: skip
        assert cell in copied, cell
    assert expected.count(b"\r\n") >= len(HOSTILE_NAMES) + 1
    assert b"Hidden Person" not in copied and b"Pending Person" not in copied


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
@pytest.mark.django_db
def test_the_download_is_written_by_copy_and_matches_python(client, hostile_letter):
    response = client.get(f"/letters/{hostile_letter.slug}/signatories.csv")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == python_csv(
        Signature.objects.listed(hostile_letter)
    )


@pytest.mark.django_db
def test_an_empty_list_is_the_header_alone(client, letter):
    response = client.get(f"/letters/{letter.slug}/signatories.csv")

    assert b"".join(response.streaming_content) == (
        b"id,name,affiliation,role,level,organization,ror_id,country,orcid,notable,"
        b"signed_at,confirmed_at\r\n"
    )


def test_record_ends_become_crlf_but_line_breaks_inside_cells_stay():
    # PostgreSQL's records, cut at awkward places as a network might.
    copied = b'a,"b\nc",d\ne,"f ""g"" h",i\nj,k,"l\r\nm"\n'
    chunks = [copied[:4], copied[4:9], copied[9:20], copied[20:21], copied[21:]]

    assert b"".join(crlf_records(chunks)) == (b'a,"b\nc",d\r\ne,"f ""g"" h",i\r\nj,k,"l\r\nm"\r\n')
