"""Invoices under concurrent writers, each thread on its own PostgreSQL connection: numbers stay gap-free and
unique, a payment key pays once, and parallel payments never take an invoice past its total."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from apps.ledger.models import Invoice, InvoicePayment, InvoiceStatus, Transaction
from apps.ledger.services import invoice_issue, invoice_payment_record, period_lock
from tests.helpers import run_in_threads
from tests.ledger.factories import AccountFactory, InvoiceFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _clock(english):
    with time_machine.travel(dt.datetime(2026, 3, 10, 9, tzinfo=dt.UTC), tick=False):
        yield


def test_concurrent_issues_get_consecutive_numbers_without_gaps_or_duplicates(organization):
    drafts = [InvoiceFactory(organization=organization) for _ in range(16)]

    def work(worker):
        for invoice in drafts[worker::8]:
            invoice_issue(invoice=invoice, user=None)

    run_in_threads(work, 8)

    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == [f"INV-2026-{n:06d}" for n in range(1, 17)]
    assert Transaction.objects.filter(kind="invoice").count() == 16


def test_issues_that_fail_in_between_leave_no_gap(organization):
    period_lock(organization=organization, user=None, locked_through=dt.date(2026, 2, 28))
    good = [InvoiceFactory(organization=organization) for _ in range(6)]
    closed = [
        InvoiceFactory(organization=organization, issue_date=dt.date(2026, 2, 10), due_date=dt.date(2026, 3, 10))
        for _ in range(6)
    ]
    pairs = list(zip(good, closed, strict=True))

    def work(worker):
        ok, refused = pairs[worker]
        with pytest.raises(ValidationError):
            invoice_issue(invoice=refused, user=None)
        invoice_issue(invoice=ok, user=None)

    run_in_threads(work, 6)

    assert sorted(Invoice.objects.exclude(number="").values_list("number", flat=True)) == [
        f"INV-2026-{n:06d}" for n in range(1, 7)
    ]
    assert set(Invoice.objects.filter(pk__in=[i.pk for i in closed]).values_list("status", flat=True)) == {"draft"}


def test_issuing_the_same_invoice_from_parallel_requests_issues_it_once(organization):
    invoice = InvoiceFactory(organization=organization)

    outcomes = run_in_threads(lambda _worker: invoice_issue(invoice=invoice.pk, user=None).number, 6)

    assert set(outcomes) == {"INV-2026-000001"}
    assert Transaction.objects.filter(kind="invoice").count() == 1


def test_the_same_payment_key_from_parallel_requests_pays_once(organization):
    invoice = InvoiceFactory(organization=organization, issued=True)
    bank = AccountFactory(organization=organization)

    outcomes = run_in_threads(
        lambda _worker: (
            invoice_payment_record(
                invoice=invoice.pk, user=None, amount="400", date=dt.date(2026, 3, 5), account=bank, idempotency_key="k"
            ).pk
        ),
        6,
    )

    assert len(set(outcomes)) == 1
    assert InvoicePayment.objects.count() == 1
    assert Invoice.objects.get(pk=invoice.pk).paid_amount == Decimal("400")


def test_parallel_payments_never_pay_more_than_the_total(organization):
    invoice = InvoiceFactory(organization=organization, issued=True)  # 1000 RUB
    bank = AccountFactory(organization=organization)

    outcomes = run_in_threads(
        lambda worker: invoice_payment_record(
            invoice=invoice.pk,
            user=None,
            amount="300",
            date=dt.date(2026, 3, 5),
            account=bank,
            idempotency_key=f"payer-{worker}",
        ),
        8,
        raises=False,
    )

    paid = [o for o in outcomes if isinstance(o, InvoicePayment)]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert (len(paid), len(refused)) == (3, 5), outcomes
    assert all("more than the 100.00\u00a0RUB still due" in " ".join(error.messages) for error in refused)
    fresh = Invoice.objects.get(pk=invoice.pk)
    assert (fresh.paid_amount, fresh.status) == (Decimal("900"), InvoiceStatus.PARTIALLY_PAID)
