"""Signing reads its letter from the cache, and no change to the letter leaves it stale there."""

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from letters.models import Letter
from letters.views import signing_letter_key
from signatories.models import Signature
from tests.builders import make_organization, sign_data

pytestmark = pytest.mark.django_db(transaction=True)


def sign(client, n):
    return client.post(
        "/letters/ai-risk/sign/",
        sign_data(email=f"signer{n}@example.org", name=f"Signer Number{n}"),
        REMOTE_ADDR=f"203.0.113.{n}",
    )


@pytest.mark.django_db(transaction=False)
def test_a_second_signer_costs_no_query_for_the_letter_or_the_affiliation(
    client, letter, django_capture_on_commit_callbacks, held_clock
):
    sign(client, 1)

    with (
        django_capture_on_commit_callbacks(execute=False),
        CaptureQueriesContext(connection) as queries,
    ):
        sign(client, 2)

    # The insert alone (its email's task waits for the commit): nothing reads the letter, and the
    # affiliation's registry match is the one found for the first signer.
    tables = [
        re.search(r'(?:FROM|INTO) "?(\w+)', q["sql"])[1]
        for q in queries.captured_queries
        if q["sql"].startswith(("SELECT", "INSERT"))
    ]
    assert tables == ["signatories_signature"]
    assert Signature.objects.count() == 2


def test_closing_the_letter_refuses_the_next_signer_at_once(client, letter):
    sign(client, 1)

    letter.close()
    response = sign(client, 2)

    assert response.status_code == 403
    assert list(Signature.objects.values_list("email", flat=True)) == ["signer1@example.org"]


def test_a_signer_after_a_revision_signs_the_new_revision(client, letter):
    sign(client, 1)
    first = letter.current_revision

    letter.body += "\n\nA new paragraph."
    letter.save()
    letter.revise(by=None, change_note="Added a paragraph.")
    sign(client, 2)

    revisions = dict(Signature.objects.values_list("email", "revision"))
    assert revisions == {
        "signer1@example.org": first.pk,
        "signer2@example.org": Letter.objects.get(pk=letter.pk).current_revision_id,
    }
    assert revisions["signer2@example.org"] != first.pk


def test_a_new_translation_can_be_signed_in_at_once(client, letter):
    sign(client, 1)

    letter.current_revision.translate(language="fr", title="Évaluer", body="Texte.")
    response = client.post(
        "/letters/ai-risk/sign/",
        sign_data(email="lea@example.org", name="Léa Martin", language="fr"),
    )

    assert response.status_code == 303
    assert Signature.objects.get(email="lea@example.org").language == "fr"


def close_in_another_process(letter):
    """What closing the letter in another web process leaves this one: the row changed and the
    shared copy dropped, this process's own copy untouched."""
    Letter.objects.filter(pk=letter.pk).update(status=Letter.Status.CLOSED)
    cache.delete(signing_letter_key(letter.slug))


def test_a_letter_closed_in_another_process_refuses_signers_here_within_a_second(
    client, letter, held_clock
):
    sign(client, 1)

    close_in_another_process(letter)
    within_the_second = sign(client, 2)
    held_clock.advance(1.05)
    after_it = sign(client, 3)

    assert within_the_second.status_code == 303
    assert after_it.status_code == 403
    assert sorted(Signature.objects.values_list("email", flat=True)) == [
        "signer1@example.org",
        "signer2@example.org",
    ]


def test_without_local_copies_the_change_is_seen_at_once(client, letter, settings):
    settings.SHARED_PAGE_LOCAL_SECONDS = 0
    sign(client, 1)

    close_in_another_process(letter)

    assert sign(client, 2).status_code == 403


def test_an_organization_added_to_the_registry_is_matched_within_a_second(
    client, letter, held_clock
):
    sign(client, 1)  # "Example University": no such organization yet

    make_organization(name="Example University", ror_id="05example")
    within_the_second = sign(client, 2)
    held_clock.advance(1.05)
    after_it = sign(client, 3)

    assert (within_the_second.status_code, after_it.status_code) == (303, 303)
    organizations = dict(Signature.objects.values_list("email", "organization__ror_id"))
    assert organizations == {
        "signer1@example.org": None,
        "signer2@example.org": None,
        "signer3@example.org": "05example",
    }
