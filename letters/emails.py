"""The letters app's emails: invitations to organize, and notices of a revised text."""

from django.conf import settings
from django.urls import reverse

from config.mail import send_templated
from letters.notices import unsubscribe_token


def send_invitation(invitation):
    send_templated(
        "invitation",
        to=invitation.email,
        context={
            "invitation": invitation,
            "letter": invitation.letter,
            "inviter": invitation.invited_by,
            "url": settings.SITE_URL + invitation.get_absolute_url(),
        },
    )


def send_revision_notice(signature, revision, previous):
    """Tell a signer the text they signed changed, with the diff and a way to stop these."""
    letter = signature.letter
    unsubscribe_url = settings.SITE_URL + reverse(
        "letters:unsubscribe", args=[letter.slug, unsubscribe_token(signature)]
    )
    send_templated(
        "revision-notice",
        to=signature.email,
        context={
            "signature": signature,
            "letter": letter,
            "revision": revision,
            "diff_url": settings.SITE_URL
            + reverse("letters:diff", args=[letter.slug, previous.number, revision.number]),
            "unsubscribe_url": unsubscribe_url,
        },
        # RFC 8058: mail clients offer a one-click unsubscribe that POSTs to this address.
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


def send_daily_digest(organizer, numbers):
    letter = organizer.letter
    send_templated(
        "daily-digest",
        to=organizer.user.email,
        context={
            "letter": letter,
            "numbers": numbers,
            "url": reverse("organize:dashboard", args=[letter.slug]),
        },
    )
