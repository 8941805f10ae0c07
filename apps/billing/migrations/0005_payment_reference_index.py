"""Events that name a payment by the provider's other id (Stripe's PaymentIntent) find it by key."""

import django.db.models.fields.json
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0004_payment_refund_flag_and_schedules"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="payment",
            index=models.Index(
                models.F("gateway"),
                django.db.models.fields.json.KeyTransform("provider_reference", "metadata"),
                name="billing_payment_reference",
            ),
        ),
    ]
