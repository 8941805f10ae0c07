"""The sweeper finds succeeded payments whose fee is still to be asked for by a small partial index."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0005_payment_reference_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="payment",
            index=models.Index(
                fields=["succeeded_at"],
                condition=models.Q(("fee__isnull", True), ("status", "succeeded")),
                name="billing_payment_fee_unknown",
            ),
        ),
    ]
