"""Idempotency keys in the books: a client's key never meets a key the product makes, and a key met again must
come with the request it was first used for."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import translation

from apps.core.accounts.roles import Role
from apps.core.mechanisms.idempotency import IdempotencyConflict, is_replay, product_key
from apps.ledger.models import AccountBalance, InvoiceKind, InvoicePayment, Transaction
from apps.ledger.services import (
    Leg,
    Posting,
    income_post,
    invoice_create,
    invoice_issue,
    invoice_payment_record,
    recurring_payments_post_due,
    transaction_post,
    transaction_reverse,
    transactions_post_batch,
)
from tests.ledger.factories import CounterpartyFactory, RecurringPaymentFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 2)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def bookkeeper(organization, member_of):
    return member_of(organization, role=Role.BOOKKEEPER)


def sale(books, amount="100.00", key="k1", **extra):
    return income_post(
        organization=books.organization,
        user=None,
        date=extra.pop("date", DAY),
        account=books.cash,
        income_account=books.sales,
        amount=amount,
        idempotency_key=key,
        **extra,
    )


def balance(account) -> Decimal:
    return AccountBalance.objects.get(account=account).balance


def test_the_service_tells_a_creation_from_a_replay(books):
    first = sale(books)
    again = sale(books)

    assert (is_replay(first), is_replay(again)) == (False, True)
    assert again.pk == first.pk
    assert balance(books.cash) == Decimal("100.00")


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"amount": "100.01"}, "entries"),
        ({"date": DAY + dt.timedelta(days=1)}, "date"),
        ({"description": "another sale"}, "description"),
    ],
)
def test_a_key_met_again_with_another_request_is_refused_and_changes_nothing(books, change, named):
    sale(books)

    with pytest.raises(IdempotencyConflict) as refused:
        sale(books, **change)

    assert refused.value.differences == [named]
    assert refused.value.message_dict == {
        "idempotency_key": [
            f"The idempotency key k1 was already used for a different request ({named}); nothing was done. "
            "Send a new key for a new request."
        ]
    }
    assert Transaction.objects.count() == 1
    assert balance(books.cash) == Decimal("100.00")


def test_a_batch_replayed_with_a_changed_posting_is_refused_whole(books):
    def batch(amount):
        return [
            Posting(
                date=DAY,
                idempotency_key=f"import-{n}",
                entries=[Leg(books.cash.pk, amount), Leg(books.sales.pk, -amount)],
            )
            for n in range(3)
        ]

    first = transactions_post_batch(organization=books.organization, user=None, postings=batch(Decimal("5")))
    assert transactions_post_batch(organization=books.organization, user=None, postings=batch(Decimal("5"))) == first

    with pytest.raises(IdempotencyConflict):
        transactions_post_batch(organization=books.organization, user=None, postings=batch(Decimal("6")))
    assert Transaction.objects.count() == 3
    assert balance(books.cash) == Decimal("15")


def test_client_keys_and_product_keys_are_stored_apart(books):
    by_client = sale(books, key="reversal:1")
    reversal = transaction_reverse(transaction=by_client, user=None)

    assert by_client.idempotency_key == "client:reversal:1"
    assert reversal.idempotency_key == f"reversal:{by_client.pk}"
    with pytest.raises(ValueError, match="not a product key"):
        product_key("client", "anything")


def test_a_client_that_squats_the_invoice_issue_key_cannot_stand_in_for_the_invoice(organization, books, bookkeeper):
    customer = CounterpartyFactory(organization=organization)
    invoice = invoice_create(
        organization=organization,
        user=bookkeeper,
        kind=InvoiceKind.RECEIVABLE,
        counterparty=customer,
        currency="RUB",
        issue_date=DAY,
        due_date=DAY + dt.timedelta(days=14),
        lines=[{"description": "Consulting", "quantity": "1", "unit_price": "50000.00", "account": books.sales}],
    )
    squat = sale(books, amount="1.00", key=f"invoice:{invoice.pk}:issue")

    issued = invoice_issue(invoice=invoice, user=bookkeeper)

    assert issued.issue_transaction_id != squat.pk
    assert balance(issued.balance_account) == Decimal("50000.00")
    payment = invoice_payment_record(
        invoice=issued, user=bookkeeper, amount="20000.00", date=DAY, account=books.bank, idempotency_key="pay-1"
    )
    repeat = invoice_payment_record(
        invoice=issued, user=bookkeeper, amount="20000.00", date=DAY, account=books.bank, idempotency_key="pay-1"
    )
    assert (is_replay(payment), is_replay(repeat), repeat.pk) == (False, True, payment.pk)
    with pytest.raises(IdempotencyConflict) as refused:
        invoice_payment_record(
            invoice=issued, user=bookkeeper, amount="30000.00", date=DAY, account=books.bank, idempotency_key="pay-1"
        )
    assert refused.value.differences == ["amount"]
    assert InvoicePayment.objects.count() == 1
    assert balance(issued.balance_account) == Decimal("30000.00")


def test_a_client_that_squats_a_recurring_occurrence_key_does_not_mark_it_posted(organization):
    recurring = RecurringPaymentFactory(organization=organization, start_date=dt.date(2026, 3, 31))
    leg = recurring.legs.first()
    squat = transaction_post(
        organization=organization,
        user=None,
        date=dt.date(2026, 3, 31),
        entries=[Leg(leg.account_id, Decimal("0.01")), Leg(recurring.legs.last().account_id, Decimal("-0.01"))],
        idempotency_key=f"recurring:{recurring.pk}:2026-03-31",
    )

    with time_machine.travel(dt.datetime(2026, 4, 1, 9, tzinfo=dt.UTC), tick=False):
        assert recurring_payments_post_due().posted == 1

    occurrence = Transaction.objects.get(idempotency_key=f"recurring:{recurring.pk}:2026-03-31")
    assert occurrence.pk != squat.pk
    assert occurrence.kind == Transaction.Kind.RECURRING
    assert sorted(e.amount for e in occurrence.entries.all()) == [Decimal("-1000"), Decimal("1000")]
