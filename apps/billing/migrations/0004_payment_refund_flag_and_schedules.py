"""Payments flagged for refund by the sweeper, and billing's periodic tasks (apps/billing/schedules.py)."""

from django.db import migrations, models

from apps.billing.schedules import TASKS
from apps.core.operations.beat import schedule_operation


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0003_plans"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.AddField(
            model_name="payment",
            name="refund_flag_reason",
            field=models.CharField(
                blank=True, default="", editable=False, max_length=250, verbose_name="why it should be refunded"
            ),
        ),
        migrations.AddField(
            model_name="payment",
            name="refund_flagged_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="flagged for refund"),
        ),
        schedule_operation(*TASKS),
    ]
