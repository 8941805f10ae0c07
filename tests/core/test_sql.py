"""Versioned SQL files: a migration applies a version, and going back applies the one before (or, for the
first, drops what it created); the newest file of each object is the definition in force."""

from __future__ import annotations

import pytest
from django.db import connection

from apps.core.mechanisms import sql
from apps.core.mechanisms.sql import SqlFile, current_sql, drop_sql

V1 = """-- A greeting.
CREATE OR REPLACE FUNCTION kontora_test_greeting(p_name text) RETURNS text LANGUAGE sql AS $$
  SELECT 'hello ' || p_name
$$;
"""
V2 = V1.replace("'hello '", "'hello, '")
GUARD = """CREATE OR REPLACE FUNCTION kontora_test_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS kontora_test_guard ON core_currency;
CREATE CONSTRAINT TRIGGER kontora_test_guard AFTER INSERT OR UPDATE OF precision
  ON core_currency DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION kontora_test_guard();
"""


@pytest.fixture
def sql_dir(tmp_path, monkeypatch):
    (tmp_path / "kontora_test_greeting.0001.sql").write_text(V1)
    (tmp_path / "kontora_test_greeting.0002.sql").write_text(V2)
    (tmp_path / "kontora_test_guard.0001.sql").write_text(GUARD)
    monkeypatch.setattr(sql, "sql_directory", lambda app_label: tmp_path)
    return tmp_path


def test_a_version_applies_its_file_and_reverses_to_the_version_before(sql_dir):
    operation = SqlFile("core", "kontora_test_greeting", 2)

    assert (operation.sql, operation.reverse_sql) == (V2, V1)
    assert operation.deconstruct() == ("apps.core.mechanisms.sql.SqlFile", ["core", "kontora_test_greeting", 2], {})


def test_the_first_version_reverses_by_dropping_what_it_creates(sql_dir):
    assert SqlFile("core", "kontora_test_greeting", 1).reverse_sql == (
        "DROP FUNCTION IF EXISTS kontora_test_greeting(p_name text);"
    )
    assert SqlFile("core", "kontora_test_guard", 1).reverse_sql == (
        "DROP TRIGGER IF EXISTS kontora_test_guard ON core_currency;\nDROP FUNCTION IF EXISTS kontora_test_guard();"
    )


def test_keys_files_reverse_by_dropping_their_constraints_foreign_keys_first():
    keys = """DO $$ BEGIN
  ALTER TABLE t ADD CONSTRAINT t_id_org UNIQUE (id, organization_id);
EXCEPTION WHEN duplicate_table OR duplicate_object THEN NULL;
END $$;
ALTER TABLE t DROP CONSTRAINT IF EXISTS t_parent_same_org;
ALTER TABLE t ADD CONSTRAINT t_parent_same_org
  FOREIGN KEY (parent_id, organization_id) REFERENCES t (id, organization_id);
"""
    assert drop_sql(keys) == (
        "ALTER TABLE t DROP CONSTRAINT IF EXISTS t_parent_same_org;\nALTER TABLE t DROP CONSTRAINT IF EXISTS t_id_org;"
    )


@pytest.mark.django_db
@pytest.mark.database_owner
def test_the_reverse_really_removes_the_function_and_its_trigger(sql_dir):
    operation = SqlFile("core", "kontora_test_guard", 1)
    with connection.cursor() as cursor:
        cursor.execute(operation.sql)
        cursor.execute(operation.sql)  # a file applies over itself
        cursor.execute(operation.reverse_sql)
        cursor.execute(
            "SELECT count(*) FROM pg_proc WHERE proname = 'kontora_test_guard'"
            " UNION ALL SELECT count(*) FROM pg_trigger WHERE tgname = 'kontora_test_guard'"
        )
        assert [row[0] for row in cursor.fetchall()] == [0, 0]


def test_current_sql_is_the_newest_file_of_each_object(sql_dir):
    assert [(d.object, d.version) for d in current_sql("core")] == [
        ("kontora_test_greeting", 2),
        ("kontora_test_guard", 1),
    ]


def test_a_missing_version_or_a_badly_named_file_is_refused(sql_dir):
    with pytest.raises(FileNotFoundError, match="kontora_test_greeting.0003.sql"):
        SqlFile("core", "kontora_test_greeting", 3)

    (sql_dir / "greeting-v3.sql").write_text(V2)
    with pytest.raises(ValueError, match="<object>.<NNNN>.sql"):
        current_sql("core")
