"""Database code (functions, triggers, SQL-only constraints) kept as versioned SQL files, one per object.

An app keeps its database code in ``<app>/sql/<object>.<NNNN>.sql``: one file per object (a function with the
triggers that call it, or a table's SQL constraints) and version; the highest version is the one in force,
and ``diff`` of two versions shows a change. Each file is a complete definition that can be applied over any
earlier version of the object (``CREATE OR REPLACE FUNCTION``; ``DROP TRIGGER IF EXISTS`` then ``CREATE
TRIGGER``). A migration applies a version with :class:`SqlFile`; going back applies the version before, or,
for version 1, drops what the file creates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.db import migrations

_FILE_NAME = re.compile(r"^(?P<object>\w+)\.(?P<version>\d{4})\.sql$")
# What a file creates, for version 1's reverse. Functions' argument lists hold no parentheses here (only
# names and types), and DROP FUNCTION accepts the argument names.
_FUNCTION = re.compile(r"^CREATE OR REPLACE FUNCTION (\w+)\s*\(([^)]*)\)", re.M)
_TRIGGER = re.compile(r"^CREATE (?:CONSTRAINT )?TRIGGER (\w+)\b.*?\bON (\w+)", re.M | re.S)
_CONSTRAINT = re.compile(r"^\s*ALTER TABLE (\w+) ADD CONSTRAINT (\w+)", re.M)


@dataclass(frozen=True)
class SqlDefinition:
    app_label: str
    object: str
    version: int
    path: Path

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def name(self) -> str:
        return self.path.name


def sql_directory(app_label: str) -> Path:
    return Path(apps.get_app_config(app_label).path) / "sql"


def sql_definitions(app_label: str) -> list[SqlDefinition]:
    """Every SQL file of the app, by object and version."""
    found = []
    for path in sorted(sql_directory(app_label).glob("*.sql")):
        match = _FILE_NAME.match(path.name)
        if match is None:
            raise ValueError(f"{path}: SQL files are named <object>.<NNNN>.sql")
        found.append(SqlDefinition(app_label, match["object"], int(match["version"]), path))
    return sorted(found, key=lambda d: (d.object, d.version))


def sql_definition(app_label: str, object: str, version: int) -> SqlDefinition:
    path = sql_directory(app_label) / f"{object}.{version:04d}.sql"
    if not path.is_file():
        raise FileNotFoundError(f"no SQL file {path}")
    return SqlDefinition(app_label, object, version, path)


def current_sql(app_label: str) -> list[SqlDefinition]:
    """The newest file of each of the app's objects: the definitions the database must hold."""
    newest: dict[str, SqlDefinition] = {}
    for definition in sql_definitions(app_label):
        newest[definition.object] = definition  # sorted by version: the last one wins
    return list(newest.values())


def drop_sql(sql: str) -> str:
    """Statements that remove what a file creates (its functions, triggers and constraints), last created first:
    a trigger before its function, a foreign key before the unique key it references."""
    created = [(m.start(), f"DROP FUNCTION IF EXISTS {m[1]}({m[2].strip()});") for m in _FUNCTION.finditer(sql)]
    created += [(m.start(), f"DROP TRIGGER IF EXISTS {m[1]} ON {m[2]};") for m in _TRIGGER.finditer(sql)]
    created += [(m.start(), f"ALTER TABLE {m[1]} DROP CONSTRAINT IF EXISTS {m[2]};") for m in _CONSTRAINT.finditer(sql)]
    if not created:
        raise ValueError("the file creates no function, trigger or constraint that could be dropped")
    return "\n".join(statement for _, statement in sorted(created, reverse=True))


class SqlFile(migrations.RunSQL):
    """Apply version ``version`` of an object's SQL file; reversed, apply the version before (or, for version 1,
    drop what the file creates).

    ``SqlFile("ledger", "ledger_post_many", 2)`` reads ``apps/ledger/sql/ledger_post_many.0002.sql``.
    """

    def __init__(self, app_label: str, object: str, version: int):
        self.app_label_of_file = app_label
        self.object = object
        self.version = version
        forward = sql_definition(app_label, object, version).sql
        if version > 1:
            reverse = sql_definition(app_label, object, version - 1).sql
        else:
            reverse = drop_sql(forward)
        super().__init__(forward, reverse)

    def deconstruct(self):
        return (f"{__name__}.{self.__class__.__name__}", [self.app_label_of_file, self.object, self.version], {})

    def describe(self):
        return f"SQL file {self.app_label_of_file}/sql/{self.object}.{self.version:04d}.sql"

    @property
    def migration_name_fragment(self):
        return f"{self.object}_{self.version:04d}"
