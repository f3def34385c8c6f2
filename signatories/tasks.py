import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.tasks import TaskResultStatus, task
from django.utils import timezone, translation

from signatories import emails
from signatories.models import Signature, roll_up

logger = logging.getLogger(__name__)


@task()
def send_signature_email(
    signature_id, sequence, language=settings.LANGUAGE_CODE, manage=False, attempt=1
):
    """Send the email a signature is owed: its confirmation link, "you have already signed",
    or (asked for with `manage`) its manage link.

    `sequence` is the request number counted when the email was asked for. A task that runs
    twice, or after a later request was already served, finds emails_sent caught up and sends
    nothing. `language` is the one the signer was using the site in when they asked.

    Delivery is at least once, with an idempotency key: the Message-ID is fixed per request
    (Signature.email_message_id). The one window for a duplicate is a worker dying between the
    SMTP server's "250 accepted" and the commit just after it; recovery (resend_owed_emails)
    then sends the same message again, with the same Message-ID.
    """
    try:
        # The row lock makes a second worker running the same task wait, then see emails_sent
        # already advanced, instead of sending the same email twice.
        with transaction.atomic():
            signature = (
                Signature.objects.live()
                .select_for_update(of=("self",))
                .select_related("letter")
                .filter(pk=signature_id)
                .first()
            )
            if signature is None or signature.emails_sent >= sequence:
                return
            headers = {"Message-ID": signature.email_message_id(sequence)}
            with translation.override(language):
                if signature.is_pending:
                    emails.send_confirmation(signature, headers=headers)
                elif manage:
                    emails.send_manage_link(signature, headers=headers)
                else:
                    emails.send_already_signed(signature, headers=headers)
            signature.emails_sent = sequence
            signature.save(update_fields=["emails_sent"])
    except smtplib.SMTPRecipientsRefused:
        # The server refused the address for good (5xx): trying again cannot help. The owed
        # email is settled as undeliverable, so recovery does not try it again either.
        logger.warning("Signature %s: the SMTP server refused its address.", signature_id)
        Signature.objects.filter(pk=signature_id, emails_sent__lt=sequence).update(
            emails_sent=sequence
        )
    except (smtplib.SMTPException, OSError):
        # The mail server is down, unreachable or busy: try again later, a bounded number of
        # times with growing delays. After the last one the email is still owed, and the
        # signer's "send it again" (signing again) or resend_owed_emails tries once more.
        if not retry_email_later(signature_id, sequence, language, manage, attempt):
            raise


def retry_email_later(signature_id, sequence, language, manage, attempt):
    """Queue the next attempt after this one's delay; False when there is none left."""
    delays = settings.EMAIL_RETRY_DELAYS_SECONDS
    # The in-process backend (development, tests) cannot run a task later.
    if attempt > len(delays) or not send_signature_email.get_backend().supports_defer:
        return False
    run_after = timezone.now() + timedelta(seconds=delays[attempt - 1])
    logger.warning(
        "Signature %s: sending email %s failed (attempt %s); next try at %s.",
        signature_id,
        sequence,
        attempt,
        run_after.isoformat(),
        exc_info=True,
    )
    send_signature_email.using(run_after=run_after).enqueue(
        signature_id, sequence, language, manage=manage, attempt=attempt + 1
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
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    busy = (
        DBTaskResult.objects.filter(task_path=send_signature_email.module_path)
        .filter(status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING])
        .exclude(status=TaskResultStatus.RUNNING, started_at__lt=now - stale_after)
        .values_list("args_kwargs", flat=True)
    )
    busy_ids = {
        args_kwargs["args"][0] if args_kwargs["args"] else args_kwargs["kwargs"]["signature_id"]
        for args_kwargs in busy
    }
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


@task()
def roll_up_counts():
    """Fold the counts' pending changes into the per-letter totals (see CountDelta)."""
    roll_up()
