"""The application's database role cannot switch the tables' rules off, whatever SQL it is made to run: it is no
superuser, owns nothing, and may not TRUNCATE or add triggers. The schema's owner runs the migrations (and
``flush``) and grants it its rows. The tests themselves run as the application's role (tests/conftest.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from apps.core.operations.database_roles import (
    app_values,
    as_owner,
    owner_values,
    rules_can_be_switched_off,
    separate_roles,
)
from apps.ledger.models import Account, AccountType, TransactionEntry
from apps.ledger.services import Leg, transaction_post

pytestmark = pytest.mark.django_db


def refused(statement: str, params=None) -> str:
    """Run ``statement`` as the application does; return PostgreSQL's refusal (nothing is changed)."""
    with pytest.raises(DatabaseError) as error, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)
    return str(error.value)


@pytest.fixture
def posted(organization):
    def account(code, type_):
        return Account.objects.create(organization=organization, code=code, name=code, type=type_, currency_id="RUB").pk

    cash, sales = account("1010", AccountType.ASSET), account("4010", AccountType.INCOME)
    transaction_post(
        organization=organization,
        user=None,
        date=__import__("datetime").date(2026, 3, 1),
        idempotency_key="sale",
        entries=[Leg(cash, Decimal("10")), Leg(sales, Decimal("-10"))],
    )
    return TransactionEntry.objects.filter(organization=organization).order_by("pk").first()


def test_the_tests_and_the_product_run_as_a_role_that_can_switch_no_rule_off():
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == app_values()["USER"]
    assert separate_roles()
    assert rules_can_be_switched_off() == []


@pytest.mark.parametrize(
    ("attack", "statement"),
    [
        ("disable a trigger", "ALTER TABLE ledger_transactionentry DISABLE TRIGGER ledger_entry_immutable"),
        ("drop a trigger", "DROP TRIGGER ledger_entry_immutable ON ledger_transactionentry"),
        (
            "replace a trigger function",
            "CREATE OR REPLACE FUNCTION ledger_entries_apply() RETURNS trigger LANGUAGE plpgsql"
            " AS $$ BEGIN RETURN NULL; END $$",
        ),
        ("empty a table past its row triggers", "TRUNCATE ledger_transactionentry CASCADE"),
        ("skip every trigger of the session", "SET session_replication_role = replica"),
        ("make a table of its own", "CREATE TABLE ledger_shadow (id int)"),
        (
            "add a trigger of its own",
            "CREATE TRIGGER t BEFORE DELETE ON ledger_transactionentry"
            " FOR EACH ROW EXECUTE FUNCTION ledger_entries_apply()",
        ),
    ],
)
def test_the_application_role_cannot_switch_the_books_rules_off(posted, attack, statement):
    message = refused(statement)

    assert "must be owner" in message or "permission denied" in message, (attack, message)
    # The rule it tried to switch off still holds: a posted leg cannot be changed.
    assert "post a reversal instead" in refused(
        "UPDATE ledger_transactionentry SET amount = 1000 WHERE id = %s", [posted.pk]
    )
    posted.refresh_from_db()
    assert posted.amount == Decimal("10")


@pytest.mark.django_db(transaction=True)
def test_migrate_and_flush_run_as_the_owner_and_leave_the_application_its_rows(organization):
    call_command("migrate", verbosity=0)  # nothing to apply: it still grants

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == app_values()["USER"]  # back to the application's role
        cursor.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')"
            " AND NOT has_table_privilege(c.oid, 'SELECT, INSERT, UPDATE, DELETE')"
        )
        assert cursor.fetchone()[0] == 0
    with as_owner(), connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == owner_values()["USER"]
        assert "owns" in rules_can_be_switched_off()[0]  # which is why the product never runs as it
