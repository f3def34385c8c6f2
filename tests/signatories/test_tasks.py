import re
import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends import locmem
from django.db import OperationalError, connection, transaction
from django.db.models import QuerySet
from django.tasks import TaskResultStatus
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

import config.mail
from config.tasks import EMAIL_QUEUE
from signatories import emails
from signatories.models import Level, Signature
from signatories.tasks import (
    EMAIL_BATCH_SIZE,
    EMAIL_GROUP_SIZE,
    resend_owed_emails,
    roll_up_counts,
    send_signature_email,
)
from tests.builders import make_signature

pytestmark = pytest.mark.django_db


def test_task_run_twice_sends_one_email(letter):
    signature = make_signature(letter, level=Level.PENDING, emails_requested=1)

    send_signature_email.call(signature.pk, 1)
    send_signature_email.call(signature.pk, 1)

    assert [m.to for m in mail.outbox] == [[signature.email]]
    signature.refresh_from_db()
    assert signature.emails_sent == 1


def test_task_for_a_withdrawn_signature_sends_nothing(letter):
    signature = make_signature(letter, level=Level.PENDING, emails_requested=1)
    signature.withdrawn_at = signature.signed_at
    signature.save()

    send_signature_email.call(signature.pk, 1)

    assert mail.outbox == []


def test_confirmation_email_has_text_and_html_with_the_same_link(letter, settings):
    settings.SITE_URL = "https://letters.example.org"
    signature = make_signature(letter, level=Level.PENDING, emails_requested=1)

    send_signature_email.call(signature.pk, 1)

    message = mail.outbox[0]
    # The token carries the second it was signed: read it from the email, not made again here.
    link, token = re.search(
        r"(https://letters\.example\.org/letters/ai-risk/confirm/([^/\s]+)/)", message.body
    ).groups()
    assert Signature.from_confirmation_token(token, max_age=60) == signature
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert f'href="{link}"' in html


# Delivery faults: the mail server down, a worker that died (issue 7, part 9). The fault
# scenarios in tests/faults/ run the same against the production stack.


@pytest.fixture
def database_tasks(database_tasks, settings):
    """Tasks queued in the database, so a retry can be scheduled."""
    settings.EMAIL_RETRY_DELAYS_SECONDS = [10, 60]


def queued_sends():
    """The queued sends as (positional arguments, then the attempt number if given; run_after)."""
    return [
        (
            task.args_kwargs["args"]
            + [
                task.args_kwargs["kwargs"][key]
                for key in ["attempt"]
                if key in task.args_kwargs["kwargs"]
            ],
            task.run_after,
        )
        for task in DBTaskResult.objects.filter(status=TaskResultStatus.READY).order_by("run_after")
    ]


def test_mail_server_down_schedules_a_retry_after_the_first_delay(
    letter, database_tasks, smtp_down
):
    signature = make_signature(letter, level=Level.PENDING, emails_requested=1)
    before = timezone.now()

    send_signature_email.call(signature.pk, 1, "en")

    [(args, run_after)] = queued_sends()
    assert args == [signature.pk, 1, "en", 2]
    assert before + timedelta(seconds=10) <= run_after <= timezone.now() + timedelta(seconds=10)
    signature.refresh_from_db()
    assert signature.emails_sent == 0


def test_mail_server_down_retries_with_a_longer_delay_then_gives_up(
    letter, database_tasks, smtp_down
):
    signature = make_signature(letter, level=Level.PENDING, emails_requested=1)
    before = timezone.now()

    send_signature_email.call(signature.pk, 1, "en", attempt=2)
    [(args, run_after)] = queued_sends()
    assert args == [signature.pk, 1, "en", 3]
    assert run_after >= before + timedelta(seconds=60)

    # The last attempt fails like any task: the worker records the error, and the email stays
    # owed for the signer's "send it again" and for resend_owed_emails.
    with pytest.raises(ConnectionRefusedError):
        send_signature_email.call(signature.pk, 1, "en", attempt=3)
    assert len(queued_sends()) == 1
    signature.refresh_from_db()
    assert (signature.emails_requested, signature.emails_sent) == (1, 0)


def test_mail_server_refusing_the_address_settles_the_email_without_retry(
    letter, database_tasks, settings, monkeypatch
):
    signature = make_signature(letter, level=Level.PENDING, emails_requested=1)

    def refuse(self, messages):
        raise smtplib.SMTPRecipientsRefused({signature.email: (550, b"No such user")})

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", refuse)

    send_signature_email.call(signature.pk, 1, "en")

    assert queued_sends() == []
    signature.refresh_from_db()
    assert signature.emails_sent == 1


def test_email_carries_a_message_id_fixed_by_signature_and_request(letter, settings):
    settings.SITE_URL = "https://letters.example.org"
    signature = make_signature(letter, level=Level.PENDING, emails_requested=2)

    send_signature_email.call(signature.pk, 1)
    send_signature_email.call(signature.pk, 2)

    assert [m.extra_headers["Message-ID"] for m in mail.outbox] == [
        f"<signature.{signature.public_id}.1@letters.example.org>",
        f"<signature.{signature.public_id}.2@letters.example.org>",
    ]


def test_resend_owed_emails_queues_what_no_live_task_will_send(letter, database_tasks):
    def owed(**fields):
        return make_signature(letter, level=Level.PENDING, emails_requested=1, **fields)

    orphan = owed()
    queued = owed()
    running = owed()
    dead = owed()
    make_signature(letter, level=Level.PENDING, emails_requested=1, emails_sent=1)
    owed(signed_at=timezone.now() - timedelta(days=30))
    for signature in (queued, running, dead):
        send_signature_email.enqueue(signature.pk, 1, "en")
    now = timezone.now()
    DBTaskResult.objects.filter(args_kwargs__args__0=running.pk).update(
        status=TaskResultStatus.RUNNING, started_at=now - timedelta(seconds=30)
    )
    DBTaskResult.objects.filter(args_kwargs__args__0=dead.pk).update(
        status=TaskResultStatus.RUNNING, started_at=now - timedelta(minutes=10)
    )

    queued_now = resend_owed_emails(stale_after=timedelta(minutes=5))

    assert queued_now == 2
    ready = [args for args, _ in queued_sends()]
    assert sorted(ready) == sorted([[queued.pk, 1, "en"], [orphan.pk, 1, "en"], [dead.pk, 1, "en"]])


def test_resent_email_after_a_dead_worker_goes_out_once(letter, database_tasks):
    signature = make_signature(letter, level=Level.PENDING, emails_requested=1)
    resend_owed_emails(stale_after=timedelta(minutes=5))
    [(args, _)] = queued_sends()

    send_signature_email.call(*args)
    send_signature_email.call(*args)

    assert [m.to for m in mail.outbox] == [[signature.email]]


# Batches: a worker running one email task sends the emails queued behind it in the same
# transaction (signatories.tasks.EMAIL_BATCH_SIZE).


def run_one_task():
    """What the worker does with the next ready email task: claim it, run it, record its outcome
    (django_tasks_db's db_worker loop, less its closing of the test's database connection). A
    roll-up would come first: it has the higher priority."""
    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=1,
        worker_id="test-worker",
        excluded_queue_names=[],
    )
    with transaction.atomic():
        task_result = DBTaskResult.objects.ready().filter(queue_name=EMAIL_QUEUE).get_locked()
        task_result.claim(worker.worker_id)
    worker.run_task(task_result)


def status_of(task_result):
    return DBTaskResult.objects.get(pk=task_result.id).status


def test_one_task_sends_the_emails_queued_behind_it_and_finishes_their_tasks(
    letter, database_tasks
):
    pending = [make_signature(letter, level=Level.PENDING, emails_requested=1) for _ in range(3)]
    confirmed = make_signature(letter, emails_requested=2, emails_sent=1)
    tasks = [send_signature_email.enqueue(s.pk, 1, "en") for s in pending]
    tasks.append(send_signature_email.enqueue(confirmed.pk, 2, "en", manage=True))
    later = send_signature_email.using(run_after=timezone.now() + timedelta(minutes=5)).enqueue(
        make_signature(letter, level=Level.PENDING, emails_requested=1).pk, 1, "en"
    )
    other = roll_up_counts.enqueue()

    run_one_task()

    by_address = {m.to[0]: m for m in mail.outbox}
    assert sorted(by_address) == sorted(s.email for s in [*pending, confirmed])
    assert "/confirm/" in by_address[pending[0].email].body
    assert "/manage/" in by_address[confirmed.email].body
    assert [status_of(t) for t in tasks] == [TaskResultStatus.SUCCESSFUL] * 4
    # A task deferred to later and a task of another kind are left to run in their turn.
    assert status_of(later) == status_of(other) == TaskResultStatus.READY
    assert [s.emails_sent for s in Signature.objects.filter(pk__in=[s.pk for s in pending])] == [
        1
    ] * 3
    confirmed.refresh_from_db()
    assert confirmed.emails_sent == 2


def queue_pending(letter, count):
    """`count` pending signatures, each with its confirmation email queued; their tasks."""
    return [
        send_signature_email.enqueue(
            make_signature(letter, level=Level.PENDING, emails_requested=1).pk, 1, "en"
        )
        for _ in range(count)
    ]


def test_a_batch_costs_queries_per_group_of_emails_not_per_email(letter, database_tasks):
    def queries_for(emails):
        queue_pending(letter, emails)
        with CaptureQueriesContext(connection) as queries:
            run_one_task()
        assert not DBTaskResult.objects.ready().exists()
        return len(queries)

    one, two, three = (queries_for(n * EMAIL_GROUP_SIZE) for n in (1, 2, 3))

    assert len(mail.outbox) == 6 * EMAIL_GROUP_SIZE
    # A further group: its claim (a locking read and an UPDATE), its signatures' locking read and
    # UPDATE, its task rows' UPDATE, and the savepoints the test's transaction puts around them.
    assert three - two == two - one <= 10


def test_a_batch_stops_after_its_size_and_leaves_the_rest_queued(letter, database_tasks):
    tasks = queue_pending(letter, EMAIL_BATCH_SIZE + 5)

    run_one_task()

    assert len(mail.outbox) == EMAIL_BATCH_SIZE
    statuses = [status_of(t) for t in tasks]
    assert statuses.count(TaskResultStatus.SUCCESSFUL) == EMAIL_BATCH_SIZE
    assert statuses.count(TaskResultStatus.READY) == 5


def test_a_signatures_two_emails_in_one_batch_go_out_in_the_order_asked(letter, database_tasks):
    signature = make_signature(letter, emails_requested=2)
    # The later request's task happens to be first in the queue.
    second = send_signature_email.enqueue(signature.pk, 2, "en", manage=True)
    first = send_signature_email.enqueue(signature.pk, 1, "en")

    run_one_task()

    assert [m.extra_headers["Message-ID"] for m in mail.outbox] == [
        signature.email_message_id(1),
        signature.email_message_id(2),
    ]
    assert [status_of(first), status_of(second)] == [TaskResultStatus.SUCCESSFUL] * 2
    signature.refresh_from_db()
    assert signature.emails_sent == 2


def test_claimed_tasks_are_marked_running_while_their_emails_are_sent(
    letter, database_tasks, monkeypatch
):
    tasks = queue_pending(letter, 3)
    statuses_while_sending = []
    send_confirmation = emails.send_confirmation

    def watching(signature, **kwargs):
        statuses_while_sending.append({status_of(t) for t in tasks})
        send_confirmation(signature, **kwargs)

    monkeypatch.setattr(emails, "send_confirmation", watching)

    run_one_task()

    # All three claimed before the first is sent: a worker killed now leaves them "running",
    # where resend_owed_emails finds them, and no other worker takes them meanwhile.
    assert statuses_while_sending == [{TaskResultStatus.RUNNING}] * 3
    assert {status_of(t) for t in tasks} == {TaskResultStatus.SUCCESSFUL}


@pytest.fixture
def failing_bulk_update(monkeypatch):
    """Make the `n`th UPDATE of emails_sent fail as a lost database would."""
    calls = []
    bulk_update = QuerySet.bulk_update

    def fail_on(n):
        def maybe_fail(self, objs, fields, **kwargs):
            calls.append(fields)
            if len(calls) == n:
                raise OperationalError("server closed the connection unexpectedly")
            return bulk_update(self, objs, fields, **kwargs)

        monkeypatch.setattr(QuerySet, "bulk_update", maybe_fail)

    return fail_on


def test_a_database_error_in_the_first_group_fails_the_task_and_queues_the_rest_again(
    letter, database_tasks, failing_bulk_update
):
    tasks = queue_pending(letter, 3)
    failing_bulk_update(1)

    run_one_task()

    assert status_of(tasks[0]) == TaskResultStatus.FAILED
    assert [status_of(t) for t in tasks[1:]] == [TaskResultStatus.READY] * 2
    assert set(Signature.objects.values_list("emails_sent", flat=True)) == {0}


def test_a_database_error_in_a_later_group_queues_that_group_again(
    letter, database_tasks, failing_bulk_update
):
    tasks = queue_pending(letter, 2 * EMAIL_GROUP_SIZE)
    failing_bulk_update(2)

    run_one_task()

    first, second = tasks[:EMAIL_GROUP_SIZE], tasks[EMAIL_GROUP_SIZE:]
    # The running task's own email went out with the first group, which committed.
    assert {status_of(t) for t in first} == {TaskResultStatus.SUCCESSFUL}
    assert {status_of(t) for t in second} == {TaskResultStatus.READY}
    assert sorted(Signature.objects.values_list("emails_sent", flat=True)) == (
        [0] * EMAIL_GROUP_SIZE + [1] * EMAIL_GROUP_SIZE
    )


@pytest.mark.parametrize("bad_index", [0, 1], ids=["the running task's", "a claimed task's"])
def test_an_email_that_fails_in_a_batch_fails_its_own_task_only(
    letter, database_tasks, monkeypatch, bad_index
):
    signatures = [make_signature(letter, level=Level.PENDING, emails_requested=1) for _ in range(3)]
    tasks = [send_signature_email.enqueue(s.pk, 1, "en") for s in signatures]
    bad = signatures[bad_index]
    send_confirmation = emails.send_confirmation

    def broken_for_bad(signature, **kwargs):
        if signature.pk == bad.pk:
            raise ValueError("cannot render this one")
        send_confirmation(signature, **kwargs)

    monkeypatch.setattr(emails, "send_confirmation", broken_for_bad)

    run_one_task()

    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        s.email for s in signatures if s is not bad
    )
    failed = DBTaskResult.objects.get(pk=tasks[bad_index].id)
    assert failed.status == TaskResultStatus.FAILED
    assert failed.exception_class_path == "builtins.ValueError"
    assert [status_of(t) for i, t in enumerate(tasks) if i != bad_index] == [
        TaskResultStatus.SUCCESSFUL
    ] * 2
    bad.refresh_from_db()
    assert (bad.emails_requested, bad.emails_sent) == (1, 0)


def test_an_address_refused_in_a_batch_is_settled_and_the_others_sent(
    letter, database_tasks, monkeypatch
):
    signatures = [make_signature(letter, level=Level.PENDING, emails_requested=1) for _ in range(3)]
    tasks = [send_signature_email.enqueue(s.pk, 1, "en") for s in signatures]
    refused = signatures[1].email
    send_messages = locmem.EmailBackend.send_messages

    def refuse_one(self, messages):
        if messages[0].to == [refused]:
            raise smtplib.SMTPRecipientsRefused({refused: (550, b"No such user")})
        return send_messages(self, messages)

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", refuse_one)

    run_one_task()

    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        s.email for s in signatures if s.email != refused
    )
    assert queued_sends() == []
    assert {status_of(t) for t in tasks} == {TaskResultStatus.SUCCESSFUL}
    assert set(Signature.objects.values_list("emails_sent", flat=True)) == {1}


def test_mail_server_down_during_a_batch_schedules_each_email_its_own_retry(
    letter, database_tasks, monkeypatch
):
    tasks = queue_pending(letter, EMAIL_GROUP_SIZE + 3)
    tries = []

    def unreachable(message):
        tries.append(message)
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(config.mail, "send", unreachable)

    run_one_task()

    # One try for the group: the server was unreachable, so the others were not tried (each
    # could have waited out the SMTP timeout), and no further group was claimed.
    assert len(tries) == 1
    group, rest = tasks[:EMAIL_GROUP_SIZE], tasks[EMAIL_GROUP_SIZE:]
    assert {status_of(t) for t in group} == {TaskResultStatus.SUCCESSFUL}
    assert {status_of(t) for t in rest} == {TaskResultStatus.READY}
    # A retry carries its attempt number; the group's own tasks and the rest's do not.
    retries = [args for args, _ in queued_sends() if len(args) == 4]
    assert sorted(retries) == sorted(
        [DBTaskResult.objects.get(pk=t.id).args_kwargs["args"][0], 1, "en", 2] for t in group
    )
    assert set(Signature.objects.values_list("emails_sent", flat=True)) == {0}


def test_a_claimed_task_with_arguments_the_task_does_not_take_fails_alone(letter, database_tasks):
    signature = make_signature(letter, level=Level.PENDING, emails_requested=1)
    first = send_signature_email.enqueue(signature.pk, 1, "en")
    odd = send_signature_email.enqueue(signature.pk, 1, "en")
    DBTaskResult.objects.filter(pk=odd.id).update(
        args_kwargs={"args": [signature.pk], "kwargs": {"colour": "red"}}
    )

    run_one_task()

    assert [m.to for m in mail.outbox] == [[signature.email]]
    assert status_of(first) == TaskResultStatus.SUCCESSFUL
    assert status_of(odd) == TaskResultStatus.FAILED
