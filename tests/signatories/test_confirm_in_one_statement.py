"""Confirming in one statement (config.tasks.update_with_task) writes what the general path
writes: the state, the count change and the manage link's task, or nothing when the row changed
since it was read. PostgreSQL with the database task backend only: elsewhere there is only the
general path, which tests/signatories/test_confirm.py covers.
"""

import pytest
from django.db import connection, transaction
from django.tasks.signals import task_enqueued
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from config.tasks import update_with_task
from signatories.models import CountDelta, Level, Review, Signature
from signatories.tasks import send_signature_email
from tests.builders import make_signature

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("database_tasks"),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the one statement is PostgreSQL's"
    ),
]


def pending(letter, **fields):
    return make_signature(letter, level=Level.PENDING, emails_requested=1, **fields)


def confirm_by_the_general_path(signature):
    """What confirm_and_send_manage_link() did before it had one statement."""
    with transaction.atomic():
        if signature.confirm():
            signature.request_email(manage=True, capped=False)


def state(signature):
    fresh = Signature.objects.get(pk=signature.pk)
    return {
        field.attname: getattr(fresh, field.attname)
        for field in fresh._meta.concrete_fields
        if field.attname
        not in {"id", "public_id", "name", "name_key", "name_initials_key", "email"}
        | {"email_canonical", "signed_at", "confirmed_at"}
    }


def tasks_for(signature):
    return [
        {
            "args": task.args_kwargs["args"][1:],
            "kwargs": task.args_kwargs["kwargs"],
            "task_path": task.task_path,
            "status": task.status,
            "priority": task.priority,
            "queue_name": task.queue_name,
            "run_after": task.run_after,
        }
        for task in DBTaskResult.objects.all()
        if task.args_kwargs["args"][0] == signature.pk
    ]


def deltas():
    return sorted(CountDelta.objects.values_list("letter_id", "level", "delta"))


def test_it_stores_what_the_general_path_stores(letter):
    ours, general = pending(letter), pending(letter)

    ours.confirm_and_send_manage_link()
    after_ours = deltas()
    confirm_by_the_general_path(general)

    assert state(ours) == state(general)
    assert state(ours)["level"] == Level.CONFIRMED and state(ours)["emails_requested"] == 2
    assert Signature.objects.get(pk=ours.pk).confirmed_at is not None
    assert tasks_for(ours) == tasks_for(general)
    assert tasks_for(ours)[0]["args"] == [2, "en"]
    assert tasks_for(ours)[0]["kwargs"] == {"manage": True}
    assert after_ours == [(letter.pk, "confirmed", 1)]
    assert deltas() == [(letter.pk, "confirmed", 1)] * 2
    # The object holds what was written, as change_state() leaves it.
    assert (ours.level, ours.emails_requested) == (Level.CONFIRMED, 2)


def test_it_is_one_statement_after_the_two_reads(client, letter):
    signature = pending(letter)
    path = reverse("signatories:confirm", args=[letter.slug, signature.confirmation_token()])
    client.get(path)  # the letter, cached for signers, as on a busy letter

    with CaptureQueriesContext(connection) as queries:
        response = client.post(path)

    assert response.status_code == 200
    # The signature the link names, the look-alike check, then the one statement.
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["SELECT", "SELECT", "WITH"]
    assert Signature.objects.get(pk=signature.pk).level == Level.CONFIRMED


def test_a_held_name_is_held_and_not_counted(letter):
    make_signature(letter, name="Ada Quinn", notable=True)
    signature = pending(letter, name="Ada Quinn")
    before = deltas()

    signature.confirm_and_send_manage_link()

    stored = Signature.objects.get(pk=signature.pk)
    assert (stored.level, stored.review) == (Level.CONFIRMED, Review.HELD)
    assert stored.hold_reason == "Name matches Ada Quinn, a notable signatory."
    assert deltas() == before
    assert tasks_for(signature)[0]["args"] == [2, "en"]


def test_a_row_hidden_since_it_was_read_is_confirmed_by_the_general_path_uncounted(letter):
    signature = pending(letter)
    Signature.objects.filter(pk=signature.pk).update(hidden_at=timezone.now(), hidden_reason="Spam")

    signature.confirm_and_send_manage_link()

    stored = Signature.objects.get(pk=signature.pk)
    assert stored.level == Level.CONFIRMED and stored.hidden_at is not None
    assert deltas() == []
    assert len(tasks_for(signature)) == 1


def test_a_row_confirmed_since_it_was_read_writes_nothing(letter):
    signature = pending(letter)
    Signature.objects.get(pk=signature.pk).confirm_and_send_manage_link()
    stored_then = state(signature)

    signature.confirm_and_send_manage_link()

    assert state(signature) == stored_then
    assert len(tasks_for(signature)) == 1
    assert deltas() == [(letter.pk, "confirmed", 1)]


def test_the_enqueued_signal_names_the_manage_link(letter):
    signature = pending(letter)
    received = []

    def receiver(sender, task_result, **kwargs):
        received.append((task_result.id, task_result.args, task_result.kwargs))

    task_enqueued.connect(receiver)
    try:
        signature.confirm_and_send_manage_link()
    finally:
        task_enqueued.disconnect(receiver)

    [task] = DBTaskResult.objects.all()
    assert received == [(str(task.pk), [signature.pk, 2, "en"], {"manage": True})]


def confirm_with_update(signature, **overrides):
    """update_with_task() as confirming calls it, with `overrides`."""
    arguments = {
        "changes": {"level": Level.CONFIRMED, "confirmed_at": timezone.now()},
        "where": {"level": Level.PENDING},
        "counter": "emails_requested",
        "below": 5,
        "task": send_signature_email,
        "task_args": ("en",),
    }
    return update_with_task(signature, **arguments | overrides)


def test_the_extra_row_gets_its_key_and_the_counter_cannot_be_changed(letter):
    signature = pending(letter)
    delta = CountDelta(letter_id=letter.pk, level=Level.CONFIRMED, delta=1)

    sequence = confirm_with_update(signature, also=delta)

    assert sequence == 2
    assert CountDelta.objects.get(pk=delta.pk).level == Level.CONFIRMED
    with pytest.raises(ValueError, match="may not set it"):
        confirm_with_update(signature, changes={"emails_requested": 9})


def test_a_counter_at_its_bound_writes_nothing(letter):
    signature = pending(letter)

    assert confirm_with_update(signature, below=1) is None

    assert Signature.objects.get(pk=signature.pk).level == Level.PENDING
    assert DBTaskResult.objects.count() == 0
