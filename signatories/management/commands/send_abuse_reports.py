"""`manage.py send_abuse_reports`: email each letter's owners about the last hour's floods.

Run hourly (deploy/systemd/undersigned-abuse-reports.timer). Each letter-hour is reported once,
however often the command runs.
"""

from django.core.management.base import BaseCommand

from signatories.investigation import send_abuse_reports


class Command(BaseCommand):
    help = "Email letter owners about the last complete hour's signatures above the thresholds."

    def handle(self, *args, **options):
        reports = send_abuse_reports()
        self.stdout.write(f"{len(reports)} abuse report(s) sent.")
