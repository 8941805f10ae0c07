from django.contrib.postgres.operations import BtreeGistExtension, CreateExtension, TrigramExtension
from django.db import migrations

from apps.core.money.currencies import add_currencies


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [
        # pgvector for the agents' embeddings, trigram search, and GiST over btree types for exclusion constraints.
        CreateExtension("vector"),
        TrigramExtension(),
        BtreeGistExtension(),
        migrations.RunPython(add_currencies, migrations.RunPython.noop),
    ]
