"""The ledger's periodic tasks (invoices turning overdue, recurring payments), in the database so that they
show (and can be changed) in the admin.

Both run often rather than once a day because organizations live in different time zones: an invoice
becomes overdue, and a recurring payment falls due, at the organization's local midnight, not UTC's.

Idempotent: running it on a database that already has the schedules or the tasks updates them in place.
Reversible: going back removes the tasks, and each schedule if no other task uses it.
"""

from django.db import migrations

from apps.core.beat import PeriodicTaskSpec, schedule_operation

OVERDUE_TASK_NAME = "Mark overdue invoices"
RECURRING_TASK_NAME = "Post due recurring payments"
TASKS = (
    PeriodicTaskSpec(
        name=OVERDUE_TASK_NAME,
        task="apps.ledger.tasks.invoices.invoices_mark_overdue_task",
        minute="5",
        description="Marks issued and partly paid invoices whose due date has passed (in the organization's time "
        "zone) as overdue. One set-based update; running it twice changes nothing more.",
    ),
    PeriodicTaskSpec(
        name=RECURRING_TASK_NAME,
        task="apps.ledger.tasks.recurring.recurring_payments_post_due_task",
        minute="*/15",
        description="Posts every due occurrence of the recurring payments, each exactly once (idempotency key "
        "recurring:<id>:<date>), catching up after downtime in date order; safe with several workers.",
    ),
)


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0003_invoices_and_recurring_payments"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        schedule_operation(*TASKS),
    ]
