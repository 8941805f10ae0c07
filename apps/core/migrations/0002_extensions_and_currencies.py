from django.contrib.postgres.operations import BtreeGistExtension, CreateExtension, TrigramExtension
from django.db import migrations

CURRENCIES = [
    # code, name, precision, crypto
    ("RUB", "Russian rouble", 2, False),
    ("USD", "US dollar", 2, False),
    ("EUR", "Euro", 2, False),
    ("USDT", "Tether USD (TRC-20)", 6, True),
    ("TRX", "Tron", 6, True),
    ("BTC", "Bitcoin", 8, True),
]


def add_currencies(apps, schema_editor):
    Currency = apps.get_model("core", "Currency")
    for code, name, precision, crypto in CURRENCIES:
        Currency.objects.update_or_create(
            code=code, defaults={"name": name, "precision": precision, "is_crypto": crypto}
        )


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [
        # pgvector for the agents' embeddings, trigram search, and GiST over btree types for exclusion constraints.
        CreateExtension("vector"),
        TrigramExtension(),
        BtreeGistExtension(),
        migrations.RunPython(add_currencies, migrations.RunPython.noop),
    ]
