"""The database holds exactly what the ledger's newest SQL files define (apps/ledger/sql/), nothing more.

Each test runs the files inside the test's transaction, which is rolled back: DDL in PostgreSQL is
transactional."""

from __future__ import annotations

import pytest
from django.db import connection

from apps.core.mechanisms.sql import current_sql
from tests.ledger.sql_catalog import ledger_code_names, ledger_definitions

# Dropping and re-creating functions and triggers is the owner's (the application's role may do neither).
pytestmark = [pytest.mark.django_db, pytest.mark.database_owner]


def _apply_newest_files() -> None:
    with connection.cursor() as cursor:
        for definition in current_sql("ledger"):
            cursor.execute(definition.sql)


def _differences(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))


def test_the_database_holds_the_newest_sql_files():
    before = ledger_definitions()

    _apply_newest_files()

    # Anything that changed was not what the newest file says: a function edited in the database, or a file
    # edited without a migration that applies it.
    assert _differences(before, ledger_definitions()) == []


def test_every_ledger_function_and_trigger_is_defined_by_a_file():
    before = ledger_code_names()
    with connection.cursor() as cursor:
        cursor.execute(r"""
            SELECT 1, format('DROP TRIGGER %I ON %s;', t.tgname, t.tgrelid::regclass)
              FROM pg_trigger t WHERE NOT t.tgisinternal AND t.tgname LIKE 'ledger\_%'
            UNION ALL
            SELECT 2, format('DROP FUNCTION %s;', p.oid::regprocedure)
              FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname = current_schema() AND p.proname LIKE 'ledger\_%'
             ORDER BY 1
        """)
        for _, drop in cursor.fetchall():  # the triggers first, then the functions they call
            cursor.execute(drop)
    assert ledger_code_names() == set()

    _apply_newest_files()

    assert sorted(before - ledger_code_names()) == [], "in the database, but in no file"
    assert sorted(ledger_code_names() - before) == [], "in a file, but not in the database"


def test_the_ledger_has_its_seventeen_functions_and_fifteen_triggers():
    names = ledger_code_names()

    assert len([name for name in names if name.startswith("function ")]) == 17
    assert len([name for name in names if name.startswith("trigger ")]) == 15
    assert "function ledger_post_many(bigint,bigint,jsonb,boolean)" in names
    assert "trigger ledger_transaction_balanced on ledger_transaction" in names
