"""`manage.py resend_owed_emails`: queue again the emails a dead worker or a lost enqueue left.

Run it every few minutes (deploy/systemd/undersigned-resend.timer). See
signatories.tasks.resend_owed_emails for what counts as owed and why it is safe to repeat.
"""

from datetime import timedelta

from django.core.management.base import BaseCommand

from signatories.tasks import resend_owed_emails


class Command(BaseCommand):
    help = "Queue again every signature email that is owed and that no live task will send."

    def add_arguments(self, parser):
        parser.add_argument(
            "--stale-after",
            type=int,
            default=300,
            help="Seconds after which a task still running is taken for dead (default 300).",
        )

    def handle(self, *args, stale_after, **options):
        queued = resend_owed_emails(stale_after=timedelta(seconds=stale_after))
        self.stdout.write(f"Queued {queued} owed emails.")
