"""The organizers' full export, and the spreadsheet-formula guard it shares with open data."""

import csv
import io
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from letters.models import AuditEvent
from signatories.models import Level, Review
from tests.builders import make_organizer, make_signature

pytestmark = pytest.mark.django_db

HOSTILE = ['=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(1)", "\t=1", "\r=1"]


def download(client, letter, extension):
    response = client.get(reverse(f"organize:export_{extension}", args=[letter.slug]))
    assert response.status_code == 200
    return response, b"".join(response.streaming_content).decode()


def csv_rows(text):
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def states(letter):
    now = timezone.now()
    return {
        "counted": make_signature(letter, name="Counted Person", email="c@uni.example"),
        "pending": make_signature(letter, name="Pending Person", level=Level.PENDING),
        "hidden": make_signature(letter, name="Hidden Person", hidden_at=now, hidden_reason="spam"),
        "withdrawn": make_signature(letter, name="Gone Person", withdrawn_at=now),
        "held": make_signature(letter, name="Held Person", review=Review.HELD, hold_reason="x"),
    }


def test_csv_holds_every_signature_with_its_state_and_email(client, letter, states):
    client.force_login(make_organizer(letter, "editor"))

    response, text = download(client, letter, "csv")

    rows = csv_rows(text)
    assert {row["name"]: row["state"] for row in rows} == {
        "Counted Person": "counted",
        "Pending Person": "pending",
        "Hidden Person": "hidden",
        "Gone Person": "withdrawn",
        "Held Person": "held",
    }
    assert rows[0]["email"] == "c@uni.example"
    assert "client_ip" not in rows[0]
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(
        f'attachment; filename="{letter.slug}-all-signatures-'
    )
    assert response["Cache-Control"] == "private, no-store"


def test_owner_export_includes_the_client_address(client, letter):
    make_signature(letter, client_ip="192.0.2.7")
    client.force_login(make_organizer(letter, "owner"))

    _, text = download(client, letter, "csv")

    assert csv_rows(text)[0]["client_ip"] == "192.0.2.7"


def test_json_holds_the_same_records_with_text_unchanged(client, letter):
    for name in HOSTILE:
        make_signature(letter, name=name, affiliation=name)
    client.force_login(make_organizer(letter, "editor"))

    response, text = download(client, letter, "json")

    document = json.loads(text)
    assert [record["name"] for record in document["signatures"]] == HOSTILE
    assert document["columns"][:3] == ["state", "id", "name"]
    assert "client_ip" not in document["signatures"][0]
    assert response["Cache-Control"] == "private, no-store"


def test_csv_neutralises_formulas_in_every_cell(client, letter):
    for name in HOSTILE:
        make_signature(letter, name=name, affiliation=name, role=name)
    client.force_login(make_organizer(letter, "editor"))

    _, text = download(client, letter, "csv")

    rows = csv_rows(text)
    assert [row["name"] for row in rows] == ["'" + name for name in HOSTILE]
    for row in rows:
        assert row["affiliation"].startswith("'") and row["role"].startswith("'")


def test_public_csv_neutralises_formulas_too(client, letter):
    for name in HOSTILE:
        make_signature(letter, name=name, affiliation=name)

    response = client.get(f"/letters/{letter.slug}/signatories.csv")

    rows = csv_rows(b"".join(response.streaming_content).decode())
    assert sorted(row["name"] for row in rows) == sorted("'" + name for name in HOSTILE)
    assert all(row["affiliation"].startswith("'") for row in rows)


def test_each_download_is_audited(client, letter):
    editor = make_organizer(letter, "editor")
    client.force_login(editor)

    download(client, letter, "csv")
    download(client, letter, "json")

    assert [(e.actor, e.action, e.detail["format"]) for e in AuditEvent.objects.order_by("id")] == [
        (editor, "export.downloaded", "csv"),
        (editor, "export.downloaded", "json"),
    ]


def test_reviewer_may_not_export(client, letter, states):
    client.force_login(make_organizer(letter, "reviewer"))

    response = client.get(reverse("organize:export_csv", args=[letter.slug]))

    assert response.status_code == 403
    assert not AuditEvent.objects.exists()


def test_export_reads_in_a_constant_number_of_queries(client, letter, django_assert_num_queries):
    for _ in range(30):
        make_signature(letter)
    client.force_login(make_organizer(letter, "editor"))

    # Session, user, letter, membership, the audit row; then the rows in one cursor.
    with django_assert_num_queries(6):
        response = client.get(reverse("organize:export_csv", args=[letter.slug]))
        assert len(csv_rows(b"".join(response.streaming_content).decode())) == 30
