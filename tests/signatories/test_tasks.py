import pytest
from django.core import mail

from signatories.models import Level
from signatories.tasks import send_signature_email
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
    link = signature.confirmation_url()
    assert link.startswith("https://letters.example.org/letters/ai-risk/confirm/")
    assert link in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert f'href="{link}"' in html
