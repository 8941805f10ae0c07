"""Exchange rates: the daily fetch of the public rates, in the database so that it shows (and can be changed)
in the admin, and one manual rate per organization, date and pair held by the database.

The Central Bank of Russia sets each day's rates on the previous working day, so by 12:30 Moscow time
(09:30 UTC; Moscow keeps no daylight saving time) today's rates are there for certain. Should the source be
unreachable, the task retries by itself for a few hours.

The schedule: idempotent (running it on a database that already has the schedule or the task updates them in
place) and reversible (going back removes the task, and the schedule if no other task uses it).

The unique index: rates entered by hand are looked up by organization, date and pair; two of them for the
same day would make the choice arbitrary, and a double click must enter one. Public rates already have their
unique key (``fxrate_public_unique``); rates of actual exchanges may differ within a day and stay many.
"""

from django.db import migrations
from django.utils import timezone

FX_TASK_NAME = "Fetch the public exchange rates"
FX_TASK = "apps.core.tasks.fx_rates_fetch_task"
DAILY_AT_0930_UTC = {
    "minute": "30",
    "hour": "9",
    "day_of_month": "*",
    "month_of_year": "*",
    "day_of_week": "*",
    "timezone": "UTC",
}

OWN_MANUAL_UNIQUE = """
CREATE UNIQUE INDEX fxrate_own_manual_unique ON core_fxrate (organization_id, date, base_id, quote_id)
 WHERE organization_id IS NOT NULL AND source = 'manual';
"""
OWN_MANUAL_UNIQUE_REVERSE = "DROP INDEX IF EXISTS fxrate_own_manual_unique;"


def _tell_beat(apps):
    # The scheduler reloads when this row changes; the model's signals do not run in migrations.
    apps.get_model("django_celery_beat", "PeriodicTasks").objects.update_or_create(
        ident=1, defaults={"last_update": timezone.now()}
    )


def create_periodic_tasks(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    # The same schedule may exist already (another app's task, or an earlier run): reuse it.
    crontab = CrontabSchedule.objects.filter(**DAILY_AT_0930_UTC).order_by("pk").first()
    if crontab is None:
        crontab = CrontabSchedule.objects.create(**DAILY_AT_0930_UTC)
    PeriodicTask.objects.update_or_create(
        name=FX_TASK_NAME,
        defaults={
            "task": FX_TASK,
            "crontab": crontab,
            "interval": None,
            "solar": None,
            "clocked": None,
            "args": "[]",
            "kwargs": "{}",
            "enabled": True,
            "one_off": False,
            "description": "Stores today's public exchange rates (the Central Bank of Russia's fixing, or the "
            "source in FX_RATES_SOURCE) for the currencies Kontora knows. Runs at 12:30 Moscow time; a rate "
            "already stored is not stored again; an unreachable source is retried for a few hours.",
        },
    )
    _tell_beat(apps)


def remove_periodic_tasks(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=FX_TASK_NAME).delete()
    CrontabSchedule.objects.filter(**DAILY_AT_0930_UTC, periodictask__isnull=True).delete()
    _tell_beat(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_fx_rates_and_amount_precision"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunSQL(OWN_MANUAL_UNIQUE, OWN_MANUAL_UNIQUE_REVERSE),
        migrations.RunPython(create_periodic_tasks, remove_periodic_tasks),
    ]
