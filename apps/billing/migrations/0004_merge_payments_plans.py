"""Joins billing's two slices, built side by side on 0001_initial: payments (0002) and plans (0003). No
operations: each slice's tables stand alone."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0002_payments"),
        ("billing", "0003_plans"),
    ]

    operations: list = []
