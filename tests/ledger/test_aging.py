"""The receivables and payables aging report: buckets, as-of dates, currencies kept apart, one query."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import translation

from apps.ledger.models import InvoiceKind
from apps.ledger.reports.aging import aging_report
from apps.ledger.services import invoice_payment_record, invoice_payment_reverse, invoice_void
from tests.ledger.factories import AccountFactory, CounterpartyFactory, InvoiceFactory

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 6, 30)


@pytest.fixture(autouse=True)
def _clock_and_language():
    with time_machine.travel(dt.datetime(2026, 7, 1, 9, tzinfo=dt.UTC), tick=False), translation.override("en"):
        yield


def _receivable(organization, counterparty, *, due, amount="1000", currency="RUB", issued=None, **kwargs):
    return InvoiceFactory(
        organization=organization,
        counterparty=counterparty,
        currency_id=currency,
        issue_date=issued or due - dt.timedelta(days=10),
        due_date=due,
        lines=[{"description": "Work", "unit_price": amount}],
        issued=True,
        **kwargs,
    )


def _row(report, counterparty, currency="RUB"):
    [row] = [r for r in report.rows if r.counterparty_id == counterparty.pk and r.currency == currency]
    return row


def test_outstanding_amounts_fall_into_buckets_by_days_overdue(organization):
    alpha = CounterpartyFactory(organization=organization, name="Alpha")
    for days_overdue, amount in [(0, "1"), (-5, "2"), (1, "10"), (30, "20"), (31, "100"), (60, "200"), (61, "1000"),
                                 (90, "2000"), (91, "10000"), (400, "20000")]:  # fmt: skip
        _receivable(organization, alpha, due=AS_OF - dt.timedelta(days=days_overdue), amount=amount)

    row = _row(aging_report(organization=organization, kind=InvoiceKind.RECEIVABLE, as_of=AS_OF), alpha)

    assert row.buckets() == {
        "current": Decimal("3.00"),
        "days_1_30": Decimal("30.00"),
        "days_31_60": Decimal("300.00"),
        "days_61_90": Decimal("3000.00"),
        "days_over_90": Decimal("30000.00"),
    }
    assert (row.total, row.invoices) == (Decimal("33333.00"), 10)


def test_payments_voids_drafts_and_the_other_kind_are_accounted_for(organization):
    alpha = CounterpartyFactory(organization=organization, name="Alpha")
    bank = AccountFactory(organization=organization)
    partly = _receivable(organization, alpha, due=AS_OF - dt.timedelta(days=45))
    invoice_payment_record(
        invoice=partly, user=None, amount="400", date=AS_OF - dt.timedelta(days=3), account=bank, idempotency_key="a"
    )
    paid = _receivable(organization, alpha, due=AS_OF - dt.timedelta(days=5))
    invoice_payment_record(invoice=paid, user=None, amount="1000", date=AS_OF, account=bank, idempotency_key="b")
    invoice_void(invoice=_receivable(organization, alpha, due=AS_OF), user=None, date=AS_OF)
    InvoiceFactory(organization=organization, counterparty=alpha, due_date=AS_OF)  # a draft
    InvoiceFactory(organization=organization, counterparty=alpha, kind="payable", issued=True, due_date=AS_OF)

    report = aging_report(organization=organization, kind=InvoiceKind.RECEIVABLE, as_of=AS_OF)

    assert [(r.counterparty, r.total) for r in report.rows] == [("Alpha", Decimal("600.00"))]
    assert _row(report, alpha).days_31_60 == Decimal("600.00")


def test_a_past_date_shows_what_the_books_showed_that_day(organization):
    alpha = CounterpartyFactory(organization=organization, name="Alpha")
    bank = AccountFactory(organization=organization)
    earlier = AS_OF - dt.timedelta(days=20)
    invoice = _receivable(organization, alpha, due=earlier - dt.timedelta(days=5))
    payment = invoice_payment_record(
        invoice=invoice, user=None, amount="1000", date=AS_OF - dt.timedelta(days=10), account=bank,
        idempotency_key="p",
    )  # fmt: skip
    invoice_payment_reverse(payment=payment, user=None, date=AS_OF - dt.timedelta(days=2))
    voided_later = _receivable(organization, alpha, due=earlier, amount="50")
    invoice_void(invoice=voided_later, user=None, date=AS_OF - dt.timedelta(days=1))
    _receivable(organization, alpha, due=AS_OF, issued=AS_OF - dt.timedelta(days=3), amount="7")  # not yet issued

    def total(as_of):
        rows = aging_report(organization=organization, kind=InvoiceKind.RECEIVABLE, as_of=as_of).rows
        return sum((r.total for r in rows), Decimal(0))

    assert total(earlier) == Decimal("1050")  # unpaid, and not yet voided
    assert total(AS_OF - dt.timedelta(days=5)) == Decimal("50")  # paid, the other not yet voided
    assert total(AS_OF) == Decimal("1007")  # the payment reversed, the other voided, a new one issued


def test_currencies_are_never_added_together(organization):
    alpha = CounterpartyFactory(organization=organization, name="Alpha")
    _receivable(organization, alpha, due=AS_OF, amount="100")
    _receivable(organization, alpha, due=AS_OF, amount="5.5", currency="USD")

    report = aging_report(organization=organization, kind=InvoiceKind.RECEIVABLE, as_of=AS_OF)

    assert [(r.currency, r.total) for r in report.rows] == [("RUB", Decimal("100.00")), ("USD", Decimal("5.50"))]
    assert [(t.currency, t.total) for t in report.totals] == [("RUB", Decimal("100.00")), ("USD", Decimal("5.50"))]


def test_payables_and_other_organizations(organization, other_organization):
    supplier = CounterpartyFactory(organization=organization, name="Hosting")
    InvoiceFactory(
        organization=organization, counterparty=supplier, kind="payable", issued=True,
        issue_date=dt.date(2026, 5, 1), due_date=dt.date(2026, 5, 20),
    )  # fmt: skip
    InvoiceFactory(organization=other_organization, kind="payable", issued=True)

    report = aging_report(organization=organization, kind=InvoiceKind.PAYABLE, as_of=AS_OF)

    assert [(r.counterparty, r.days_31_60) for r in report.rows] == [("Hosting", Decimal("1000.00"))]


def test_the_report_is_one_query_however_many_invoices(organization, django_assert_num_queries):
    for n in range(12):
        _receivable(organization, CounterpartyFactory(organization=organization), due=AS_OF - dt.timedelta(days=n * 9))

    with django_assert_num_queries(1):
        report = aging_report(organization=organization, kind=InvoiceKind.RECEIVABLE, as_of=AS_OF)

    assert len(report.rows) == 12
