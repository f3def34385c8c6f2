import inspect
import logging
import smtplib
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import router, transaction
from django.db.models import F
from django.tasks import TaskResultStatus, task
from django.utils import timezone, translation
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from config.tasks import EMAIL_QUEUE
from signatories import emails
from signatories.models import Signature, roll_up

logger = logging.getLogger(__name__)


# A worker running one email task sends the emails queued behind it along with it, in groups of
# EMAIL_GROUP_SIZE. Each group is claimed as the worker claims a task, then sent in one
# transaction: one locking read and one UPDATE of the signatures, one UPDATE of the task rows.
# Half of an email's cost as a task of its own was that bookkeeping: `db_worker --batch` draining
# 1,000 queued confirmation emails took 6.0 ms of its CPU per email one task at a time, 2.6-2.7
# ms in groups (README, "Performance"). A group holds its signatures' row locks while it sends,
# and a worker killed before the group commits leaves its emails to be sent again (with the same
# Message-IDs), so groups are small. The task takes no more groups after EMAIL_BATCH_SIZE emails
# or EMAIL_BATCH_SECONDS: the worker stops only between tasks, and other tasks wait behind it.
EMAIL_GROUP_SIZE = 10
EMAIL_BATCH_SIZE = 50
EMAIL_BATCH_SECONDS = 5

# Errors that say the mail server cannot be reached at all, rather than that it would not take
# one message: the rest of the group is not tried (each try could wait out the SMTP timeout).
MAIL_SERVER_UNREACHABLE = (OSError, smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError)


@dataclass(frozen=True, eq=False)
class OwedEmail:
    """One queued email: send_signature_email's arguments, and the task row when one was claimed
    along with the running task (None for the running task itself)."""

    signature_id: int
    sequence: int
    language: str = settings.LANGUAGE_CODE
    manage: bool = False
    attempt: int = 1
    task_row: DBTaskResult | None = None


@task(queue_name=EMAIL_QUEUE)
def send_signature_email(
    signature_id, sequence, language=settings.LANGUAGE_CODE, manage=False, attempt=1
):
    """Send the email a signature is owed: its confirmation link, "you have already signed",
    or (asked for with `manage`) its manage link; and the emails queued behind it.

    `sequence` is the request number counted when the email was asked for. A task that runs
    twice, or after a later request was already served, finds emails_sent caught up and sends
    nothing. `language` is the one the signer was using the site in when they asked.

    With the database queue, the task also claims the email tasks that are ready, a group at a
    time (claim_queued_emails), and sends each group in one transaction (send_group), finishing
    their task rows itself. This task's own outcome is its own email's: it fails only when that
    email failed for good, or its group's transaction did.

    Delivery is at least once, with an idempotency key: the Message-ID is fixed per request
    (Signature.email_message_id). The one window for a duplicate is between the SMTP server's
    "250 accepted" and the commit of that email's group (a worker killed, the database lost);
    the group's emails are then sent again, with the same Message-IDs.
    """
    running = OwedEmail(signature_id, sequence, language, manage, attempt)
    group = [running, *claim_queued_emails(EMAIL_GROUP_SIZE - 1)]
    failed, mail_down = send_group(group)
    if running in failed:
        raise failed[running]
    sent = len(group)
    deadline = time.monotonic() + EMAIL_BATCH_SECONDS
    while (
        not mail_down
        and len(group) == EMAIL_GROUP_SIZE
        and sent < EMAIL_BATCH_SIZE
        and time.monotonic() < deadline
    ):
        try:
            group = claim_queued_emails(EMAIL_GROUP_SIZE)
            if not group:
                return
            _, mail_down = send_group(group)
        except Exception:
            # This task's own email went out with the first group: the failure is a later
            # group's, whose tasks are back in the queue (send_group) or were never claimed.
            logger.exception("Sending the emails queued behind this one failed.")
            return
        sent += len(group)


def send_group(group):
    """Send `group` (send_emails) and finish its claimed task rows; (failures, mail_down).

    If the group's transaction fails, its claimed tasks go back to the queue, for this or any
    worker to send, and the error is raised. Should that fail too (the database gone), they stay
    marked running, for resend_owed_emails.
    """
    claimed = [email.task_row.pk for email in group if email.task_row is not None]
    try:
        # A signature's emails in the order they were asked for, as separate tasks would be.
        failed, mail_down = send_emails(sorted(group, key=lambda email: email.sequence))
    except Exception:
        DBTaskResult.objects.filter(pk__in=claimed, status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.READY, started_at=None
        )
        raise
    for email, error in failed.items():
        if email.task_row is not None:
            email.task_row.set_failed(error)
    return failed, mail_down


# send_signature_email's parameters, to read a queued task's arguments as the worker would.
EMAIL_TASK_PARAMETERS = inspect.signature(send_signature_email.func)


def email_task_arguments(args_kwargs):
    """{parameter: value} of a queued send_signature_email task, defaults included.

    Raises TypeError or KeyError for arguments the task does not take.
    """
    bound = EMAIL_TASK_PARAMETERS.bind(*args_kwargs["args"], **args_kwargs["kwargs"])
    bound.apply_defaults()
    return bound.arguments


def claim_queued_emails(limit):
    """Claim up to `limit` email tasks that are ready in the database queue; their OwedEmails.

    The claim is the worker's own (django_tasks_db's db_worker): the rows are locked with SKIP
    LOCKED, so two workers never take the same one, and marked running, so a worker that dies
    before finishing them leaves them to resend_owed_emails, as it does the task it was running.
    Nothing is claimed from any other queue (the in-process one of the demo and the tests).
    """
    if limit < 1 or not isinstance(send_signature_email.get_backend(), DatabaseBackend):
        return []
    with transaction.atomic(using=router.db_for_write(DBTaskResult)):
        rows = list(
            DBTaskResult.objects.ready()
            .filter(
                backend_name=send_signature_email.backend,
                queue_name=send_signature_email.queue_name,
                task_path=send_signature_email.module_path,
            )
            .select_for_update(skip_locked=True)[:limit]
        )
        DBTaskResult.objects.filter(pk__in=[row.pk for row in rows]).update(
            status=TaskResultStatus.RUNNING, started_at=timezone.now()
        )
    emails = []
    for row in rows:
        try:
            arguments = email_task_arguments(row.args_kwargs)
        except (TypeError, KeyError) as error:
            # Not arguments this task takes (queued by an older version, say): fail that task
            # alone, as the worker would have.
            row.set_failed(error)
            continue
        emails.append(OwedEmail(**arguments, task_row=row))
    return emails


def send_emails(group):
    """Send each email of `group` that its signature still owes, in one transaction.

    Returns ({email: error} for those that failed for good, the error that found the mail
    server unreachable or None). The rest are done: sent, found already sent, refused by the
    mail server for good, or queued again to be tried later.
    """
    failed, mail_down = {}, None
    # The row locks make a second worker sending the same email wait, then see emails_sent
    # already advanced, instead of sending it twice.
    with transaction.atomic(using=router.db_for_write(Signature)):
        signatures = (
            Signature.objects.live()
            .select_for_update(of=("self",))
            .select_related("letter")
            .in_bulk({email.signature_id for email in group})
        )
        advanced = {}
        for email in group:
            signature = signatures.get(email.signature_id)
            if signature is None or signature.emails_sent >= email.sequence:
                continue
            try:
                if mail_down is not None:
                    # Not tried: the server was unreachable for an email of this group a moment
                    # ago. It is retried as if it had failed the same way.
                    raise mail_down
                send_one(signature, email)
            except smtplib.SMTPRecipientsRefused:
                # The server refused the address for good (5xx): trying again cannot help. The
                # owed email is settled as undeliverable (below), so recovery leaves it too.
                logger.warning("Signature %s: the SMTP server refused its address.", signature.pk)
            except (smtplib.SMTPException, OSError) as error:
                # The mail server is down, unreachable or busy: try again later, a bounded
                # number of times with growing delays. After the last one the email is still
                # owed, and the signer's "send it again" (signing again) or resend_owed_emails
                # tries once more.
                if isinstance(error, MAIL_SERVER_UNREACHABLE):
                    mail_down = error
                if not retry_email_later(email, error):
                    failed[email] = error
                continue
            except Exception as error:
                # A fault of this one email (a template that cannot render it, say) fails its
                # own task, not the group; the email stays owed.
                logger.exception("Signature %s: email %s failed.", signature.pk, email.sequence)
                failed[email] = error
                continue
            signature.emails_sent = email.sequence
            advanced[signature.pk] = signature
        Signature.objects.bulk_update(advanced.values(), ["emails_sent"])
        # The claimed tasks are finished in the same commit as the emails they sent (both are
        # written to the default database: config.db_router).
        DBTaskResult.objects.filter(
            pk__in=[email.task_row.pk for email in group if email.task_row and email not in failed]
        ).update(
            status=TaskResultStatus.SUCCESSFUL,
            finished_at=timezone.now(),
            return_value=None,
            exception_class_path="",
            traceback="",
        )
    return failed, mail_down


def send_one(signature, email):
    headers = {"Message-ID": signature.email_message_id(email.sequence)}
    with translation.override(email.language):
        if signature.is_pending:
            emails.send_confirmation(signature, headers=headers)
        elif email.manage:
            emails.send_manage_link(signature, headers=headers)
        else:
            emails.send_already_signed(signature, headers=headers)


def retry_email_later(email, error):
    """Queue the next attempt at `email` after this one's delay; False when there is none left."""
    delays = settings.EMAIL_RETRY_DELAYS_SECONDS
    # The in-process backend (development, tests) cannot run a task later.
    if email.attempt > len(delays) or not send_signature_email.get_backend().supports_defer:
        return False
    run_after = timezone.now() + timedelta(seconds=delays[email.attempt - 1])
    logger.warning(
        "Signature %s: sending email %s failed (attempt %s); next try at %s.",
        email.signature_id,
        email.sequence,
        email.attempt,
        run_after.isoformat(),
        exc_info=error,
    )
    send_signature_email.using(run_after=run_after).enqueue(
        email.signature_id,
        email.sequence,
        email.language,
        manage=email.manage,
        attempt=email.attempt + 1,
    )
    return True


def resend_owed_emails(*, stale_after):
    """Queue again every email still owed that no task will send. Returns how many.

    django-tasks-db neither retries a task nor notices one whose worker died: a task claimed
    by a worker killed mid-send stays "running" for ever, and an enqueue that failed because
    the database went away just after the signature was saved leaves no task at all. Either
    way the signature still shows emails_sent < emails_requested. A task that is queued, or
    running for less than `stale_after`, is left to finish. Sending twice is harmless: the
    task's row lock and sequence check send each email once.
    """
    now = timezone.now()
    busy = (
        DBTaskResult.objects.filter(task_path=send_signature_email.module_path)
        .filter(status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING])
        .exclude(status=TaskResultStatus.RUNNING, started_at__lt=now - stale_after)
        .values_list("args_kwargs", flat=True)
    )
    busy_ids = {email_task_arguments(args_kwargs)["signature_id"] for args_kwargs in busy}
    # Past the confirmation window a link would be dead on arrival, and an address refused
    # for weeks is not worth more tries.
    owed = (
        Signature.objects.live()
        .filter(
            emails_sent__lt=F("emails_requested"),
            signed_at__gte=now - timedelta(days=settings.CONFIRMATION_MAX_AGE_DAYS),
        )
        .exclude(pk__in=busy_ids)
        .values_list("pk", "emails_requested", "language")
    )
    queued = 0
    for pk, sequence, language in owed:
        send_signature_email.enqueue(pk, sequence, language)
        queued += 1
    return queued


@task()
def run_bulk_action(action_id):
    """Hide what an organizer's bulk action found, in batches (signatories.investigation)."""
    from signatories.investigation import run_bulk

    run_bulk(action_id)


# Before the mail: a roll-up is quick and keeps the counts readers see current, where behind a
# burst's emails it waited for all of them (and the worker's next-task query, which skips the
# emails while it holds them, finds it first in its index).
@task(priority=10)
def roll_up_counts():
    """Fold the counts' pending changes into the per-letter totals (see CountDelta)."""
    roll_up()
