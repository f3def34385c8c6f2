"""Retention: `manage.py apply_retention` and the privacy page that quotes its settings."""

import logging
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from pytest_django.asserts import assertContains

from signatories.models import Level, Signature
from tests.builders import make_letter, make_signature

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def test_unconfirmed_signatures_are_deleted_after_the_retention_period(letter, settings):
    settings.UNCONFIRMED_RETENTION_DAYS = 30
    now = timezone.now()
    make_signature(letter, name="Old Pending", level=Level.PENDING, signed_at=now - 31 * DAY)
    make_signature(letter, name="New Pending", level=Level.PENDING, signed_at=now - 29 * DAY)
    make_signature(letter, name="Old Confirmed", signed_at=now - 400 * DAY)

    call_command("apply_retention")

    assert sorted(Signature.objects.values_list("name", flat=True)) == [
        "New Pending",
        "Old Confirmed",
    ]


def test_addresses_are_erased_after_a_letter_closes_and_counts_stay(settings, capsys, caplog):
    settings.CLOSED_LETTER_RETENTION_DAYS = 90
    now = timezone.now()
    old = make_letter(slug="old", closes_at=now - 91 * DAY)
    recent = make_letter(slug="recent", closes_at=now - 89 * DAY)
    kept = make_signature(recent, email="kept@example.org", client_ip="198.51.100.1")
    erased = make_signature(old, email="Erased.Me+x@gmail.com", client_ip="2001:db8::1")
    hidden = make_signature(old, email="hidden@example.org", public=False)
    counts_before = Signature.objects.counts_for(old)
    caplog.set_level(logging.INFO, logger="undersigned.retention")

    call_command("apply_retention")

    rows = {
        s.pk: (s.email, s.email_canonical, s.client_ip, s.redacted_at is not None)
        for s in Signature.objects.all()
    }
    erased_id = erased.public_id.hex
    hidden_id = hidden.public_id.hex
    assert rows == {
        kept.pk: ("kept@example.org", "kept@example.org", "198.51.100.1", False),
        erased.pk: (
            f"erased-{erased_id}@invalid",
            f"erased-{erased_id}@invalid",
            None,
            True,
        ),
        hidden.pk: (f"erased-{hidden_id}@invalid", f"erased-{hidden_id}@invalid", None, True),
    }
    assert Signature.objects.counts_for(old) == counts_before
    assert Signature.objects.get(pk=erased.pk).name == erased.name
    assert capsys.readouterr().out == (
        "Deleted 0 unconfirmed signatures; erased 2 signatures' addresses on 1 closed letters.\n"
    )
    assert "erased the email and client addresses of 2 signatures on 1 letters" in caplog.text


def test_retention_is_idempotent(settings, capsys):
    now = timezone.now()
    old = make_letter(slug="old", closes_at=now - 365 * DAY)
    signature = make_signature(old)
    call_command("apply_retention")
    first = Signature.objects.get(pk=signature.pk)
    capsys.readouterr()

    call_command("apply_retention")

    again = Signature.objects.get(pk=signature.pk)
    assert (again.email, again.redacted_at) == (first.email, first.redacted_at)
    assert capsys.readouterr().out.startswith("Deleted 0 unconfirmed signatures; erased 0")


def test_open_letters_and_letters_without_a_closing_time_keep_their_addresses(letter):
    make_signature(letter, email="open@example.org")
    make_letter(slug="later", closes_at=timezone.now() + 10 * DAY)

    call_command("apply_retention")

    assert list(Signature.objects.values_list("email", flat=True)) == ["open@example.org"]


def test_the_privacy_page_quotes_the_settings_in_force(client, settings):
    settings.UNCONFIRMED_RETENTION_DAYS = 12
    settings.CLOSED_LETTER_RETENTION_DAYS = 45
    settings.CONFIRMATION_MAX_AGE_DAYS = 3
    settings.MAX_EMAILS_PER_SIGNATURE = 4
    settings.FRESH_LINKS_PER_DAY, settings.MANAGE_LINKS_PER_DAY = 2, 1

    page = client.get("/privacy/")

    assertContains(page, "deleted 12 days after it was made")
    assertContains(page, "45 days after a letter closes, we erase the email and network addresses")
    assertContains(page, "A confirmation link works for 3 days.")
    assertContains(page, "we send at most 4 emails per signature.")
    assertContains(page, "the manage link) sends at most 2 emails a day.")
    assertContains(page, "never published")
    assertContains(page, 'is kept until you <a href="/accounts/delete/">delete it</a>')


def test_every_page_links_to_the_privacy_page(client, letter):
    for url in ["/", "/letters/ai-risk/", "/how-we-verify/"]:
        assertContains(client.get(url), '<a href="/privacy/">Privacy</a>', html=True)
