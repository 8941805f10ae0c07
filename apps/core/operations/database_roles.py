"""The two database roles: the schema's owner, which runs the migrations, and the application's, which reads and
writes rows and nothing more.

Every rule the books (and billing, and analytics) keep in PostgreSQL — triggers, checks, guard functions — holds
only against a role that cannot switch it off: a superuser can set ``session_replication_role`` and skip every
trigger, and a table's owner can ``ALTER TABLE … DISABLE TRIGGER``, replace a trigger function or ``TRUNCATE``
past the row triggers. So the application runs as a role that owns nothing (``DATABASE_URL``); ``manage.py
migrate`` switches to the owner (``DATABASE_OWNER_URL``; the embedded server has both) and, after migrating,
grants the application's role its rows on every table (``settings.DATABASE_APP_TABLE_PRIVILEGES``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connections

_KEYS = ("USER", "PASSWORD", "HOST", "PORT")
_app_values: dict[str, dict] = {}


def _settings_of(alias: str) -> dict:
    return connections.settings[alias]


def _values(alias: str) -> dict:
    return {key: _settings_of(alias).get(key) for key in _KEYS}


def _use(alias: str, values: dict) -> None:
    connection = connections[alias]
    if connection.in_atomic_block:
        raise RuntimeError("the database role cannot change inside a transaction")
    connection.close()
    _settings_of(alias).update(values)


def app_values(alias: str = "default") -> dict:
    """The application role's connection values, as configured (remembered before any switch)."""
    return _app_values.setdefault(alias, _values(alias))


def owner_values(alias: str = "default") -> dict:
    """The owner's connection values: the application's with what ``DATABASE_OWNER`` changes."""
    return {**app_values(alias), **(settings.DATABASE_OWNER or {})}


def separate_roles(alias: str = "default") -> bool:
    return owner_values(alias)["USER"] != app_values(alias)["USER"]


@contextmanager
def _acting(alias: str, values: dict) -> Iterator[None]:
    app_values(alias)  # remembered before the first switch
    previous = _values(alias)
    _use(alias, values)
    try:
        yield
    finally:
        _use(alias, previous)


def as_owner(alias: str = "default"):
    """Connect as the schema's owner until the block ends, then as before (nesting is safe). The connection is
    closed on the way in and out, so this cannot be used inside a transaction."""
    return _acting(alias, owner_values(alias))


def as_application(alias: str = "default"):
    """Connect as the application's role until the block ends, then as before."""
    return _acting(alias, app_values(alias))


def application_role_grant(alias: str = "default") -> None:
    """Grant the application's role its rows on every table and sequence of the schema (run as the owner,
    after migrating). Nothing when one role does both."""
    if not separate_roles(alias):
        return
    from psycopg import sql

    role = sql.Identifier(app_values(alias)["USER"])
    privileges = sql.SQL(", ").join(sql.SQL(p) for p in settings.DATABASE_APP_TABLE_PRIVILEGES)
    connection = connections[alias]
    with connection.cursor() as cursor:
        for statement in (
            sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(role),
            sql.SQL("GRANT {} ON ALL TABLES IN SCHEMA public TO {}").format(privileges, role),
            sql.SQL("GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {}").format(role),
        ):
            cursor.execute(statement.as_string(connection.connection))


def rules_can_be_switched_off(alias: str = "default") -> list[str]:
    """What the connected role could use to switch the tables' rules off: being a superuser, owning tables of
    the schema, or holding TRUNCATE or TRIGGER on them. Empty when it can do none of it."""
    with connections[alias].cursor() as cursor:
        cursor.execute(
            """
            WITH tables AS (
                SELECT c.oid, c.relowner FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
            )
            SELECT r.rolsuper,
                   (SELECT count(*) FROM tables t WHERE pg_has_role(t.relowner, 'USAGE')),
                   (SELECT count(*) FROM tables t WHERE has_table_privilege(t.oid, 'TRUNCATE, TRIGGER'))
              FROM pg_roles r WHERE r.rolname = current_user
            """
        )
        superuser, owned, truncate_or_trigger = cursor.fetchone()
    found = []
    if superuser:
        found.append("superuser")
    if owned:
        found.append(f"owns {owned} tables")
    if truncate_or_trigger and not superuser and not owned:
        found.append(f"may TRUNCATE or add triggers to {truncate_or_trigger} tables")
    return found


def database_roles_check(app_configs=None, **kwargs):
    """``manage.py check --deploy``: an error when the application's role could switch the tables' rules off."""
    from django.core.checks import Error
    from django.db import DatabaseError

    try:
        found = rules_can_be_switched_off()
    except DatabaseError as error:
        return [Error(f"The database could not be asked about the application's role: {error}", id="kontora.E101")]
    if not found:
        return []
    return [
        Error(
            "The application's database role ({user}) could switch the tables' rules off: it {found}.".format(
                user=app_values()["USER"], found=", ".join(found)
            ),
            hint="Run the application as a role that owns nothing (DATABASE_URL) and migrate as the owner "
            "(DATABASE_OWNER_URL); see the README, 'Database roles'.",
            id="kontora.E100",
        )
    ]
