"""The public record: the chain verifies from the downloads alone and breaks visibly."""

import json
from datetime import date

import pytest
from django.core.management import call_command
from django.db import connection

from signatories.models import Signature, Snapshot
from tests.builders import make_signature
from tools.verify_record import verify

pytestmark = pytest.mark.django_db

DAY1, DAY2 = date(2026, 11, 26), date(2026, 11, 27)


def download(client, tmp_path, letter):
    """Save what a journalist would download: manifest, each day's file, the current list."""
    manifest = client.get(f"/letters/{letter.slug}/record.json").json()
    (tmp_path / "record.json").write_text(json.dumps(manifest))
    (tmp_path / "record").mkdir(exist_ok=True)
    for entry in manifest["snapshots"]:
        path = entry["url"].split("/letters/")[1].removeprefix(f"{letter.slug}/")
        (tmp_path / path).write_bytes(client.get(f"/letters/{letter.slug}/{path}").content)
    current = b"".join(client.get(f"/letters/{letter.slug}/signatories.csv").streaming_content)
    (tmp_path / "signatories.csv").write_bytes(current)
    return tmp_path / "record.json", tmp_path / "record", tmp_path / "signatories.csv"


@pytest.fixture
def two_days(letter):
    """Day 1: three signers. Day 2: one more, and one withdrawn (a recorded removal)."""
    first = [make_signature(letter, name=f"Day One {n}") for n in range(3)]
    call_command("take_snapshots", day=DAY1.isoformat())
    make_signature(letter, name="Day Two")
    first[0].withdraw()
    call_command("take_snapshots", day=DAY2.isoformat())
    return first


def test_chain_and_current_list_verify_from_the_downloads(client, letter, two_days, tmp_path):
    assert verify(*download(client, tmp_path, letter)) == []
    day1, day2 = Snapshot.objects.order_by("day")
    assert (day1.added, day1.removed, day1.total) == (3, 0, 3)
    assert (day2.added, day2.removed, day2.total) == (1, 1, 3)
    assert day2.previous_digest == day1.digest
    assert day1.previous_digest == "0" * 64


def test_a_silently_removed_row_breaks_the_check(client, letter, two_days, tmp_path):
    hidden = two_days[1]
    Signature.objects.filter(pk=hidden.pk).update(public=False)

    problems = verify(*download(client, tmp_path, letter))

    assert problems == [
        f"{hidden.public_id}: in the record, but missing from the current list "
        "with no removal recorded"
    ]


def test_a_row_deleted_from_a_downloaded_day_breaks_the_chain(client, letter, two_days, tmp_path):
    manifest, folder, current = download(client, tmp_path, letter)
    day1 = folder / f"{DAY1.isoformat()}.csv"
    lines = day1.read_text().splitlines(keepends=True)
    day1.write_text("".join(lines[:-1]))

    problems = verify(manifest, folder, current)

    assert problems[0].startswith("2026-11-26: the file's SHA-256 is ")


def test_a_rewritten_past_day_breaks_the_chain(client, letter, two_days, tmp_path):
    manifest, folder, current = download(client, tmp_path, letter)
    data = json.loads(manifest.read_text())
    data["snapshots"][0]["digest"] = "f" * 64
    manifest.write_text(json.dumps(data))

    problems = verify(manifest, folder, current)

    assert "2026-11-26: the digest should be" in problems[0]
    assert "2026-11-27: chained to" in problems[1]


def test_taking_a_snapshot_twice_changes_nothing(letter, capsys):
    make_signature(letter)
    call_command("take_snapshots", day=DAY1.isoformat())
    first = list(Snapshot.objects.values_list("day", "digest"))

    call_command("take_snapshots", day=DAY1.isoformat())

    assert list(Snapshot.objects.values_list("day", "digest")) == first
    assert "already recorded" in capsys.readouterr().out


def test_record_files_hold_no_emails(client, letter, two_days):
    body = client.get(f"/letters/{letter.slug}/record/{DAY1.isoformat()}.csv").content.decode()

    assert body.splitlines()[0].startswith("op,id,name,affiliation")
    assert "@" not in body


def test_record_page_lists_the_days_with_digests(client, letter, two_days):
    response = client.get(f"/letters/{letter.slug}/record/")

    assert response.status_code == 200
    for snapshot in Snapshot.objects.all():
        assert snapshot.digest in response.text


@pytest.mark.parametrize("day", ["2026-13-01", "nope", "2020-01-01"])
def test_unknown_day_is_404(client, letter, day):
    assert client.get(f"/letters/{letter.slug}/record/{day}.csv").status_code == 404


def test_bad_day_option_is_a_clear_error():
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="--day must look like"):
        call_command("take_snapshots", day="yesterday")


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's limit; slow to seed on SQLite"
)
def test_a_day_with_more_additions_than_a_statement_takes_parameters_is_recorded(letter):
    # 70,000 ids: above the 65,535 parameters PostgreSQL takes in a statement.
    call_command("seed_signatures", letter.slug, count=70_000, verbosity=0)
    Signature.objects.filter(letter=letter).update(in_record=False)
    listed = Signature.objects.listed(letter).count()

    call_command("take_snapshots", day=DAY1.isoformat())

    snapshot = Snapshot.objects.get(letter=letter, day=DAY1)
    assert listed > 65_535
    assert (snapshot.added, snapshot.removed, snapshot.total) == (listed, 0, listed)
    assert Signature.objects.filter(letter=letter, in_record=True).count() == listed
