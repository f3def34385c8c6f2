from django.tasks import task

from config.tasks import EMAIL_QUEUE
from letters import emails
from letters.models import Revision
from letters.notices import notify_signers


@task(queue_name=EMAIL_QUEUE)
def notify_signers_of_revision(revision_id):
    """Email every signer who accepts it that the letter was revised (see letters.notices)."""
    revision = Revision.objects.select_related("letter").filter(pk=revision_id).first()
    if revision is None:
        return
    previous = (
        revision.letter.revisions.filter(number__lt=revision.number).order_by("-number").first()
    )
    if previous is None:
        return
    notify_signers(
        revision, lambda signature: emails.send_revision_notice(signature, revision, previous)
    )
