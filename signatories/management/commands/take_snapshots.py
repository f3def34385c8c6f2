"""`manage.py take_snapshots`: each public letter's daily record entry. Run it once a day."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from letters.models import Letter
from signatories.record import take_snapshot


class Command(BaseCommand):
    help = "Record the day's additions and removals of every public letter's list, hash-chained."

    def add_arguments(self, parser):
        parser.add_argument("--day", help="The day to record (YYYY-MM-DD); default today, UTC.")

    def handle(self, *args, day=None, **options):
        try:
            day = date.fromisoformat(day) if day else timezone.now().date()
        except ValueError:
            raise CommandError("--day must look like 2026-11-27.") from None
        for letter in Letter.objects.public():
            snapshot = take_snapshot(letter, day)
            if snapshot is None:
                self.stdout.write(f"{letter.slug}: {day} already recorded")
            else:
                self.stdout.write(
                    f"{letter.slug}: {day} +{snapshot.added} -{snapshot.removed} "
                    f"= {snapshot.total}, digest {snapshot.digest}"
                )
