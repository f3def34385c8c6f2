"""The systemd units in deploy/systemd start what exists: each timer a unit there, and each
manage.py job a command this project has; the timers run the jobs of config/schedule.py, when it
says; the compose file's scheduler runs them too."""

import configparser

import pytest
import yaml
from django.core.management import get_commands

from config.schedule import JOBS
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


def test_the_timers_run_each_scheduled_job_when_the_schedule_says():
    timers = {}
    for timer in TIMERS:
        unit = configparser.ConfigParser(interpolation=None)
        unit.read(timer)
        command = started_unit(timer).removeprefix("undersigned-manage@").removesuffix(".service")
        timers[command] = unit["Timer"]["OnCalendar"]

    assert timers == {job.command: job.on_calendar for job in JOBS}


def test_the_compose_file_runs_one_scheduler():
    services = yaml.safe_load((BASE_DIR / "deploy" / "compose.yaml").read_text())["services"]

    assert services["scheduler"]["command"] == "python manage.py run_schedule"
    assert "run_schedule" in get_commands()
    assert "replicas" not in services["scheduler"].get("deploy", {})
