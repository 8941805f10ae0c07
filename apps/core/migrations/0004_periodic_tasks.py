"""Core's periodic tasks, in the database so that they show (and can be changed) in the admin.

Idempotent: running it on a database that already has the schedule or the task updates them in place.
Reversible: going back removes the task, and the schedule if no other task uses it.
"""

from django.db import migrations

from apps.core.operations.beat import schedule_operation
from apps.core.operations.schedules import PURGE


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_api_keys_and_refresh_tokens"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        schedule_operation(PURGE),
    ]
