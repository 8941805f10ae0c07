"""Receivables and payables aging: what each counterparty still owes (or is owed), by how long it is overdue.

As of a date, an invoice counts if it was issued on or before that date and not voided by then (its void
posting dated after it); what it still owes is its total less the payments dated on or before that date that
had not been reversed by then. So the report for a past date shows what the books showed that day, whatever
happened since. Buckets by days past the due date: current (not yet due), 1–30, 31–60, 61–90, over 90.

Amounts are never added across currencies: one row per counterparty and currency, and totals per currency.
One SQL query, whatever the number of invoices and counterparties.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.models import Organization
from apps.core.money.amounts import round_to

from ..models import InvoiceKind
from .base import ReportHeader
from .tables import AMOUNT, NUMBER, Column, Table

ZERO = Decimal(0)

BUCKETS = ("current", "days_1_30", "days_31_60", "days_61_90", "days_over_90")
BUCKET_LABELS = {
    "current": gettext_lazy("Current"),
    "days_1_30": gettext_lazy("1–30 days"),
    "days_31_60": gettext_lazy("31–60 days"),
    "days_61_90": gettext_lazy("61–90 days"),
    "days_over_90": gettext_lazy("Over 90 days"),
}

_AGING = """
WITH open_invoices AS (
  SELECT i.counterparty_id, i.currency_id, %(as_of)s::date - i.due_date AS days_overdue,
         i.total - coalesce((
           SELECT sum(p.amount)
             FROM ledger_invoicepayment p
             LEFT JOIN ledger_transaction r ON r.id = p.reversal_transaction_id
            WHERE p.invoice_id = i.id AND p.date <= %(as_of)s AND (r.id IS NULL OR r.date > %(as_of)s)
         ), 0) AS outstanding
    FROM ledger_invoice i
    LEFT JOIN ledger_transaction v ON v.id = i.void_transaction_id
   WHERE i.organization_id = %(organization)s
     AND i.kind = %(kind)s
     AND i.issue_transaction_id IS NOT NULL
     AND i.issue_date <= %(as_of)s
     AND (v.id IS NULL OR v.date > %(as_of)s)
     {counterparty_filter}
)
SELECT c.id, c.name, o.currency_id, cur.precision,
       coalesce(sum(o.outstanding) FILTER (WHERE o.days_overdue <= 0), 0),
       coalesce(sum(o.outstanding) FILTER (WHERE o.days_overdue BETWEEN 1 AND 30), 0),
       coalesce(sum(o.outstanding) FILTER (WHERE o.days_overdue BETWEEN 31 AND 60), 0),
       coalesce(sum(o.outstanding) FILTER (WHERE o.days_overdue BETWEEN 61 AND 90), 0),
       coalesce(sum(o.outstanding) FILTER (WHERE o.days_overdue > 90), 0),
       count(*)
  FROM open_invoices o
  JOIN ledger_counterparty c ON c.id = o.counterparty_id
  JOIN core_currency cur ON cur.code = o.currency_id
 WHERE o.outstanding <> 0
 GROUP BY c.id, c.name, o.currency_id, cur.precision
 ORDER BY o.currency_id, c.name, c.id
"""


@dataclass(frozen=True)
class AgingRow:
    counterparty_id: int
    counterparty: str
    currency: str
    current: Decimal
    days_1_30: Decimal
    days_31_60: Decimal
    days_61_90: Decimal
    days_over_90: Decimal
    invoices: int
    precision: int = 2  # of the row's currency

    @property
    def total(self) -> Decimal:
        return sum((getattr(self, bucket) for bucket in BUCKETS), ZERO)

    def buckets(self) -> dict[str, Decimal]:
        return {bucket: getattr(self, bucket) for bucket in BUCKETS}


@dataclass
class AgingTotal:
    currency: str
    current: Decimal = ZERO
    days_1_30: Decimal = ZERO
    days_31_60: Decimal = ZERO
    days_61_90: Decimal = ZERO
    days_over_90: Decimal = ZERO
    invoices: int = 0
    precision: int = 2

    @property
    def total(self) -> Decimal:
        return sum((getattr(self, bucket) for bucket in BUCKETS), ZERO)

    def buckets(self) -> dict[str, Decimal]:
        return {bucket: getattr(self, bucket) for bucket in BUCKETS}


@dataclass
class AgingReport:
    organization_id: int
    kind: str
    as_of: dt.date
    rows: list[AgingRow] = field(default_factory=list)
    totals: list[AgingTotal] = field(default_factory=list)  # one per currency
    organization_name: str = ""
    filters: dict[str, str] = field(default_factory=dict)  # {"counterparty": "Acme"}, for display

    @property
    def header(self) -> ReportHeader:
        """For the downloads' title block: as of a date, in each row's own currency (never converted)."""
        return ReportHeader(
            organization=self.organization_name,
            date_from=None,
            date_to=self.as_of,
            currency="",
            precision=2,
            converted=False,
            filters=self.filters,
        )

    def table(self) -> Table:
        columns = [
            Column(_("Counterparty")),
            Column(_("Currency")),
            *(Column(str(BUCKET_LABELS[bucket]), AMOUNT) for bucket in BUCKETS),
            Column(_("Total"), AMOUNT),
            Column(_("Invoices"), NUMBER),
        ]
        rows = [[row.counterparty, row.currency, *row.buckets().values(), row.total, row.invoices] for row in self.rows]
        rows += [
            [_("Total"), total.currency, *total.buckets().values(), total.total, total.invoices]
            for total in self.totals
        ]
        return Table(title=self.title, columns=columns, rows=rows, filename=f"{self.kind}_aging")

    @property
    def title(self) -> str:
        if self.kind == InvoiceKind.RECEIVABLE:
            return _("Receivables aging as of {date}").format(date=self.as_of.isoformat())
        return _("Payables aging as of {date}").format(date=self.as_of.isoformat())


def aging_report(
    *,
    organization: Organization | int,
    kind: str,
    as_of: dt.date,
    counterparties: Iterable[int] | None = None,
) -> AgingReport:
    """The aging of ``kind`` (receivable or payable) invoices as of ``as_of``, per counterparty and currency.
    The caller has already checked that the user may see ``organization``."""
    if kind not in InvoiceKind.values:
        raise ValidationError({"kind": _("Choose receivable or payable.")})
    if not isinstance(as_of, dt.date):
        raise ValidationError({"as_of": _("A date is required.")})
    organization_id = getattr(organization, "pk", organization)
    params: dict = {"organization": organization_id, "kind": kind, "as_of": as_of}
    counterparty_filter = ""
    if counterparties is not None:
        params["counterparties"] = [int(pk) for pk in counterparties]
        counterparty_filter = "AND i.counterparty_id = ANY(%(counterparties)s)"
    with connection.cursor() as cursor:
        cursor.execute(_AGING.format(counterparty_filter=counterparty_filter), params)
        fetched = cursor.fetchall()
    report = AgingReport(
        organization_id=organization_id,
        kind=kind,
        as_of=as_of,
        organization_name=organization.name if isinstance(organization, Organization) else "",
    )
    totals: dict[str, AgingTotal] = {}
    for counterparty_id, name, currency, precision, *amounts, count in fetched:
        # Amounts are stored at the currency's precision already; rounding only trims trailing zeros.
        row = AgingRow(
            counterparty_id,
            name,
            currency,
            *(round_to(a, precision) for a in amounts),
            invoices=count,
            precision=precision,
        )
        report.rows.append(row)
        total = totals.setdefault(currency, AgingTotal(currency=currency, precision=precision))
        for bucket in BUCKETS:
            setattr(total, bucket, getattr(total, bucket) + getattr(row, bucket))
        total.invoices += count
    report.totals = list(totals.values())
    return report
