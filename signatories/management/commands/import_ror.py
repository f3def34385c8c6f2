"""`manage.py import_ror FILE`: load or refresh the organization registry from a ROR dump."""

import sys
import time

from django.core.management.base import BaseCommand, CommandError

from signatories.registry import import_records, open_dump, read_records


class Command(BaseCommand):
    help = "Load or refresh organizations from a ROR data dump (schema v2 JSON, or its zip)."

    def add_arguments(self, parser):
        parser.add_argument(
            "file", help="The dump: a .json file (schema v2) or the .zip it ships in."
        )
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args, file, batch_size, **options):
        started = time.monotonic()
        show_progress = self.stderr.isatty() or options["verbosity"] > 1

        def progress(stats):
            if show_progress:
                rate = stats.total / max(time.monotonic() - started, 1e-6)
                self.stderr.write(f"\r{stats.total:,} records ({rate:,.0f}/s)", ending="")

        skipped = []
        try:
            with open_dump(file) as stream:
                records = read_records(stream, skipped)
                stats = import_records(records, batch_size=batch_size, progress=progress)
        except FileNotFoundError:
            raise CommandError(f"No such file: {file}") from None
        except (ValueError, OSError) as error:
            raise CommandError(f"Could not read {file}: {error}") from None
        if stats.total == 0 and not skipped:
            raise CommandError(
                f"Could not read {file}: no ROR records in it "
                "(expected a JSON array of schema v2 records)."
            )
        if skipped:
            examples = ", ".join(map(str, skipped[:5]))
            self.stderr.write(f"Skipped {len(skipped):,} malformed records, e.g. {examples}")
        if show_progress:
            self.stderr.write("")
        for line in stats.changes:
            self.stdout.write(line)
        if stats.created + stats.updated > len(stats.changes):
            self.stdout.write(
                f"… and {stats.created + stats.updated - len(stats.changes):,} more changes"
            )
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"{stats.total:,} records in {elapsed:.1f}s: {stats.created:,} created, "
                f"{stats.updated:,} updated, {stats.unchanged:,} unchanged."
            )
        )
        sys.stdout.flush()
