from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from apps.ledger.services import Leg, transaction_post

pytestmark = pytest.mark.django_db(transaction=True)


def test_verify_passes_on_consistent_books(books):
    transaction_post(
        organization=books.organization,
        user=None,
        date=date(2026, 2, 1),
        idempotency_key="a",
        entries=[Leg(books.cash.pk, Decimal("10")), Leg(books.sales.pk, Decimal("-10"))],
    )
    out = StringIO()

    call_command("ledger_verify", "--org", books.organization.slug, stdout=out)

    assert "The books agree" in out.getvalue()


@pytest.mark.database_owner
def test_verify_reports_a_tampered_balance_and_fails(books):
    transaction_post(
        organization=books.organization,
        user=None,
        date=date(2026, 2, 1),
        idempotency_key="a",
        entries=[Leg(books.cash.pk, Decimal("10")), Leg(books.sales.pk, Decimal("-10"))],
    )
    with transaction.atomic(), connection.cursor() as cursor:  # what only the tables' owner could do
        cursor.execute("ALTER TABLE ledger_accountbalance DISABLE TRIGGER ledger_balance_guard")
        cursor.execute("UPDATE ledger_accountbalance SET balance = 999 WHERE account_id = %s", [books.cash.pk])
        cursor.execute("ALTER TABLE ledger_accountbalance ENABLE TRIGGER ledger_balance_guard")
    err = StringIO()

    with pytest.raises(CommandError, match="1 discrepancy found"):
        call_command("ledger_verify", stderr=err)

    assert "account 1010 Cash (RUB): expected 10.00000000, found 999.00000000" in err.getvalue()


def test_verify_refuses_an_unknown_organization():
    with pytest.raises(CommandError, match="No organization"):
        call_command("ledger_verify", "--org", "nope")
