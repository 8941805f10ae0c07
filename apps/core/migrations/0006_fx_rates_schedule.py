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

from apps.core.operations.beat import schedule_operation
from apps.core.operations.schedules import FX_FETCH

OWN_MANUAL_UNIQUE = """
CREATE UNIQUE INDEX fxrate_own_manual_unique ON core_fxrate (organization_id, date, base_id, quote_id)
 WHERE organization_id IS NOT NULL AND source = 'manual';
"""
OWN_MANUAL_UNIQUE_REVERSE = "DROP INDEX IF EXISTS fxrate_own_manual_unique;"


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_fx_rates_and_amount_precision"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunSQL(OWN_MANUAL_UNIQUE, OWN_MANUAL_UNIQUE_REVERSE),
        schedule_operation(FX_FETCH),
    ]
