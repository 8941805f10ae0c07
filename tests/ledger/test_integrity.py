"""The ledger's rules hold in PostgreSQL itself: raw SQL cannot break them."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from apps.ledger.models import AccountBalance, Transaction, TransactionEntry
from apps.ledger.services import Leg, transaction_post

pytestmark = pytest.mark.django_db(transaction=True)

DAY = date(2026, 3, 10)


def post(books, *legs, key="k1", when=DAY):
    return transaction_post(
        organization=books.organization, user=None, date=when, entries=list(legs), idempotency_key=key
    )


def sql(statement, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_a_balanced_posting_moves_both_balances(books):
    post(books, Leg(books.cash.pk, Decimal("150.00")), Leg(books.sales.pk, Decimal("-150.00")))

    assert AccountBalance.objects.get(account=books.cash).balance == Decimal("150.00")
    assert AccountBalance.objects.get(account=books.sales).balance == Decimal("-150.00")


def test_raw_sql_cannot_commit_an_unbalanced_transaction(books):
    with pytest.raises(IntegrityError, match="does not balance in RUB"):
        sql(
            """WITH t AS (INSERT INTO ledger_transaction (organization_id, date, kind, description, leg_count,
                          idempotency_key, created_at) VALUES (%s, %s, 'complex', '', 2, 'raw', now()) RETURNING id)
               INSERT INTO ledger_transactionentry (transaction_id, organization_id, date, account_id, currency_id,
                          amount, memo)
               SELECT t.id, %s, %s, a, 'RUB', m, '' FROM t, (VALUES (%s, 100.00), (%s, -99.99)) v(a, m)""",
            [books.organization.pk, DAY, books.organization.pk, DAY, books.cash.pk, books.sales.pk],
        )
    assert not Transaction.objects.exists()
    assert AccountBalance.objects.get(account=books.cash).balance == 0


def test_no_session_setting_switches_the_balancing_rule_off(books):
    """The commit-time check reads no state a session can set: naming the transaction as "already verified"
    in the setting that earlier versions of the check trusted changes nothing."""

    def write_unbalanced_and_claim_it_verified():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                """INSERT INTO ledger_transaction (organization_id, date, kind, description, leg_count,
                          idempotency_key, created_at) VALUES (%s, %s, 'complex', '', 2, 'raw', now()) RETURNING id""",
                [books.organization.pk, DAY],
            )
            [transaction_id] = cursor.fetchone()
            cursor.execute(
                """INSERT INTO ledger_transactionentry (transaction_id, organization_id, date, account_id,
                          currency_id, amount, memo) VALUES (%s, %s, %s, %s, 'RUB', 100.00, ''),
                          (%s, %s, %s, %s, 'RUB', -1.00, '')""",
                [transaction_id, books.organization.pk, DAY, books.cash.pk]
                + [transaction_id, books.organization.pk, DAY, books.sales.pk],
            )
            cursor.execute("SELECT set_config('ledger.verified_transaction', %s, true)", [str(transaction_id)])
            cursor.execute("SET LOCAL ledger.verified = on")

    with pytest.raises(IntegrityError, match="does not balance in RUB"):
        write_unbalanced_and_claim_it_verified()

    assert not Transaction.objects.exists()
    assert AccountBalance.objects.get(account=books.cash).balance == 0


def test_raw_sql_cannot_commit_a_one_legged_transaction(books):
    with pytest.raises(IntegrityError, match="has 1 legs but declares 2"):
        sql(
            """WITH t AS (INSERT INTO ledger_transaction (organization_id, date, kind, description, leg_count,
                          idempotency_key, created_at) VALUES (%s, %s, 'complex', '', 2, 'one', now()) RETURNING id)
               INSERT INTO ledger_transactionentry (transaction_id, organization_id, date, account_id, currency_id,
                          amount, memo) SELECT t.id, %s, %s, %s, 'RUB', 0.01, '' FROM t""",
            [books.organization.pk, DAY, books.organization.pk, DAY, books.cash.pk],
        )


def test_a_balanced_pair_cannot_be_slipped_into_a_posted_transaction(books):
    posted = post(books, Leg(books.cash.pk, Decimal("10")), Leg(books.sales.pk, Decimal("-10")))

    with pytest.raises(IntegrityError, match="has 4 legs but declares 2"):
        sql(
            """INSERT INTO ledger_transactionentry (transaction_id, organization_id, date, account_id, currency_id,
                      amount, memo) VALUES (%s, %s, %s, %s, 'RUB', 5, ''), (%s, %s, %s, %s, 'RUB', -5, '')""",
            [
                posted.pk,
                books.organization.pk,
                DAY,
                books.bank.pk,
                posted.pk,
                books.organization.pk,
                DAY,
                books.rent.pk,
            ],
        )


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_transactionentry SET amount = amount * 2",
        "UPDATE ledger_transactionentry SET transaction_id = transaction_id + 0",
        "DELETE FROM ledger_transactionentry",
        "UPDATE ledger_transaction SET description = 'edited'",
        "DELETE FROM ledger_transaction",
    ],
)
def test_posted_rows_cannot_be_changed_or_deleted(books, statement):
    post(books, Leg(books.cash.pk, Decimal("10")), Leg(books.sales.pk, Decimal("-10")))

    with pytest.raises(IntegrityError, match="post a reversal instead"):
        sql(statement)


@pytest.mark.database_owner
def test_a_leg_cannot_be_moved_between_transactions_even_with_triggers_bypassed_for_updates(books):
    first = post(books, Leg(books.cash.pk, Decimal("10")), Leg(books.sales.pk, Decimal("-10")), key="a")
    second = post(books, Leg(books.bank.pk, Decimal("7")), Leg(books.sales.pk, Decimal("-7")), key="b")
    leg = TransactionEntry.objects.filter(transaction=first).order_by("pk").first()

    # Even the tables' owner, disabling the immutability trigger, hits the deferred balance check at commit.
    def move_leg():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("ALTER TABLE ledger_transactionentry DISABLE TRIGGER ledger_entry_immutable")
            cursor.execute("UPDATE ledger_transactionentry SET transaction_id = %s WHERE id = %s", [second.pk, leg.pk])

    with pytest.raises(IntegrityError, match="does not balance|legs but declares"):
        move_leg()


def test_an_entry_currency_must_be_its_accounts_currency(books):
    with pytest.raises(IntegrityError, match="not an account of its organization in that currency"):
        sql(
            """WITH t AS (INSERT INTO ledger_transaction (organization_id, date, kind, description, leg_count,
                          idempotency_key, created_at) VALUES (%s, %s, 'complex', '', 2, 'cur', now()) RETURNING id)
               INSERT INTO ledger_transactionentry (transaction_id, organization_id, date, account_id, currency_id,
                          amount, memo)
               SELECT t.id, %s, %s, a, 'USD', m, '' FROM t, (VALUES (%s, 1), (%s, -1)) v(a, m)""",
            [books.organization.pk, DAY, books.organization.pk, DAY, books.cash.pk, books.sales.pk],
        )


def test_stored_balances_cannot_be_written_directly(books):
    with pytest.raises(IntegrityError, match="derived from entries"):
        sql("UPDATE ledger_accountbalance SET balance = 1000000 WHERE account_id = %s", [books.cash.pk])


def test_a_non_negative_account_refuses_an_overdraft(books):
    books.cash.non_negative = True
    books.cash.save()

    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="below zero"):
        post(books, Leg(books.rent.pk, Decimal("10")), Leg(books.cash.pk, Decimal("-10")))
    assert AccountBalance.objects.get(account=books.cash).balance == 0
    assert not Transaction.objects.exists()


def _raw_transaction(books, *, kind="complex", legs=2, key="raw", reverses=None):
    return f"""INSERT INTO ledger_transaction (organization_id, date, kind, description, leg_count, idempotency_key,
                   reverses_id, created_at)
               VALUES ({books.organization.pk}, '{DAY}', '{kind}', '', {legs}, '{key}', {reverses or "NULL"}, now())"""


@pytest.mark.parametrize(
    ("fields", "rule"),
    [
        ({"kind": "gift"}, "ledger_transaction_kind"),
        ({"legs": 1}, "ledger_transaction_two_legs"),
        ({"kind": "income", "reverses": "reversed"}, "ledger_transaction_reversal_kind"),
    ],
)
def test_raw_sql_cannot_insert_a_transaction_breaking_a_row_rule(books, fields, rule):
    if fields.get("reverses") == "reversed":
        fields["reverses"] = post(books, Leg(books.cash.pk, Decimal("1")), Leg(books.sales.pk, Decimal("-1"))).pk

    with pytest.raises(IntegrityError, match=rule):
        sql(_raw_transaction(books, **fields))


def test_raw_sql_cannot_insert_a_zero_entry(books):
    with pytest.raises(IntegrityError, match="zero amount"):
        sql(
            f"""WITH t AS ({_raw_transaction(books)} RETURNING id)
                INSERT INTO ledger_transactionentry (transaction_id, organization_id, date, account_id, currency_id,
                            amount, memo)
                SELECT t.id, %s, %s, a, 'RUB', 0, '' FROM t, (VALUES (%s), (%s)) v(a)""",
            [books.organization.pk, DAY, books.cash.pk, books.sales.pk],
        )


def test_an_account_already_below_zero_cannot_be_marked_never_below_zero_even_in_raw_sql(books):
    post(books, Leg(books.rent.pk, Decimal("10")), Leg(books.cash.pk, Decimal("-10")))

    with pytest.raises(IntegrityError, match="already past zero"):
        sql("UPDATE ledger_account SET non_negative = true WHERE id = %s", [books.cash.pk])
    assert AccountBalance.objects.get(account=books.cash).floor_sign == 0


def test_an_entry_must_have_its_transactions_date(books):
    with pytest.raises(IntegrityError, match="entries of another organization or date"):
        sql(
            f"""WITH t AS ({_raw_transaction(books, key="dated")} RETURNING id)
                INSERT INTO ledger_transactionentry (transaction_id, organization_id, date, account_id, currency_id,
                            amount, memo)
                SELECT t.id, %s, d, a, 'RUB', m, '' FROM t,
                       (VALUES (%s, %s::date, 5), (%s, %s::date, -5)) v(a, d, m)""",
            [books.organization.pk, books.cash.pk, DAY, books.sales.pk, date(2026, 3, 11)],
        )


def test_an_entry_cannot_use_another_organizations_account(books, other_organization):
    from tests.ledger.factories import AccountFactory

    foreign = AccountFactory(organization=other_organization, currency_id="RUB")
    with pytest.raises(IntegrityError, match="not an account of its organization"):
        sql(
            f"""WITH t AS ({_raw_transaction(books, key="foreign")} RETURNING id)
                INSERT INTO ledger_transactionentry (transaction_id, organization_id, date, account_id, currency_id,
                            amount, memo)
                SELECT t.id, %s, %s, a, 'RUB', m, '' FROM t, (VALUES (%s, 5), (%s, -5)) v(a, m)""",
            [books.organization.pk, DAY, books.cash.pk, foreign.pk],
        )


def test_an_account_holding_entries_keeps_its_currency_even_in_raw_sql(books):
    post(books, Leg(books.cash.pk, Decimal("10")), Leg(books.sales.pk, Decimal("-10")))

    with pytest.raises(IntegrityError, match="its currency cannot change"):
        sql("UPDATE ledger_account SET currency_id = 'USD' WHERE id = %s", [books.cash.pk])


def test_an_account_holding_entries_cannot_be_deleted_even_in_raw_sql(books):
    post(books, Leg(books.cash.pk, Decimal("10")), Leg(books.sales.pk, Decimal("-10")))

    with pytest.raises(IntegrityError):
        sql("DELETE FROM ledger_account WHERE id = %s", [books.cash.pk])
    assert AccountBalance.objects.get(account=books.cash).balance == Decimal("10")
