"""Periodic tasks that ship with Kontora are created by migrations, so they show (and can be changed) in the
admin: a migration lists its tasks as :class:`PeriodicTaskSpec` and adds ``schedule_operation(*specs)``.

Installing is idempotent (a task or schedule already there is updated in place) and reversible (going back
removes the tasks, and each schedule no other task uses). Works with the migration's historical models only.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from django.db import migrations
from django.utils import timezone


@dataclass(frozen=True)
class PeriodicTaskSpec:
    name: str
    task: str
    description: str
    minute: str = "0"
    hour: str = "*"
    day_of_month: str = "*"
    month_of_year: str = "*"
    day_of_week: str = "*"
    timezone: str = "UTC"

    @property
    def crontab(self) -> dict:
        return {
            "minute": self.minute,
            "hour": self.hour,
            "day_of_month": self.day_of_month,
            "month_of_year": self.month_of_year,
            "day_of_week": self.day_of_week,
            "timezone": self.timezone,
        }


def _tell_beat(apps) -> None:
    # The scheduler reloads when this row changes; the model's signals do not run in migrations.
    apps.get_model("django_celery_beat", "PeriodicTasks").objects.update_or_create(
        ident=1, defaults={"last_update": timezone.now()}
    )


def install(apps, schema_editor, specs: tuple[PeriodicTaskSpec, ...]) -> None:
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for spec in specs:
        # The same schedule may exist already (another task's, or an earlier run's): reuse it.
        crontab = CrontabSchedule.objects.filter(**spec.crontab).order_by("pk").first()
        if crontab is None:
            crontab = CrontabSchedule.objects.create(**spec.crontab)
        PeriodicTask.objects.update_or_create(
            name=spec.name,
            defaults={
                "task": spec.task,
                "crontab": crontab,
                "interval": None,
                "solar": None,
                "clocked": None,
                "args": "[]",
                "kwargs": "{}",
                "enabled": True,
                "one_off": False,
                "description": spec.description,
            },
        )
    _tell_beat(apps)


def uninstall(apps, schema_editor, specs: tuple[PeriodicTaskSpec, ...]) -> None:
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for spec in specs:
        PeriodicTask.objects.filter(name=spec.name).delete()
        CrontabSchedule.objects.filter(**spec.crontab, periodictask__isnull=True).delete()
    _tell_beat(apps)


def schedule_operation(*specs: PeriodicTaskSpec) -> migrations.RunPython:
    return migrations.RunPython(partial(install, specs=specs), partial(uninstall, specs=specs))
