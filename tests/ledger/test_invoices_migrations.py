"""The invoices migrations go back and forth, and the beat schedules migration can run twice."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.db import connection
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from apps.core import beat

pytestmark = pytest.mark.django_db(transaction=True)

schedules = importlib.import_module("apps.ledger.migrations.0004_invoice_and_recurring_schedules")
TASKS = [spec.task for spec in schedules.TASKS]


def _tables() -> set[str]:
    return set(connection.introspection.table_names())


def test_the_migrations_reverse_and_apply_again():
    call_command("migrate", "ledger", "0002_integrity", verbosity=0)
    try:
        assert "ledger_invoice" not in _tables()
        assert not PeriodicTask.objects.filter(task__in=TASKS).exists()
    finally:
        call_command("migrate", verbosity=0)

    assert {"ledger_invoice", "ledger_invoiceline", "ledger_recurringpayment"} <= _tables()
    assert set(PeriodicTask.objects.filter(task__in=TASKS).values_list("task", flat=True)) == set(TASKS)


def test_creating_the_schedules_twice_changes_nothing():
    beat.install(django_apps, None, specs=schedules.TASKS)  # (a transactional test starts with emptied tables)
    once = (PeriodicTask.objects.count(), CrontabSchedule.objects.count())

    beat.install(django_apps, None, specs=schedules.TASKS)

    assert (PeriodicTask.objects.count(), CrontabSchedule.objects.count()) == once
    overdue = PeriodicTask.objects.get(task=schedules.TASKS[0].task)
    assert (overdue.crontab.minute, overdue.crontab.hour, overdue.enabled) == ("5", "*", True)
