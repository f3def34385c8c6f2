import re
import smtplib
import socket
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends import locmem
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from config.settings import parse_email_url
from signatories.models import Level, Signature
from signatories.tasks import resend_owed_emails, send_signature_email
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
def database_tasks(settings):
    """Tasks queued in the database, as in production, so a retry can be scheduled."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.EMAIL_RETRY_DELAYS_SECONDS = [10, 60]


@pytest.fixture
def smtp_down(settings):
    """The mail server refuses connections: nothing listens on its port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.MAILERS = {"default": parse_email_url(f"smtp://127.0.0.1:{port}")}


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
