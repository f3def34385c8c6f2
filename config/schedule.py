"""The periodic jobs, and when each runs: the one list that the systemd timers in
deploy/systemd/ and `manage.py run_schedule` (the compose file's scheduler) both follow.

tests/test_deploy_units.py fails when a timer and this list disagree.
"""

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core.management import call_command
from django.db import close_old_connections

logger = logging.getLogger(__name__)

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class Job:
    """`manage.py <command>`, run every `every` (which divides a day), `at` past each period's
    start, counted from midnight UTC: every=HOUR, at=5 minutes is five past each hour."""

    command: str
    every: timedelta
    at: timedelta = timedelta(0)
    why: str = ""

    def __post_init__(self):
        if DAY % self.every or not timedelta(0) <= self.at < self.every:
            raise ValueError(f"{self.command}: `every` must divide a day and `at` be below it.")

    def next_run(self, after):
        """The first time this job is due strictly after the aware datetime `after`."""
        midnight = after.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        periods = (after - midnight - self.at) // self.every + 1
        return midnight + self.at + periods * self.every

    @property
    def on_calendar(self):
        """When it runs, as the OnCalendar= of a systemd timer, in systemd's normalized form
        (`systemd-analyze calendar` prints it)."""
        minutes = int(self.at.total_seconds()) // 60
        if self.every == DAY:
            return f"*-*-* {minutes // 60:02}:{minutes % 60:02}:00 UTC"
        if self.every == HOUR:
            return f"*-*-* *:{minutes:02}:00 UTC"
        if self.every < HOUR and HOUR % self.every == timedelta(0):
            step = int(self.every.total_seconds()) // 60
            return f"*-*-* *:{minutes:02}/{step}:00 UTC"
        raise ValueError(f"{self.command}: no OnCalendar= form for every {self.every}.")

    def run(self):
        """Run the command in this process, as the task worker runs a task: on a database
        connection that is still good, and logging a failure instead of raising it, so that the
        other jobs go on. What the command prints goes to this process's output."""
        logger.info("Running manage.py %s.", self.command)
        close_old_connections()
        try:
            call_command(self.command)
        except Exception:
            logger.exception("manage.py %s failed.", self.command)
        finally:
            close_old_connections()


JOBS = (
    Job("resend_owed_emails", 5 * MINUTE, why="queue again the emails a killed worker left owed"),
    Job("recount", HOUR, why="repair the rolled-up counts and log any drift"),
    Job("send_abuse_reports", HOUR, 5 * MINUTE, why="tell owners of the last hour's floods"),
    Job("send_digests", DAY, 6 * HOUR, why="yesterday's numbers to organizers who asked"),
    Job("take_snapshots", DAY, 23 * HOUR + 55 * MINUTE, why="the public record's daily snapshot"),
    Job("apply_retention", DAY, 3 * HOUR, why="delete and erase what the retention periods say"),
    Job("prune_db_task_results", DAY, why="delete task rows finished over 14 days ago"),
)


def run_forever(jobs, stopping):
    """Run each of `jobs` whenever it is due, one at a time, until the threading.Event
    `stopping` is set (checked between jobs and while waiting).

    A job still running when its next time comes runs once more as soon as it can, not once
    per missed time; so does a job that waited behind another. Nothing runs at start: a job
    waits for its first time, as a systemd timer does once the machine is up.
    """
    due = {job: job.next_run(datetime.now(UTC)) for job in jobs}
    while True:
        job = min(jobs, key=due.__getitem__)
        if stopping.wait(max(0.0, (due[job] - datetime.now(UTC)).total_seconds())):
            return
        job.run()
        due[job] = job.next_run(max(due[job], datetime.now(UTC)))


def setter(stopping):
    """A signal handler that sets the threading.Event `stopping`.

    Python runs a handler in the main thread between two of its bytecodes, which may be inside
    `stopping.wait()` while that holds the event's own lock: calling `stopping.set()` there waits
    for that lock forever (seen: 2 of 300 SIGTERMs hung a loop of short waits). A thread of its
    own sets the event once the main thread lets the lock go.
    """
    return lambda signum, frame: threading.Thread(target=stopping.set, daemon=True).start()
