"""Rendering an email from its three templates: subject, text body and HTML body."""

import re

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
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
    message.send()
