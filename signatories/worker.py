"""The task worker, which lets mail wait while the machine is saturated.

Emails are tasks on a queue of their own (EMAIL_QUEUE). While the other processes of the machine
(the web, PostgreSQL) keep its CPUs busy, the worker leaves that queue alone and runs only the
rest (count roll-ups, bulk actions), for at most MAIL_HOLD_MAX_SECONDS in a row; then it sends
again, saturated or not. Sending an email costs the worker more CPU than taking the signature
cost the web (README, "Performance"), so during a burst of signers the mail took a fifth of the
CPU from the pages they were waiting for, whatever its priority: at the lowest nice, SCHED_IDLE
or the least cgroup weight it still ran on the moments the web left idle, and the web answered
a fifth fewer signatures. At the record pace of signing the machine is far from saturated and
nothing waits.
"""

import logging
import os
import time

from django.conf import settings
from django_tasks_db.management.commands import db_worker

from config.tasks import EMAIL_QUEUE

logger = logging.getLogger(__name__)
# Decide again at most this often: /proc/stat counts in hundredths of a second.
SAMPLE_SECONDS = 0.5


def cpu_ticks(stat_path):
    """(busy, total) clock ticks of all the machine's CPUs since boot, from /proc/stat; None
    where there is no such file (not Linux)."""
    try:
        with open(stat_path, encoding="ascii") as stat:
            fields = [int(value) for value in stat.readline().split()[1:9]]
    except OSError:
        return None
    # user nice system idle iowait irq softirq steal: idle and iowait are the idle time.
    return sum(fields) - fields[3] - fields[4], sum(fields)


def own_cpu_seconds():
    times = os.times()
    return times.user + times.system


class MailPacer:
    """Whether the worker should leave the mail for now: the other processes used at least
    `busy_percent` of the machine's CPU since the last look, and the mail has not yet been left
    for `max_hold_seconds` in a row. The worker's own CPU is not counted, so mail that it sends
    does not make it stop sending."""

    def __init__(
        self,
        busy_percent,
        max_hold_seconds,
        *,
        stat_path="/proc/stat",
        own_cpu=own_cpu_seconds,
        clock=time.monotonic,
    ):
        self.busy_percent = busy_percent
        self.max_hold_seconds = max_hold_seconds
        self.stat_path, self.own_cpu, self.clock = stat_path, own_cpu, clock
        self.last_look = self.look()
        # No /proc/stat (not Linux): never holds, and there may be no sysconf either.
        self.ticks_per_second = os.sysconf("SC_CLK_TCK") if self.last_look[1] else None
        self.saturated_since = None
        self.holding = False

    def look(self):
        return self.clock(), cpu_ticks(self.stat_path), self.own_cpu()

    def hold_mail(self):
        if self.max_hold_seconds <= 0 or self.last_look[1] is None:
            return False
        now = self.clock()
        if now - self.last_look[0] >= SAMPLE_SECONDS:
            self.decide(self.look())
        holding = (
            self.saturated_since is not None and now - self.saturated_since < self.max_hold_seconds
        )
        if holding != self.holding:
            logger.info("Mail %s.", "waits while the machine is saturated" if holding else "goes")
            self.holding = holding
        return holding

    def decide(self, look):
        if look[1] is None:  # /proc/stat unreadable since the start: keep the last decision
            return
        (then, (busy_then, total_then), own_then) = self.last_look
        (_, (busy, total), own) = self.last_look = look
        if total == total_then:
            return
        others = (busy - busy_then) / self.ticks_per_second - (own - own_then)
        saturated = 100 * others >= self.busy_percent * (total - total_then) / self.ticks_per_second
        if not saturated:
            self.saturated_since = None
        elif self.saturated_since is None:
            self.saturated_since = then


class Worker(db_worker.Worker):
    """django_tasks_db's worker, which leaves EMAIL_QUEUE alone while `pacer` holds the mail.

    The library's loop reads excluded_queue_names each time it claims a task."""

    def __init__(self, *, pacer, **options):
        self.pacer = pacer
        super().__init__(**options)

    @property
    def excluded_queue_names(self):
        held = [EMAIL_QUEUE] if self.pacer.hold_mail() else []
        return self.always_excluded + held

    @excluded_queue_names.setter
    def excluded_queue_names(self, names):
        self.always_excluded = list(names)


def pacer_from_settings():
    return MailPacer(settings.MAIL_HOLD_BUSY_PERCENT, settings.MAIL_HOLD_MAX_SECONDS)
