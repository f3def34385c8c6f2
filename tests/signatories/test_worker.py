"""The task worker (`manage.py db_worker`) holds the mail while the machine is saturated, for a
bounded time, and runs the other tasks meanwhile (signatories.worker)."""

import logging
import os
import time

import pytest
from django.core import mail
from django.core.management import call_command, get_commands
from django.db import connection
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from config.tasks import EMAIL_QUEUE
from signatories.models import CountDelta, LetterCount, Level, Signature
from signatories.tasks import roll_up_counts, send_signature_email
from signatories.worker import MailPacer, Worker
from tests.builders import make_signature
from tests.production import (
    STARTUP_TIMEOUT,
    SmtpSink,
    database_url,
    site_env,
    start_worker,
)

TICKS = os.sysconf("SC_CLK_TCK")


class Machine:
    """A two-CPU machine's /proc/stat, its clock and the worker's own CPU, moved by the test."""

    def __init__(self, tmp_path):
        self.stat = tmp_path / "stat"
        self.now = 1000.0
        self.busy = self.idle = 0
        self.worker_cpu = 0.0
        self.write()

    def write(self):
        # user nice system idle iowait irq softirq steal guest guest_nice
        self.stat.write_text(f"cpu  {self.busy} 0 0 {self.idle} 0 0 0 0 0 0\ncpu0 ...\n")

    def run(self, seconds, *, busy_percent, worker_percent=0):
        """`seconds` pass with both CPUs `busy_percent` busy, of which the worker's share."""
        total = 2 * seconds * TICKS
        self.busy += round(total * busy_percent / 100)
        self.idle += total - round(total * busy_percent / 100)
        self.worker_cpu += 2 * seconds * worker_percent / 100
        self.now += seconds
        self.write()

    def pacer(self, busy_percent=75, max_hold_seconds=60):
        return MailPacer(
            busy_percent,
            max_hold_seconds,
            stat_path=self.stat,
            own_cpu=lambda: self.worker_cpu,
            clock=lambda: self.now,
        )


@pytest.fixture
def machine(tmp_path):
    return Machine(tmp_path)


def holds(pacer, machine, seconds, **load):
    """Whether the pacer holds the mail after each second of `load`."""
    decisions = []
    for _ in range(seconds):
        machine.run(1, **load)
        decisions.append(pacer.hold_mail())
    return decisions


def test_mail_goes_while_the_machine_has_cpu_to_spare(machine):
    pacer = machine.pacer()

    assert holds(pacer, machine, 3, busy_percent=70) == [False] * 3


def test_mail_waits_while_the_machine_is_saturated_then_goes(machine, caplog):
    caplog.set_level(logging.INFO, logger="signatories.worker")
    pacer = machine.pacer()

    assert holds(pacer, machine, 3, busy_percent=95) == [True] * 3
    assert holds(pacer, machine, 1, busy_percent=20) == [False]
    assert [record.getMessage() for record in caplog.records] == [
        "Mail waits while the machine is saturated.",
        "Mail goes.",
    ]


def test_mail_waits_at_most_the_longest_hold_however_long_the_machine_is_saturated(machine):
    pacer = machine.pacer(max_hold_seconds=5)

    assert holds(pacer, machine, 8, busy_percent=100) == [True] * 4 + [False] * 4
    # Once the machine has had room again, the next saturation holds the mail again.
    assert holds(pacer, machine, 2, busy_percent=10) == [False, False]
    assert holds(pacer, machine, 2, busy_percent=100) == [True, True]


def test_the_workers_own_sending_does_not_make_it_hold_the_mail(machine):
    pacer = machine.pacer()

    # 90% busy, of which 40 points the worker's own: the others use 50%.
    assert holds(pacer, machine, 3, busy_percent=90, worker_percent=40) == [False] * 3


def test_it_decides_again_only_after_half_a_second(machine):
    pacer = machine.pacer()
    machine.run(1, busy_percent=100)
    assert pacer.hold_mail() is True

    machine.run(0.25, busy_percent=0)

    assert pacer.hold_mail() is True


@pytest.mark.parametrize("max_hold_seconds", [0, -1])
def test_a_longest_hold_of_zero_never_holds(machine, max_hold_seconds):
    pacer = machine.pacer(max_hold_seconds=max_hold_seconds)

    assert holds(pacer, machine, 2, busy_percent=100) == [False, False]


def test_a_proc_stat_that_can_no_longer_be_read_leaves_the_last_decision(machine):
    pacer = machine.pacer()
    assert holds(pacer, machine, 1, busy_percent=100) == [True]

    machine.stat.unlink()
    machine.now += 1

    assert pacer.hold_mail() is True


def test_without_proc_stat_the_mail_always_goes(tmp_path):
    pacer = MailPacer(75, 60, stat_path=tmp_path / "missing")

    assert pacer.hold_mail() is False


def test_db_worker_is_this_projects_worker():
    assert get_commands()["db_worker"] == "signatories"


def run_worker(pacer):
    """`manage.py db_worker --batch`'s worker, with `pacer`: it runs what it may, then stops."""
    worker = Worker(
        pacer=pacer,
        queue_names=["default", EMAIL_QUEUE],
        excluded_queue_names=[],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
    )
    worker.run()


@pytest.mark.django_db(transaction=True)
def test_while_the_mail_is_held_the_counts_still_roll_up(letter, database_tasks, machine):
    pending = make_signature(letter, level=Level.PENDING, emails_requested=1)
    send_signature_email.enqueue(pending.pk, 1)
    make_signature(letter)
    roll_up_counts.enqueue()
    pacer = machine.pacer(busy_percent=75)
    machine.run(1, busy_percent=100)

    run_worker(pacer)

    assert CountDelta.objects.count() == 0
    assert LetterCount.objects.get(letter=letter, level=Level.CONFIRMED).count == 1
    assert mail.outbox == []
    statuses = dict(DBTaskResult.objects.values_list("queue_name", "status"))
    assert statuses == {"default": TaskResultStatus.SUCCESSFUL, EMAIL_QUEUE: TaskResultStatus.READY}

    machine.run(1, busy_percent=10)
    run_worker(pacer)

    assert [message.to for message in mail.outbox] == [[pending.email]]
    assert Signature.objects.get(pk=pending.pk).emails_sent == 1


@pytest.mark.django_db(transaction=True)
def test_a_worker_process_holds_the_mail_for_the_longest_hold_then_sends_it(
    letter, database_tasks, tmp_path
):
    pending = make_signature(letter, level=Level.PENDING, emails_requested=1)
    sink = SmtpSink()
    sink.start()
    # Any use of the CPU counts as saturated, so the mail waits its longest hold, 2 seconds.
    env = site_env(
        url="http://127.0.0.1:8000",
        database=database_url(connection.settings_dict),
        mail_port=sink.port,
        static_root=tmp_path,
        MAIL_HOLD_BUSY_PERCENT="0",
        MAIL_HOLD_MAX_SECONDS="2",
        LOG_LEVEL="INFO",
    )
    worker = start_worker(env, tmp_path)
    try:
        wait_for_log(worker, "Mail waits while the machine is saturated.")
        send_signature_email.enqueue(pending.pk, 1)
        [message] = sink.wait_for(pending.email, 1)
    finally:
        worker.stop()
        sink.stop()

    assert message["To"] == pending.email
    log = worker.output()
    assert log.index("Mail goes.") < log.index("path=signatories.tasks.send_signature_email")


def wait_for_log(server, line):
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while line not in server.output():
        assert time.monotonic() < deadline, f"{server.name} never logged {line!r}"
        time.sleep(0.1)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "queues", [{"queue_name": "default"}, {"queue_name": "*", "exclude_queues": EMAIL_QUEUE}]
)
def test_a_worker_started_without_the_mail_queue_says_so_and_sends_nothing(
    letter, database_tasks, queues, capsys
):
    pending = make_signature(letter, level=Level.PENDING, emails_requested=1)
    send_signature_email.enqueue(pending.pk, 1)

    call_command("db_worker", batch=True, startup_delay=False, reload=False, **queues)

    assert "This worker does not send email" in capsys.readouterr().err
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("queues", [{}, {"queue_name": "*"}], ids=["by default", "all"])
def test_the_command_runs_the_mail_queue_by_default_and_with_every_queue(
    letter, database_tasks, queues, capsys
):
    pending = make_signature(letter, level=Level.PENDING, emails_requested=1)
    send_signature_email.enqueue(pending.pk, 1)

    call_command("db_worker", batch=True, startup_delay=False, reload=False, **queues)

    assert [message.to for message in mail.outbox] == [[pending.email]]
    assert "does not send email" not in capsys.readouterr().err
