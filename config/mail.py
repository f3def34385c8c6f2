"""Rendering an email from its three templates (subject, text body and HTML body), and sending it
over a connection each thread keeps open."""

import contextlib
import copy
import re
import smtplib
import threading

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.template.loader import render_to_string


def send_templated(name, *, to, context, headers=None):
    context = {
        "site_url": settings.SITE_URL,
        "confirmation_max_age_days": settings.CONFIRMATION_MAX_AGE_DAYS,
        **context,
    }
    # One line, whatever the template's line breaks; no-break spaces stay, since French
    # typography puts them inside « » and before colons.
    subject = re.sub(
        r"[^\S\u00a0\u202f]+", " ", render_to_string(f"emails/{name}-subject.txt", context)
    ).strip()
    text = render_to_string(f"emails/{name}-body.txt", context)
    html = render_to_string(f"emails/{name}-body.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[to], headers=headers)
    message.attach_alternative(html, "text/html")
    send(message)


# This thread's open mailer, and the MAILERS entry it was opened with.
_kept = threading.local()


def send(message):
    """Send `message` with the default mailer, over the connection this thread keeps open.

    The task worker sends one email per task. A connection per email costs a TCP handshake, an
    EHLO, with smtp+tls a TLS handshake, and a QUIT, on our side and on the mail server's: more
    than the email itself. The connection is kept while the MAILERS setting stays the same. If the
    server has closed it since the last email (idle servers do, after a few minutes), a new one
    is opened and the email sent once more; after any other failure the connection is dropped,
    so the next email starts afresh, and the error goes to the caller as before.
    """
    mailer = kept_mailer()
    if mailer is not None:
        try:
            send_or_drop(mailer, message)
            return
        except (smtplib.SMTPServerDisconnected, ConnectionError):
            # Closed by the server before it accepted this email, as far as we can tell: send
            # it once more on a new connection. Should it have been accepted after all, the
            # second copy carries the same Message-ID (Signature.email_message_id).
            pass
    mailer = mailers.default
    mailer.open()
    _kept.mailer, _kept.config = mailer, copy.deepcopy(settings.MAILERS["default"])
    send_or_drop(mailer, message)


def kept_mailer():
    """This thread's open mailer, unless the setting changed since it was opened."""
    mailer = getattr(_kept, "mailer", None)
    if mailer is not None and _kept.config != settings.MAILERS["default"]:
        drop_kept_mailer()
        return None
    return mailer


def send_or_drop(mailer, message):
    try:
        mailer.send_messages([message])
    except BaseException:
        drop_kept_mailer()
        raise


def drop_kept_mailer():
    mailer, _kept.mailer = getattr(_kept, "mailer", None), None
    if mailer is not None:
        # A connection that failed may fail again on QUIT; it is closed either way.
        with contextlib.suppress(smtplib.SMTPException, OSError):
            mailer.close()
