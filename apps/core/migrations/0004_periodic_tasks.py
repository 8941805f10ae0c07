"""Core's periodic tasks, in the database so that they show (and can be changed) in the admin.

Idempotent: running it on a database that already has the schedule or the task updates them in place.
Reversible: going back removes the task, and the schedule if no other task uses it.
"""

from django.db import migrations
from django.utils import timezone

PURGE_TASK_NAME = "Purge expired API refresh tokens"
PURGE_TASK = "apps.core.tasks.refresh_tokens_purge_task"
DAILY_AT_0315_UTC = {
    "minute": "15",
    "hour": "3",
    "day_of_month": "*",
    "month_of_year": "*",
    "day_of_week": "*",
    "timezone": "UTC",
}


def _tell_beat(apps):
    # The scheduler reloads when this row changes; the model's signals do not run in migrations.
    apps.get_model("django_celery_beat", "PeriodicTasks").objects.update_or_create(
        ident=1, defaults={"last_update": timezone.now()}
    )


def create_periodic_tasks(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    # The same schedule may exist already (another app's task, or an earlier run): reuse it.
    crontab = CrontabSchedule.objects.filter(**DAILY_AT_0315_UTC).order_by("pk").first()
    if crontab is None:
        crontab = CrontabSchedule.objects.create(**DAILY_AT_0315_UTC)
    PeriodicTask.objects.update_or_create(
        name=PURGE_TASK_NAME,
        defaults={
            "task": PURGE_TASK,
            "crontab": crontab,
            "interval": None,
            "solar": None,
            "clocked": None,
            "args": "[]",
            "kwargs": "{}",
            "enabled": True,
            "one_off": False,
            "description": "Deletes API refresh tokens that expired more than a day ago (whole login families "
            "only, so that reuse of a stolen token is still detected while its family lives).",
        },
    )
    _tell_beat(apps)


def remove_periodic_tasks(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=PURGE_TASK_NAME).delete()
    CrontabSchedule.objects.filter(**DAILY_AT_0315_UTC, periodictask__isnull=True).delete()
    _tell_beat(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_api_keys_and_refresh_tokens"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(create_periodic_tasks, remove_periodic_tasks),
    ]
