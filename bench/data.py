"""The benchmark's database: created, seeded and checked through Django, in the bench process.

`bench/run.py` sets the production environment (the same DATABASE_URL and SECRET_KEY the
servers get) before importing this module, so confirmation tokens made here are the ones the
servers accept.
"""

import time
from urllib.parse import urlsplit

import django
import psycopg
from psycopg import sql

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.urls import reverse  # noqa: E402

from letters.models import Letter  # noqa: E402
from signatories.listing import ORDER, encode_cursor  # noqa: E402
from signatories.models import Level, Signature  # noqa: E402

MAIN_SLUG = "ai-risk-assessment"  # made by `manage.py demo`
SMALL_SLUG = "bench-thousand"
SMALL_COUNT = 1000
PAGE_SIZE = 50
DEEP_PAGES = 10_000


def recreate_database(url):
    """Drop and create the benchmark database, connecting to the server's `postgres` database.

    Only a database whose name says it is for benchmarks is ever dropped.
    """
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"Refusing to drop {name!r}: the bench database's name must say 'bench'.")
    admin_url = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as admin:
        # FORCE ends the connections a crashed earlier run may have left behind.
        database = sql.Identifier(name)
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(database))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(database))


def timed(label, action, *args, **kwargs):
    started = time.monotonic()
    result = action(*args, **kwargs)
    print(f"  {label}: {time.monotonic() - started:.1f} s", flush=True)
    return result


def seed(signatures):
    """The demo site, a 1,000-signature letter and the main letter with `signatures` more."""
    timed("migrate and demo data", call_command, "demo", no_serve=True, verbosity=0)
    add_small_letter()
    timed(f"seed {signatures:,} signatures", call_command, "seed_signatures", MAIN_SLUG,
          count=signatures, verbosity=0)  # fmt: skip
    # A table that grew over months has been vacuumed; a bulk load has not. Without this the
    # first reads of every page would also write hint bits and visit the heap for visibility.
    with connection.cursor() as cursor:
        timed("vacuum analyze", cursor.execute, "VACUUM (ANALYZE) signatories_signature")


def vacuum_task_queue():
    """Vacuum the task queue's table, as autovacuum would have; return the server's autovacuum.

    Every email leaves its task row behind (finished), and each claim's query scans the ready
    rows' partial index, whose entries for rows no longer ready stay until a vacuum removes them.
    This machine's PostgreSQL runs with autovacuum off: after a few --skip-seed runs the index
    held 240,000 such entries, the worker's claim took 24 ms instead of 0.4, and the worker then
    cost PostgreSQL 2.9 ms a signature during the sign load.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('autovacuum')")
        autovacuum = cursor.fetchone()[0]
        timed(
            "vacuum analyze the task queue",
            cursor.execute,
            "VACUUM (ANALYZE) django_tasks_database_dbtaskresult",
        )
    return autovacuum


def add_small_letter():
    """A second published letter with the main letter's text and 1,000 signatures.

    Seeded before the main letter: the seeding command rebuilds the table's indexes, which is
    quick on an empty table and slow on one with a million rows.
    """
    if Letter.objects.filter(slug=SMALL_SLUG).exists():
        return
    main = Letter.objects.get(slug=MAIN_SLUG)
    letter = Letter.objects.create(
        slug=SMALL_SLUG, title=main.title, summary=main.summary, body=main.body, goal=main.goal
    )
    letter.publish()
    call_command("seed_signatures", SMALL_SLUG, count=SMALL_COUNT, verbosity=0)


def letter_sizes():
    return {
        slug: Signature.objects.counts_for(Letter.objects.get(slug=slug))["total"]
        for slug in (MAIN_SLUG, SMALL_SLUG)
    }


def deep_cursor(pages=DEEP_PAGES):
    """The cursor that opens the list `pages` pages in: the sort key of its last row before.

    Returns (the page it opens, cursor). A letter too small for that gets its middle page.
    """
    letter = Letter.objects.get(slug=MAIN_SLUG)
    listed = Signature.objects.listed(letter).order_by(*ORDER)
    total = listed.count()
    if total <= pages * PAGE_SIZE:
        pages = max(1, total // PAGE_SIZE // 2)
    row = listed[pages * PAGE_SIZE - 1]
    return pages + 1, encode_cursor(row)


def pending_signatures(prefix, count):
    """`count` pending signatures on the main letter, and their confirmation paths."""
    letter = Letter.objects.get(slug=MAIN_SLUG)
    rows = []
    for n in range(count):
        email = f"{prefix}-{n}@bench.example"
        rows.append(
            Signature(
                letter=letter,
                revision_id=letter.current_revision_id,
                **Signature.name_fields(f"Pending Signer {prefix} {n}"),
                email=email,
                email_canonical=email,
                affiliation="Independent",
                role="Engineer",
                level=Level.PENDING,
                emails_requested=1,
                emails_sent=1,
            )
        )
    created = Signature.objects.bulk_create(rows, batch_size=2000)
    return [
        reverse("signatories:confirm", args=[MAIN_SLUG, signature.confirmation_token()])
        for signature in created
    ]


def signed_rows(prefix):
    """Signatures whose address starts with `prefix`: what the sign benchmark stored."""
    return Signature.objects.filter(email_canonical__startswith=prefix).count()


def confirmed_rows(prefix):
    return (
        Signature.objects.filter(email_canonical__startswith=prefix)
        .exclude(level=Level.PENDING)
        .count()
    )


def close():
    connections.close_all()
