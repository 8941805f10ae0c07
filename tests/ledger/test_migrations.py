"""The ledger's baseline migration goes back to nothing and forward again, and its beat schedules can be
installed twice."""

from __future__ import annotations

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.db import connection
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from apps.core.operations import beat
from apps.ledger.schedules import OVERDUE, TASKS
from tests.ledger.sql_catalog import ledger_code_names, ledger_definitions

pytestmark = pytest.mark.django_db(transaction=True)

LEDGER_TASKS = {spec.task for spec in TASKS}


def _ledger_tables() -> set[str]:
    return {name for name in connection.introspection.table_names() if name.startswith("ledger_")}


def test_the_baseline_reverses_and_applies_again():
    tables, definitions = _ledger_tables(), ledger_definitions()

    call_command("migrate", "ledger", "zero", verbosity=0)
    try:
        assert _ledger_tables() == set()
        assert ledger_code_names() == set()  # every function and trigger dropped with its file's reverse
        assert not PeriodicTask.objects.filter(task__in=LEDGER_TASKS).exists()
    finally:
        call_command("migrate", verbosity=0)

    assert _ledger_tables() == tables
    assert ledger_definitions() == definitions
    assert set(PeriodicTask.objects.filter(task__in=LEDGER_TASKS).values_list("task", flat=True)) == LEDGER_TASKS


def test_creating_the_schedules_twice_changes_nothing():
    beat.install(django_apps, None, specs=TASKS)  # (a transactional test starts with emptied tables)
    once = (PeriodicTask.objects.count(), CrontabSchedule.objects.count())

    beat.install(django_apps, None, specs=TASKS)

    assert (PeriodicTask.objects.count(), CrontabSchedule.objects.count()) == once
    overdue = PeriodicTask.objects.get(task=OVERDUE.task)
    assert (overdue.crontab.minute, overdue.crontab.hour, overdue.enabled) == ("5", "*", True)
