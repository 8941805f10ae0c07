"""A posting that is its own database transaction is verified once, at its commit; the posting function checks the
balance at once only for a caller inside a larger transaction (``ledger_post_many.0004.sql``)."""

from django.db import migrations

from apps.core.mechanisms.sql import SqlFile


class Migration(migrations.Migration):
    dependencies = [("ledger", "0004_posting_balance_check_by_window")]

    operations = [
        # Going back, version 0003 creates the three-argument function again; this one must go first, or a call
        # with three arguments would find both.
        migrations.RunSQL(
            migrations.RunSQL.noop,
            reverse_sql="DROP FUNCTION IF EXISTS ledger_post_many(bigint, bigint, jsonb, boolean);",
        ),
        SqlFile("ledger", "ledger_post_many", 4),
    ]
