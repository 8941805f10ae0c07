"""The database holds exactly what billing's newest SQL files define (apps/billing/sql/), nothing more.

Like tests/ledger/test_sql_definitions.py: each test runs the files inside the test's transaction, which is
rolled back (DDL in PostgreSQL is transactional)."""

from __future__ import annotations

import pytest
from django.db import connection

from apps.core.mechanisms.sql import current_sql

# Dropping and re-creating functions and triggers is the owner's (the application's role may do neither).
pytestmark = [pytest.mark.django_db, pytest.mark.database_owner]

DEFINITIONS = r"""
SELECT 'function ' || p.oid::regprocedure::text, pg_get_functiondef(p.oid)
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = current_schema() AND p.proname LIKE 'billing\_%'
UNION ALL
SELECT 'trigger ' || t.tgname || ' on ' || t.tgrelid::regclass::text, pg_get_triggerdef(t.oid)
  FROM pg_trigger t
 WHERE NOT t.tgisinternal AND t.tgname LIKE 'billing\_%'
"""


def _billing_code() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(DEFINITIONS)
        return dict(cursor.fetchall())


def _apply_newest_files() -> None:
    with connection.cursor() as cursor:
        for definition in current_sql("billing"):
            cursor.execute(definition.sql)


def test_the_database_holds_the_newest_billing_sql_files():
    before = _billing_code()

    _apply_newest_files()

    assert (
        sorted(name for name in before.keys() | _billing_code().keys() if before.get(name) != _billing_code().get(name))
        == []
    )


def test_every_billing_function_and_trigger_is_defined_by_a_file():
    before = set(_billing_code())
    with connection.cursor() as cursor:
        cursor.execute(r"""
            SELECT 1, format('DROP TRIGGER %I ON %s;', t.tgname, t.tgrelid::regclass)
              FROM pg_trigger t WHERE NOT t.tgisinternal AND t.tgname LIKE 'billing\_%'
            UNION ALL
            SELECT 2, format('DROP FUNCTION %s;', p.oid::regprocedure)
              FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname = current_schema() AND p.proname LIKE 'billing\_%'
             ORDER BY 1
        """)
        for _, drop in cursor.fetchall():  # the triggers first, then the functions they call
            cursor.execute(drop)
    assert _billing_code() == {}

    _apply_newest_files()

    assert sorted(before - set(_billing_code())) == [], "in the database, but in no file"
    assert sorted(set(_billing_code()) - before) == [], "in a file, but not in the database"


def test_usage_records_have_their_append_only_trigger():
    names = set(_billing_code())

    assert "function billing_usagerecord_append_only()" in names
    assert "trigger billing_usagerecord_append_only on billing_usagerecord" in names


def test_payments_and_refunds_have_their_guards():
    names = set(_billing_code())

    assert "function billing_payment_guard()" in names
    assert "trigger billing_payment_guard on billing_payment" in names
    assert "function billing_refund_guard()" in names
    assert "trigger billing_refund_guard on billing_refund" in names
