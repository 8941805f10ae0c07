"""A posting's early balance check sums its legs with a window instead of a hashed GROUP BY (a seventh of a
posting's cost in PostgreSQL, see ``ledger_post_many.0003.sql``)."""

from django.db import migrations

from apps.core.mechanisms.sql import SqlFile


class Migration(migrations.Migration):
    dependencies = [("ledger", "0003_no_postings_on_parent_accounts")]

    operations = [SqlFile("ledger", "ledger_post_many", 3)]
