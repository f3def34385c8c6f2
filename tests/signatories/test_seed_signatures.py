import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from signatories.models import Signature

pytestmark = pytest.mark.django_db


def test_seed_adds_confirmed_signatures_and_recounts(letter, capsys):
    call_command("seed_signatures", letter.slug, count=250)

    signatures = Signature.objects.filter(letter=letter)
    counts = Signature.objects.counts_for(letter)
    assert signatures.count() == 250
    assert counts["total"] == 250
    assert sum(counts["by_level"].values()) == 250
    assert set(signatures.values_list("level", flat=True)) <= {
        "confirmed",
        "domain",
        "orcid",
        "organizer",
    }
    assert signatures.values("email_canonical").distinct().count() == 250
    assert signatures.filter(name_initials_key="").count() == 0
    assert "250 signatures added" in capsys.readouterr().out


def test_seeding_twice_adds_more_without_clashing(letter):
    call_command("seed_signatures", letter.slug, count=10)
    call_command("seed_signatures", letter.slug, count=10)

    assert Signature.objects.counts_for(letter)["total"] == 20


def table_schema():
    """The signature table's valid indexes and validated constraints, as PostgreSQL defines them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid = 'signatories_signature'::regclass AND indisvalid AND indisready"
        )
        indexes = {row[0] for row in cursor.fetchall()}
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'signatories_signature'::regclass AND convalidated"
        )
        return indexes, set(cursor.fetchall())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the bulk path is PostgreSQL's")
def test_on_postgresql_the_indexes_and_constraints_come_back_as_they_were(letter):
    before = table_schema()

    call_command("seed_signatures", letter.slug, count=100)

    assert table_schema() == before
    assert Signature.objects.filter(letter=letter).count() == 100


@pytest.mark.parametrize(("slug", "count"), [("nope", 5), ("ai-risk", 0)])
def test_bad_arguments_are_clear_errors(letter, slug, count):
    with pytest.raises(CommandError):
        call_command("seed_signatures", slug, count=count)
