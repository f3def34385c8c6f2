"""`manage.py send_digests`: email yesterday's numbers to organizers who asked. Run it daily;
running it again the same day sends nothing twice."""

from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from letters.digest import send_digests


class Command(BaseCommand):
    help = "Email each organizer who turned on the daily digest the numbers of the previous day."

    def add_arguments(self, parser):
        parser.add_argument("--day", help="The day to report (YYYY-MM-DD); default yesterday.")

    def handle(self, *args, day=None, **options):
        try:
            day = date.fromisoformat(day) if day else timezone.localdate() - timedelta(days=1)
        except ValueError:
            raise CommandError("--day must look like 2026-11-27.") from None
        queued = send_digests(day)
        self.stdout.write(f"Digest of {day}: queued for {queued} organizer(s).")
