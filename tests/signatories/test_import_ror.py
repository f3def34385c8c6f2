import json
import zipfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from signatories.models import Organization

pytestmark = pytest.mark.django_db

# Real ROR records (CC0), shipped with the tests so a checkout anywhere can run them.
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "ror-sample-v2.json"


def run(path, capsys):
    call_command("import_ror", str(path))
    return capsys.readouterr().out


def test_import_loads_records_with_names_domains_and_status(capsys):
    output = run(SAMPLE, capsys)

    assert "22 records" in output and "22 created, 0 updated, 0 unchanged" in output
    uq = Organization.objects.get(ror_id="00rqy9422")
    assert (uq.name, uq.country_code, uq.status, uq.types) == (
        "University of Queensland",
        "AU",
        "active",
        ["education"],
    )
    assert set(uq.names.values_list("name", flat=True)) == {"University of Queensland", "UQ"}
    # ROR lists no domain for it: the website's domain stands in.
    assert list(uq.domains.values_list("domain", flat=True)) == ["uq.edu.au"]
    jdsu = Organization.objects.get(ror_id="00wz65j53")
    assert jdsu.status == "inactive"
    assert set(jdsu.domains.values_list("domain", flat=True)) == {"wisc.edu", "jdsu.com"}
    # A site below its registrable domain vouches only for its own host.
    nuclear = Organization.objects.get(ror_id="02atag894")
    assert list(nuclear.domains.values_list("domain", flat=True)) == ["science.osti.gov"]


def test_second_run_changes_nothing(capsys):
    run(SAMPLE, capsys)
    before = list(Organization.objects.values_list("id", "ror_id", "name", "status").order_by("id"))

    output = run(SAMPLE, capsys)

    assert "0 created, 0 updated, 22 unchanged" in output
    assert (
        list(Organization.objects.values_list("id", "ror_id", "name", "status").order_by("id"))
        == before
    )


def test_changed_record_is_updated_in_place(tmp_path, capsys):
    run(SAMPLE, capsys)
    records = json.loads(SAMPLE.read_text())
    uq = next(r for r in records if r["id"].endswith("00rqy9422"))
    uq["status"] = "inactive"
    uq["names"] = [n for n in uq["names"] if n["value"] != "UQ"]
    uq["domains"] = ["uq.edu.au", "student.uq.edu.au"]
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(records))

    output = run(changed, capsys)

    assert "0 created, 1 updated, 21 unchanged" in output
    assert "~ 00rqy9422 University of Queensland: status, names, domains" in output
    organization = Organization.objects.get(ror_id="00rqy9422")
    assert organization.status == "inactive"
    assert set(organization.names.values_list("name", flat=True)) == {"University of Queensland"}
    assert set(organization.domains.values_list("domain", flat=True)) == {
        "uq.edu.au",
        "student.uq.edu.au",
    }


def test_zip_dump_is_read(tmp_path, capsys):
    archive = tmp_path / "v1.70-2025-10-01-ror-data.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("v1.70-2025-10-01-ror-data_schema_v1.json", "[]")
        zf.writestr("v1.70-2025-10-01-ror-data_schema_v2.json", SAMPLE.read_text())

    output = run(archive, capsys)

    assert "22 created" in output


@pytest.mark.parametrize("content", ["not json", '{"id": "x"}', "[1, 2"])
def test_broken_dump_is_a_clear_error(tmp_path, content):
    bad = tmp_path / "bad.json"
    bad.write_text(content)

    with pytest.raises(CommandError, match="Could not read"):
        call_command("import_ror", str(bad))


def test_missing_file_is_a_clear_error():
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_ror", "/nonexistent/ror.json")
