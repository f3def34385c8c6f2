"""Counts: appended changes, rolled up by the worker, repaired by the recount."""

import time

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from signatories.models import CountDelta, LetterCount, Level, Signature, recount, roll_up
from signatories.tasks import roll_up_counts
from tests.builders import make_signature

pytestmark = pytest.mark.django_db

ZERO = {"confirmed": 0, "domain": 0, "orcid": 0, "organizer": 0}


def counts(letter):
    return Signature.objects.counts_for(letter)


def by_level(**levels):
    return {"total": sum(levels.values()), "by_level": ZERO | levels}


def test_confirming_counts_once_at_the_level_earned(letter):
    signature = Signature.sign(
        letter=letter, name="Ada", email="ada@example.org", affiliation="X", role="Y"
    )
    assert counts(letter) == by_level()

    signature.confirm()
    signature.confirm()

    assert counts(letter) == by_level(confirmed=1)


def test_held_signature_is_not_counted_until_approved(letter, django_user_model):
    make_signature(letter, name="Geoffrey Hinton", level=Level.DOMAIN)
    held = Signature.sign(
        letter=letter, name="G. Hinton", email="g@example.org", affiliation="X", role="Y"
    )
    held.confirm()
    assert counts(letter) == by_level(domain=1)

    held.decide(approve=True, by=django_user_model.objects.create(username="r"), reason="Checked.")

    assert counts(letter) == by_level(domain=1, organizer=1)


def test_flag_and_withdraw_take_a_signature_out_of_the_count(letter, django_user_model):
    flagged, withdrawn, kept = (make_signature(letter) for _ in range(3))

    flagged.flag(by=django_user_model.objects.create(username="r"), reason="Odd.")
    withdrawn.withdraw()
    withdrawn.withdraw()

    assert counts(letter) == by_level(confirmed=1)


def test_roll_up_folds_changes_into_totals_and_changes_no_count(letter):
    for level in [Level.CONFIRMED, Level.CONFIRMED, Level.ORCID]:
        make_signature(letter, level=level)
    before = counts(letter)

    folded = roll_up()
    again = roll_up()

    assert (folded, again) == (3, 0)
    assert CountDelta.objects.count() == 0
    assert dict(LetterCount.objects.values_list("level", "count")) == {"confirmed": 2, "orcid": 1}
    assert counts(letter) == before == by_level(confirmed=2, orcid=1)


def test_recount_repairs_and_reports_drift(letter, capsys):
    make_signature(letter)
    make_signature(letter)
    roll_up()
    # A change that bypassed the model's methods: the count is now wrong by one.
    Signature.objects.filter(pk=Signature.objects.first().pk).update(level=Level.DOMAIN)

    drift = recount(letter)
    call_command("recount")

    assert drift == {"confirmed": 1, "domain": -1}
    assert counts(letter) == by_level(confirmed=1, domain=1)
    assert "1 had drifted" not in capsys.readouterr().out


def test_recount_with_pending_changes_counts_each_once(letter):
    make_signature(letter)
    roll_up()
    make_signature(letter)

    assert recount(letter) == {}
    roll_up()
    assert counts(letter) == by_level(confirmed=2)


@pytest.mark.parametrize("rows", [1, 30])
def test_letter_page_never_counts_signature_rows(client, letter, rows):
    for _ in range(rows):
        make_signature(letter)
    roll_up()

    with CaptureQueriesContext(connection) as queries:
        client.get(f"/letters/{letter.slug}/")
        client.get(f"/api/v1/letters/{letter.slug}/count")

    counting = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert counting == []


def roll_ups_queued():
    return DBTaskResult.objects.filter(task_path=roll_up_counts.module_path).count()


def confirm_all(signatures, capture):
    with capture(execute=True):
        for signature in signatures:
            signature.confirm()


@pytest.mark.parametrize("cache_works", [True, False], ids=["redis", "redis down"])
def test_a_burst_of_confirmations_queues_one_roll_up_per_few_seconds(
    letter, settings, database_tasks, django_capture_on_commit_callbacks, cache_works, held_clock
):
    settings.COUNT_ROLL_UP_SECONDS = 0.5
    if not cache_works:
        settings.CACHES = {
            "default": {"BACKEND": "config.cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
        }
    pending = [make_signature(letter, level=Level.PENDING) for _ in range(4)]

    confirm_all(pending[:2], django_capture_on_commit_callbacks)
    time.sleep(0.55)  # Redis's own hold on a second roll-up lapses in real time
    held_clock.advance(0.55)
    confirm_all(pending[2:], django_capture_on_commit_callbacks)

    assert roll_ups_queued() == 2
    assert counts(letter) == by_level(confirmed=4)
