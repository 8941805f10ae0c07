"""What the database holds of the ledger's code: every ``ledger_*`` function, trigger and table constraint, by
name, with PostgreSQL's own rendering of its definition."""

from __future__ import annotations

from django.db import connection

DEFINITIONS = r"""
SELECT 'function ' || p.oid::regprocedure::text, pg_get_functiondef(p.oid)
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = current_schema() AND p.proname LIKE 'ledger\_%'
UNION ALL
SELECT 'trigger ' || t.tgname || ' on ' || t.tgrelid::regclass::text, pg_get_triggerdef(t.oid)
  FROM pg_trigger t
 WHERE NOT t.tgisinternal AND t.tgname LIKE 'ledger\_%'
UNION ALL
SELECT 'constraint ' || c.conname || ' on ' || c.conrelid::regclass::text, pg_get_constraintdef(c.oid)
  FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid JOIN pg_namespace n ON n.oid = r.relnamespace
 WHERE n.nspname = current_schema() AND r.relname LIKE 'ledger\_%'
"""


def ledger_definitions() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(DEFINITIONS)
        return dict(cursor.fetchall())


def ledger_code_names() -> set[str]:
    """The ledger's functions and triggers (its constraints aside)."""
    return {name for name in ledger_definitions() if not name.startswith("constraint ")}
