"""The periodic jobs' schedule (config/schedule.py) and `manage.py run_schedule`, which runs them
where there are no systemd timers (the compose file's scheduler)."""

import logging
import re
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command, get_commands
from django.utils import timezone

from config.schedule import DAY, HOUR, JOBS, MINUTE, Job, run_forever, setter
from signatories.models import Level, Signature
from tests.builders import make_signature
from tests.production import BASE_DIR, STARTUP_TIMEOUT, STOP_TIMEOUT, production_env

SECOND = timedelta(seconds=1)


def at(text):
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


FIVE_MINUTES = Job("resend_owed_emails", 5 * MINUTE)
FIVE_PAST = Job("send_abuse_reports", HOUR, 5 * MINUTE)
BEFORE_MIDNIGHT = Job("take_snapshots", DAY, 23 * HOUR + 55 * MINUTE)


@pytest.mark.parametrize(
    ("job", "now", "next_run"),
    [
        (FIVE_MINUTES, "2026-11-28 21:07:30", "2026-11-28 21:10:00"),
        # Strictly after: a job that has just run at its time is not due again at once.
        (FIVE_MINUTES, "2026-11-28 21:10:00", "2026-11-28 21:15:00"),
        (FIVE_PAST, "2026-11-28 21:04:59", "2026-11-28 21:05:00"),
        (FIVE_PAST, "2026-11-28 21:05:00", "2026-11-28 22:05:00"),
        (BEFORE_MIDNIGHT, "2026-11-28 23:56", "2026-11-29 23:55"),
        (BEFORE_MIDNIGHT, "2026-12-31 23:00", "2026-12-31 23:55"),
    ],
)
def test_a_job_is_next_due_at_its_first_time_after_now(job, now, next_run):
    assert job.next_run(at(now)) == at(next_run)


def test_times_are_counted_from_midnight_utc_whatever_the_zone_asked_in():
    paris = datetime(2026, 11, 29, 0, 30, tzinfo=ZoneInfo("Europe/Paris"))  # 23:30 UTC

    assert BEFORE_MIDNIGHT.next_run(paris) == at("2026-11-28 23:55")


@pytest.mark.parametrize(
    ("every", "offset"), [(7 * MINUTE, timedelta(0)), (HOUR, HOUR), (HOUR, -MINUTE)]
)
def test_a_schedule_that_does_not_repeat_each_day_alike_is_refused(every, offset):
    with pytest.raises(ValueError, match="must divide a day"):
        Job("recount", every, offset)


def test_each_job_is_a_command_and_has_a_systemd_time():
    assert {job.command for job in JOBS} <= set(get_commands())
    assert sorted(job.on_calendar for job in JOBS) == [
        "*-*-* *:00/5:00 UTC",
        "*-*-* *:00:00 UTC",
        "*-*-* *:05:00 UTC",
        "*-*-* 00:00:00 UTC",
        "*-*-* 03:00:00 UTC",
        "*-*-* 06:00:00 UTC",
        "*-*-* 23:55:00 UTC",
    ]


@pytest.mark.django_db(transaction=True)
def test_the_scheduler_runs_each_job_when_due_and_goes_on_after_one_fails(letter, caplog):
    old = timezone.now() - 60 * DAY
    make_signature(letter, name="Old Pending", level=Level.PENDING, signed_at=old)
    make_signature(letter, name="Confirmed")
    caplog.set_level(logging.INFO, logger="config.schedule")
    stopping = threading.Event()
    # Every second, the failing job first; stopped between its first and third second.
    stopper = threading.Timer(1.5, stopping.set)
    stopper.start()

    run_forever([Job("no_such_command", SECOND), Job("apply_retention", SECOND)], stopping)

    assert list(Signature.objects.values_list("name", flat=True)) == ["Confirmed"]
    tick = [
        "Running manage.py no_such_command.",
        "manage.py no_such_command failed.",
        "Running manage.py apply_retention.",
    ]
    messages = [r.getMessage() for r in caplog.records if r.name == "config.schedule"]
    # One tick, or two (the second perhaps cut short by the stop).
    assert messages[:3] == tick
    assert messages[3:] == tick[: len(messages) - 3]


def test_list_prints_each_job_and_its_next_time(capsys):
    call_command("run_schedule", "--list")

    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == [job.command for job in JOBS]
    assert lines[3] == (
        f"send_digests: next at {Job('x', DAY, 6 * HOUR).next_run(timezone.now()):%Y-%m-%d} "
        "06:00 UTC, on *-*-* 06:00:00 UTC (yesterday's numbers to organizers who asked)"
    )


def test_sigterm_stops_the_scheduler_at_once():
    scheduler = subprocess.Popen(
        [sys.executable, "manage.py", "run_schedule"],
        cwd=BASE_DIR,
        env=production_env({}),
        stdout=subprocess.PIPE,
        text=True,
    )
    # A scheduler that never gets to waiting is killed, so that the reading below ends.
    watchdog = threading.Timer(STARTUP_TIMEOUT, scheduler.kill)
    watchdog.start()
    try:
        lines = []
        while not lines or not lines[-1].startswith("Running the jobs when due"):
            lines.append(scheduler.stdout.readline())
            assert lines[-1], "the scheduler ended, or did not start in time, before it waited"
        watchdog.cancel()
        scheduler.send_signal(signal.SIGTERM)

        assert scheduler.wait(timeout=STOP_TIMEOUT) == 0
        assert scheduler.stdout.read() == "Stopped.\n"
        assert len([line for line in lines if re.match(r"\w+: next at ", line)]) == len(JOBS)
    finally:
        watchdog.cancel()
        scheduler.kill()
        scheduler.wait()


def test_a_signal_that_comes_while_the_event_is_locked_still_stops_the_scheduler():
    stopping = threading.Event()
    handler = setter(stopping)

    def signalled_inside_wait():
        # As in the main thread when SIGTERM comes inside stopping.wait() at the wrong bytecode:
        # the event's lock is held by the very thread that runs the handler.
        with stopping._cond:
            handler(signal.SIGTERM, None)

    inside = threading.Thread(target=signalled_inside_wait, daemon=True)
    inside.start()
    inside.join(timeout=5)

    assert not inside.is_alive(), "the handler waited for a lock its own thread holds"
    assert stopping.wait(timeout=5)
