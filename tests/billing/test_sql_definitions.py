"""The database holds exactly what billing's newest SQL files define (apps/billing/sql/), nothing more."""

from __future__ import annotations

import pytest
from django.db import connection

from apps.core.mechanisms.sql import current_sql
from tests.billing.sql_catalog import billing_definitions

pytestmark = pytest.mark.django_db


def _apply_newest_files() -> None:
    with connection.cursor() as cursor:
        for definition in current_sql("billing"):
            cursor.execute(definition.sql)


def test_the_database_holds_the_newest_billing_sql_files():
    before = billing_definitions()

    _apply_newest_files()

    assert {name for name in before if before[name] != billing_definitions().get(name)} == set()
    assert billing_definitions().keys() == before.keys()


def test_every_billing_function_and_trigger_is_defined_by_a_file():
    before = set(billing_definitions())
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
        for _, drop in cursor.fetchall():
            cursor.execute(drop)
    assert billing_definitions() == {}

    _apply_newest_files()

    assert set(billing_definitions()) == before
    assert before == {
        "function billing_payment_guard()",
        "function billing_refund_guard()",
        "trigger billing_payment_guard on billing_payment",
        "trigger billing_refund_guard on billing_refund",
    }
