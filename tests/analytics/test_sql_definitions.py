"""The database holds exactly what the newest SQL files of traffic analytics define (apps/analytics/sql/):
every ``analytics_*`` function and trigger comes from a file, and applying the files changes nothing.

The files run inside the test's transaction, which is rolled back: DDL in PostgreSQL is transactional."""

from __future__ import annotations

import pytest
from django.db import connection

from apps.core.mechanisms.sql import current_sql

# Dropping and re-creating functions and triggers is the owner's (the application's role may do neither).
pytestmark = [pytest.mark.django_db, pytest.mark.database_owner]

DEFINITIONS = r"""
SELECT 'function ' || p.oid::regprocedure::text, pg_get_functiondef(p.oid)
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = current_schema() AND p.proname LIKE 'analytics\_%'
UNION ALL
SELECT 'trigger ' || t.tgname || ' on ' || t.tgrelid::regclass::text, pg_get_triggerdef(t.oid)
  FROM pg_trigger t
 WHERE NOT t.tgisinternal AND t.tgname LIKE 'analytics\_%'
"""


def definitions() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(DEFINITIONS)
        return dict(cursor.fetchall())


def test_the_database_holds_the_newest_sql_files_and_nothing_else():
    before = definitions()

    with connection.cursor() as cursor:
        for name in before:
            kind, rest = name.split(" ", 1)
            if kind == "trigger":
                trigger, table = rest.split(" on ")
                cursor.execute(f"DROP TRIGGER {trigger} ON {table}")
        for name in before:
            kind, rest = name.split(" ", 1)
            if kind == "function":
                cursor.execute(f"DROP FUNCTION {rest}")
        assert definitions() == {}
        for definition in current_sql("analytics"):
            cursor.execute(definition.sql)

    assert definitions() == before
    assert sorted(before) == [
        "function analytics_events_sum(jsonb[])",
        "function analytics_fact_referenced_guard()",
        "function analytics_fact_references_check()",
        "trigger analytics_campaign_facts_guard on analytics_campaign",
        "trigger analytics_fact_references_insert on analytics_metricfact",
        "trigger analytics_fact_references_update on analytics_metricfact",
        "trigger analytics_importjob_facts_guard on analytics_importjob",
    ]
