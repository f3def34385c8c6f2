from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.utils import translation

from signatories import emails
from signatories.models import Signature, roll_up


@task()
def send_signature_email(signature_id, sequence, language=settings.LANGUAGE_CODE, manage=False):
    """Send the email a signature is owed: its confirmation link, "you have already signed",
    or (asked for with `manage`) its manage link.

    `sequence` is the request number counted when the email was asked for. A task that runs
    twice, or after a later request was already served, finds emails_sent caught up and sends
    nothing. `language` is the one the signer was using the site in when they asked.
    """
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
        with translation.override(language):
            if signature.is_pending:
                emails.send_confirmation(signature)
            elif manage:
                emails.send_manage_link(signature)
            else:
                emails.send_already_signed(signature)
        signature.emails_sent = sequence
        signature.save(update_fields=["emails_sent"])


@task()
def run_bulk_action(action_id):
    """Hide what an organizer's bulk action found, in batches (signatories.investigation)."""
    from signatories.investigation import run_bulk

    run_bulk(action_id)


@task()
def roll_up_counts():
    """Fold the counts' pending changes into the per-letter totals (see CountDelta)."""
    roll_up()
