"""`manage.py run_schedule`: run the periodic jobs (config.schedule.JOBS) when they are due, until
stopped. For deployments without systemd timers: the compose file's `scheduler` service. Run one,
never several (a second would run every job twice, which they survive but need not do)."""

import signal
import threading
from datetime import UTC, datetime

from django.core.management.base import BaseCommand

from config.schedule import JOBS, run_forever, setter


class Command(BaseCommand):
    help = "Run the periodic jobs (snapshots, recount, retention, emails owed...) when due."

    def add_arguments(self, parser):
        parser.add_argument(
            "--list",
            action="store_true",
            dest="list_only",
            help="Print each job and its next time, and exit.",
        )

    def handle(self, *args, list_only=False, **options):
        now = datetime.now(UTC)
        for job in JOBS:
            self.stdout.write(
                f"{job.command}: next at {job.next_run(now):%Y-%m-%d %H:%M} UTC, "
                f"on {job.on_calendar} ({job.why})"
            )
        if list_only:
            return
        stopping = threading.Event()
        # On SIGTERM (docker stop) or Ctrl-C, stop between jobs; a job running finishes first.
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, setter(stopping))
        self.stdout.write("Running the jobs when due; SIGTERM stops.")
        self.stdout.flush()
        run_forever(JOBS, stopping)
        self.stdout.write("Stopped.")
