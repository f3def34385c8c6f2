
from django.db import migrations, models


# Searching a million names with ILIKE '%…%' needs trigram indexes; they exist on PostgreSQL
# only, so SQLite (demo, quick tests) keeps its plain scan. Django's icontains compares
# UPPER(column::text), so the index is on that expression.
TRIGRAM_INDEXES = [
    ("signature_name_trgm", "name"),
    ("signature_affiliation_trgm", "affiliation"),
]


def create_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in TRIGRAM_INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON signatories_signature "
            f"USING gin (UPPER({column}::text) gin_trgm_ops)"
        )


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _ in TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("signatories", "0001_initial")]

    operations = [migrations.RunPython(create_trigram_indexes, drop_trigram_indexes)]
