"""create_with_task: a new row and the task that follows it, written together or not at all.

On PostgreSQL with the database task backend both rows go in one statement of our own; these
tests hold it to what Model.save() and the library's enqueue() write. Elsewhere it is those two.
"""

import pytest
from django.db import IntegrityError, connection, transaction
from django.tasks.signals import task_enqueued
from django_tasks_db.models import DBTaskResult

from config.tasks import create_with_task
from signatories.models import Level, Signature
from signatories.tasks import send_signature_email
from tests.builders import build_signature


def new_signature(letter, email, **fields):
    return build_signature(
        letter,
        name="Ada Lovelace",
        email=email,
        level=Level.PENDING,
        client_ip="192.0.2.7",
        language="en",
        emails_requested=1,
        **fields,
    )


def stored(row, *, leave_out):
    """The row as the database holds it, without the fields that differ by design."""
    fresh = type(row).objects.get(pk=row.pk)
    return {
        field.attname: getattr(fresh, field.attname)
        for field in fresh._meta.concrete_fields
        if field.attname not in leave_out
    }


def test_the_row_is_the_one_model_save_writes(letter, database_tasks):
    ours = create_with_task(
        new_signature(letter, "ours@example.org", comment="Ünïcode – and a comment"),
        send_signature_email,
        1,
        "en",
        manage=False,
    )
    saved = new_signature(letter, "saved@example.org", comment="Ünïcode – and a comment")
    saved.save(force_insert=True)

    leave_out = {"id", "public_id", "email", "email_canonical", "signed_at"}
    assert stored(ours, leave_out=leave_out) == stored(saved, leave_out=leave_out)
    assert ours.signed_at is not None and ours._state.adding is False


def test_the_task_row_is_the_one_the_library_writes(letter, database_tasks):
    signature = create_with_task(
        new_signature(letter, "ada@example.org"), send_signature_email, 1, "en", manage=False
    )
    [ours] = DBTaskResult.objects.all()
    library_result = send_signature_email.enqueue(signature.pk, 1, "en", manage=False)
    library = DBTaskResult.objects.get(pk=library_result.id)

    leave_out = {"id", "enqueued_at"}
    assert stored(ours, leave_out=leave_out) == stored(library, leave_out=leave_out)
    assert ours.args_kwargs == {"args": [signature.pk, 1, "en"], "kwargs": {"manage": False}}


def test_the_enqueued_signal_names_the_new_row(letter, database_tasks):
    received = []

    def receiver(sender, task_result, **kwargs):
        received.append((task_result.id, task_result.args, task_result.kwargs))

    task_enqueued.connect(receiver)
    try:
        signature = create_with_task(
            new_signature(letter, "ada@example.org"), send_signature_email, 1, "en", manage=True
        )
    finally:
        task_enqueued.disconnect(receiver)

    [task] = DBTaskResult.objects.all()
    assert received == [(str(task.pk), [signature.pk, 1, "en"], {"manage": True})]


def test_a_refused_row_writes_neither_and_the_callers_transaction_goes_on(letter, database_tasks):
    with transaction.atomic():
        first = create_with_task(
            new_signature(letter, "ada@example.org"), send_signature_email, 1, "en"
        )
        with pytest.raises(IntegrityError):
            create_with_task(
                new_signature(letter, "ada@example.org"), send_signature_email, 1, "en"
            )
        # The refusal rolled back to a savepoint: the transaction can still write.
        Signature.objects.filter(pk=first.pk).update(role="Countess")

    assert list(Signature.objects.values_list("email", "role")) == [("ada@example.org", "Countess")]
    assert [task.args_kwargs["args"][0] for task in DBTaskResult.objects.all()] == [first.pk]


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_both_rows_commit_and_a_refusal_writes_nothing(
    letter, database_tasks
):
    first = create_with_task(
        new_signature(letter, "ada@example.org"), send_signature_email, 1, "en"
    )
    assert not connection.in_atomic_block

    with pytest.raises(IntegrityError):
        create_with_task(new_signature(letter, "ada@example.org"), send_signature_email, 1, "en")

    assert list(Signature.objects.values_list("pk", flat=True)) == [first.pk]
    assert [task.args_kwargs["args"][0] for task in DBTaskResult.objects.all()] == [first.pk]


def test_with_the_immediate_backend_the_task_runs_after_the_commit(
    letter, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        signature = create_with_task(
            new_signature(letter, "ada@example.org"), send_signature_email, 1, "en"
        )

    assert Signature.objects.get().pk == signature.pk
    assert [message.to for message in mailoutbox] == [["ada@example.org"]]
    assert DBTaskResult.objects.count() == 0


def test_an_unsaved_related_row_is_refused_before_anything_is_written(letter, database_tasks):
    from signatories.models import Organization

    signature = new_signature(letter, "ada@example.org", organization=Organization(name="New"))

    with pytest.raises(ValueError, match="unsaved related object 'organization'"):
        create_with_task(signature, send_signature_email, 1, "en")

    assert Signature.objects.count() == 0
    assert DBTaskResult.objects.count() == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the one statement is PostgreSQL's")
def test_a_signature_and_its_task_stay_within_the_parameters_psycopg_keeps_parsed(
    letter, database_tasks
):
    # psycopg parses a statement's text once only for 50 parameters or fewer (its
    # MAX_CACHED_STATEMENT_PARAMS); parsing the signing statement each time cost 0.12 ms.
    counts = []

    def count(execute, sql, params, many, context):
        if sql.startswith("WITH"):
            counts.append(len(params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        create_with_task(new_signature(letter, "ada@example.org"), send_signature_email, 1, "en")

    assert len(counts) == 1 and counts[0] <= 50
    [task] = DBTaskResult.objects.all()
    assert (task.started_at, task.finished_at) == (None, None)
    assert Signature.objects.get().confirmed_at is None
