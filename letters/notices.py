"""Telling signers that the text they signed was revised, and letting them stop these emails."""

from django.core import signing
from django.db import IntegrityError, transaction

from letters.models import LetterNotice

UNSUBSCRIBE_SALT = "letters.unsubscribe"
# Mail clients keep one-click unsubscribe addresses for as long as they keep the email.
UNSUBSCRIBE_MAX_AGE = 365 * 24 * 3600
BATCH_SIZE = 200


def unsubscribe_token(signature):
    return signing.dumps(str(signature.public_id), salt=UNSUBSCRIBE_SALT)


def signature_for_unsubscribe(token, letter):
    """The letter's signature the token names, or None for a forged, expired or foreign token."""
    from signatories.models import Signature

    try:
        public_id = signing.loads(token, salt=UNSUBSCRIBE_SALT, max_age=UNSUBSCRIBE_MAX_AGE)
    except signing.BadSignature:
        return None
    return Signature.objects.filter(letter=letter, public_id=public_id).first()


def signatures_to_notify(revision):
    """Confirmed, live, unhidden signatures of the letter that accept these emails and were not
    yet told about `revision`."""
    from signatories.models import COUNTED_LEVELS, Signature

    return (
        Signature.objects.live()
        .filter(
            letter_id=revision.letter_id,
            level__in=COUNTED_LEVELS,
            hidden_at__isnull=True,
            redacted_at__isnull=True,
            notify_changes=True,
        )
        .exclude(notices__revision=revision)
        .select_related("letter")
        .order_by("pk")
    )


def notify_signers(revision, send):
    """Call `send(signature)` once per signer owed a notice of `revision`; returns how many.

    Safe to run twice, even at once: each notice is recorded with its email, in one
    transaction, under a unique constraint.
    """
    sent = 0
    last_pk = 0
    while True:
        batch = list(signatures_to_notify(revision).filter(pk__gt=last_pk)[:BATCH_SIZE])
        if not batch:
            return sent
        for signature in batch:
            try:
                # The notice row and the email go together: a second worker inserting the same
                # pair waits on the unique index, then fails here and sends nothing; a failed
                # send rolls the row back so a retry sends it.
                with transaction.atomic():
                    LetterNotice.objects.create(revision=revision, signature=signature)
                    send(signature)
            except IntegrityError:
                continue
            sent += 1
        last_pk = batch[-1].pk
