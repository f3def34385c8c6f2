"""The systemd units in deploy/systemd start what exists: each timer a unit there, and each
manage.py job a command this project has."""

import configparser

import pytest
from django.core.management import get_commands

from tests.production import BASE_DIR

UNITS = BASE_DIR / "deploy" / "systemd"
TIMERS = sorted(UNITS.glob("*.timer"))


def started_unit(timer):
    unit = configparser.ConfigParser(interpolation=None)
    unit.read(timer)
    return unit["Timer"]["Unit"]


@pytest.mark.parametrize("timer", TIMERS, ids=[timer.name for timer in TIMERS])
def test_each_timer_starts_a_unit_of_ours_running_an_existing_command(timer):
    name = started_unit(timer)
    template, _, instance = name.removesuffix(".service").partition("@")

    assert (UNITS / (f"{template}@.service" if instance else name)).exists()
    if template == "undersigned-manage":
        assert instance in get_commands()


def test_finished_tasks_are_pruned_daily():
    assert "undersigned-manage@prune_db_task_results.service" in map(started_unit, TIMERS)
