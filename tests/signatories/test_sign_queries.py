"""Signing costs few statements: a spike of signers is a spike of these."""

import re

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from signatories.models import Signature
from tests.builders import sign_data

pytestmark = pytest.mark.django_db


def post_sign(client, django_capture_on_commit_callbacks, **overrides):
    """POST the form; return the statements it ran, then run what it left for the commit."""
    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        CaptureQueriesContext(connection) as queries,
    ):
        response = client.post(
            "/letters/ai-risk/sign/",
            sign_data(**overrides),
            headers={"Sec-Fetch-Site": "same-origin"},
        )
    assert response.status_code == 303
    for callback in callbacks:
        callback()
    return [q["sql"].split()[0].upper() for q in queries.captured_queries], queries


def writes(statements):
    return [s for s in statements if s in {"INSERT", "UPDATE", "DELETE"}]


def test_new_signature_is_one_insert_that_already_owes_its_email(
    client, letter, django_capture_on_commit_callbacks
):
    statements, queries = post_sign(client, django_capture_on_commit_callbacks)

    signature = Signature.objects.get()
    assert writes(statements) == ["INSERT"]
    assert "signatories_signature" in queries.captured_queries[statements.index("INSERT")]["sql"]
    # The letter, the affiliation's registry match, and the insert in a transaction of its own
    # (a savepoint here, inside the test's transaction). Nothing reads the row back.
    assert statements == ["SELECT", "SELECT", "SAVEPOINT", "INSERT", "RELEASE"]
    assert (signature.emails_requested, signature.emails_sent) == (1, 1)
    assert [m.to for m in mail.outbox] == [["ada.quinn@example.org"]]


def test_signing_again_is_one_update_that_counts_the_email(
    client, letter, django_capture_on_commit_callbacks
):
    post_sign(client, django_capture_on_commit_callbacks)

    statements, _ = post_sign(client, django_capture_on_commit_callbacks, name="Ada Q.")

    signature = Signature.objects.get()
    # The failed INSERT, then one UPDATE … RETURNING that checks the cap and counts.
    assert writes(statements) == ["INSERT", "UPDATE"]
    assert (signature.name, signature.emails_requested, signature.emails_sent) == (
        "Ada Quinn",
        2,
        2,
    )
    # Still pending: a fresh confirmation link.
    assert [m.subject for m in mail.outbox] == [
        "Confirm your signature on “Assess AI risk with science”"
    ] * 2


def test_no_email_beyond_the_cap(client, letter, settings, django_capture_on_commit_callbacks):
    settings.MAX_EMAILS_PER_SIGNATURE = 2
    for _ in range(4):
        post_sign(client, django_capture_on_commit_callbacks)

    assert Signature.objects.get().emails_requested == 2
    assert len(mail.outbox) == 2


def test_confirming_is_one_transaction_of_few_statements(
    client, letter, django_capture_on_commit_callbacks
):
    post_sign(client, django_capture_on_commit_callbacks)
    [link] = re.findall(r"http://[^/\s]+(/letters/ai-risk/confirm/[^/\s]+/)", mail.outbox[0].body)
    page = client.get(link)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]

    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        CaptureQueriesContext(connection) as queries,
    ):
        response = client.post(link, {"csrfmiddlewaretoken": token})
    statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]

    assert response.status_code == 200
    # The signature and the name check, then one transaction (a savepoint inside the test's):
    # lock, confirm, count change, and the manage link's email counted. Its task and the count
    # roll-up wait for the commit. (With the database task backend on PostgreSQL the
    # transaction is one statement: test_confirm_in_one_statement.py.)
    assert statements == [
        "SELECT", "SELECT", "SAVEPOINT", "SELECT", "UPDATE", "INSERT", "UPDATE", "RELEASE",
    ]  # fmt: skip
    assert len(callbacks) == 2
    assert Signature.objects.get().level == "confirmed"
