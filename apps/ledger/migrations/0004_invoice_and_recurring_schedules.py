"""The ledger's periodic tasks (invoices turning overdue, recurring payments), in the database so that they
show (and can be changed) in the admin.

Both run often rather than once a day because organizations live in different time zones: an invoice
becomes overdue, and a recurring payment falls due, at the organization's local midnight, not UTC's.

Idempotent: running it on a database that already has the schedules or the tasks updates them in place.
Reversible: going back removes the tasks, and each schedule if no other task uses it.
"""

from django.db import migrations
from django.utils import timezone

OVERDUE_TASK_NAME = "Mark overdue invoices"
OVERDUE_TASK = "apps.ledger.tasks.invoices.invoices_mark_overdue_task"
HOURLY_AT_05 = {
    "minute": "5",
    "hour": "*",
    "day_of_month": "*",
    "month_of_year": "*",
    "day_of_week": "*",
    "timezone": "UTC",
}

RECURRING_TASK_NAME = "Post due recurring payments"
RECURRING_TASK = "apps.ledger.tasks.recurring.recurring_payments_post_due_task"
EVERY_15_MINUTES = {
    "minute": "*/15",
    "hour": "*",
    "day_of_month": "*",
    "month_of_year": "*",
    "day_of_week": "*",
    "timezone": "UTC",
}

TASKS = [
    (
        OVERDUE_TASK_NAME,
        OVERDUE_TASK,
        HOURLY_AT_05,
        "Marks issued and partly paid invoices whose due date has passed (in the organization's time zone) "
        "as overdue. One set-based update; running it twice changes nothing more.",
    ),
    (
        RECURRING_TASK_NAME,
        RECURRING_TASK,
        EVERY_15_MINUTES,
        "Posts every due occurrence of the recurring payments, each exactly once (idempotency key "
        "recurring:<id>:<date>), catching up after downtime in date order; safe with several workers.",
    ),
]


def _tell_beat(apps):
    # The scheduler reloads when this row changes; the model's signals do not run in migrations.
    apps.get_model("django_celery_beat", "PeriodicTasks").objects.update_or_create(
        ident=1, defaults={"last_update": timezone.now()}
    )


def create_periodic_tasks(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, schedule, description in TASKS:
        # The same schedule may exist already (another app's task, or an earlier run): reuse it.
        crontab = CrontabSchedule.objects.filter(**schedule).order_by("pk").first()
        if crontab is None:
            crontab = CrontabSchedule.objects.create(**schedule)
        PeriodicTask.objects.update_or_create(
            name=name,
            defaults={
                "task": task,
                "crontab": crontab,
                "interval": None,
                "solar": None,
                "clocked": None,
                "args": "[]",
                "kwargs": "{}",
                "enabled": True,
                "one_off": False,
                "description": description,
            },
        )
    _tell_beat(apps)


def remove_periodic_tasks(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, _task, schedule, _description in TASKS:
        PeriodicTask.objects.filter(name=name).delete()
        CrontabSchedule.objects.filter(**schedule, periodictask__isnull=True).delete()
    _tell_beat(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0003_invoices_and_recurring_payments"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(create_periodic_tasks, remove_periodic_tasks),
    ]
