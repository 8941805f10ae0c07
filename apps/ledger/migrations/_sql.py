"""Helpers for the ledger's SQL migrations (a module starting with ``_`` is not a migration to Django).

A migration that replaces a database function reverses to the body an earlier migration created, read from
that migration's SQL rather than copied into the reverse."""

from __future__ import annotations

import re
from importlib import import_module


def earlier_function(migration: str, attribute: str, name: str) -> str:
    """The ``CREATE [OR REPLACE] FUNCTION name(…) … END $$;`` statement in ``attribute`` of an earlier ledger
    migration (``"0002_integrity"``), as ``CREATE OR REPLACE``."""
    source = getattr(import_module(f"apps.ledger.migrations.{migration}"), attribute)
    match = re.search(rf"CREATE (?:OR REPLACE )?FUNCTION {name}\(.*?END \$\$;", source, re.S)
    if match is None:
        raise LookupError(f"no function {name} in {migration}.{attribute}")
    return match.group(0).replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION")
