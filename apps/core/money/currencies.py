"""The currencies Kontora ships with, seeded by core's migration 0002 and put back by the tests after a flush.

``add_currencies`` works with a migration's historical models (or the app registry) and is idempotent.
"""

from __future__ import annotations

CURRENCIES = [
    # code, name, precision, crypto
    ("RUB", "Russian rouble", 2, False),
    ("USD", "US dollar", 2, False),
    ("EUR", "Euro", 2, False),
    ("USDT", "Tether USD (TRC-20)", 6, True),
    ("TRX", "Tron", 6, True),
    ("BTC", "Bitcoin", 8, True),
]


def add_currencies(apps, schema_editor) -> None:
    Currency = apps.get_model("core", "Currency")
    for code, name, precision, crypto in CURRENCIES:
        Currency.objects.update_or_create(
            code=code, defaults={"name": name, "precision": precision, "is_crypto": crypto}
        )
