"""A parent account (one with sub-accounts) takes no postings: the posting function finds no account for a leg
on one (refused like a closed account) and the diagnosis names the leg (``ledger_leg_account_parent``)."""

from django.db import migrations

from apps.core.mechanisms.sql import SqlFile


class Migration(migrations.Migration):
    dependencies = [("ledger", "0002_unique_names")]

    operations = [
        SqlFile("ledger", "ledger_post_many", 2),
        SqlFile("ledger", "ledger_post_diagnose", 2),
    ]
