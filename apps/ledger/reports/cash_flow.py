"""Cash flow, direct method: money in and out of the cash and bank accounts (``Account.purpose = "cash"``)
in a period, by category, from the opening to the closing cash.

Each movement of a cash account counts under the category of its own entry; when that has none, under the
category of the transaction's other legs (when they name exactly one); a transaction whose other legs are
all cash or currency-exchange accounts is a transfer between cash accounts and gets a line of its own (in
one currency it nets to zero); what remains is "uncategorized". A category filter applies to that
resolved category (with subcategories), the project and counterparty filters to the cash entries.

Rounding: amounts are rounded per cash account and category (see :mod:`.base`); the category lines and
the account lines both add those same cells, so opening + net = closing holds to the minor unit.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from apps.core.models import Organization

from .base import ZERO, ReportFilters, ReportHeader, ReportQuery
from .tables import MONEY, TEXT, Column, Table

TRANSFERS = -1  # the group of transfers between cash accounts


@dataclass(frozen=True)
class CashFlowLine:
    key: str  # "category:12", "category:none", "transfers"
    label: str
    inflow: Decimal
    outflow: Decimal  # positive

    @property
    def net(self) -> Decimal:
        return self.inflow - self.outflow


@dataclass(frozen=True)
class CashAccountLine:
    account_id: int
    code: str
    name: str
    currency: str
    opening: Decimal
    inflow: Decimal
    outflow: Decimal
    closing: Decimal


@dataclass(frozen=True)
class CashFlow:
    header: ReportHeader
    lines: tuple[CashFlowLine, ...]
    accounts: tuple[CashAccountLine, ...]
    opening: Decimal
    inflow: Decimal
    outflow: Decimal
    closing: Decimal

    @property
    def net(self) -> Decimal:
        return self.inflow - self.outflow

    def table(self) -> Table:
        columns = [Column(pgettext("report", "Section")), Column(_("Line")), Column(_("Currency"), TEXT)]
        columns += [Column(label, MONEY) for label in (_("Opening"), _("Inflow"), _("Outflow"), _("Net"), _("Closing"))]
        rows: list[list] = [[_("Cash at the start"), "", "", self.opening, None, None, None, None]]
        for line in self.lines:
            rows.append([_("By category"), line.label, "", None, line.inflow, line.outflow, line.net, None])
        rows.append([_("Total"), "", "", self.opening, self.inflow, self.outflow, self.net, self.closing])
        for account in self.accounts:
            rows.append(
                [
                    _("By account"),
                    f"{account.code} {account.name}",
                    account.currency,
                    account.opening,
                    account.inflow,
                    account.outflow,
                    account.inflow - account.outflow,
                    account.closing,
                ]
            )
        return Table(
            title=_("Cash flow"),
            columns=columns,
            rows=rows,
            precision=self.header.precision,
            filename="cash-flow",
        )


def cash_flow(
    *,
    organization: Organization | int,
    date_from: dt.date | None,
    date_to: dt.date,
    filters: ReportFilters | None = None,
    currency: str | None = None,
) -> CashFlow:
    """Cash in and out between ``date_from`` and ``date_to``; the opening is the cash before ``date_from``
    (with the same filters), none when it is ``None``."""
    query = ReportQuery(
        organization=organization, date_from=date_from, date_to=date_to, filters=filters, currency=currency
    )
    every = query.accounts(all_currencies=True)
    cash = {pk: account for pk, account in every.items() if account.purpose == "cash"}
    if not query.converted:
        cash = {pk: account for pk, account in cash.items() if account.currency == query.currency}
    query.params["cash"] = list(cash)
    query.params["cash_or_exchange"] = [pk for pk, a in every.items() if a.purpose in ("cash", "exchange")]
    categorized = query.filters.category is not None
    before = "c.date < %(date_from)s" if date_from is not None else "false"
    # Cash legs without a category take their transaction's other legs' one. Those legs share the cash leg's
    # organization and date, so they are looked up in the same dates: the period, or everything through its
    # end when a category filter must classify the opening too.
    dates = "through" if categorized or date_from is None else "range"
    legs_dates = "o.date <= %(date_to)s" + (" AND o.date >= %(date_from)s" if dates == "range" else "")
    cash_dates = legs_dates.replace("o.", "u.")
    category_filter = f"AND {query.category_filter('g.grp')}" if categorized else ""
    grouping = "NULL::bigint" if not categorized else "g.grp"
    sql = f"""
        WITH k AS (
            SELECT o.transaction_id, min(o.category_id) AS low, max(o.category_id) AS high
              FROM ledger_transactionentry o
             WHERE o.organization_id = %(org)s AND {legs_dates} AND NOT (o.account_id = ANY(%(cash_or_exchange)s))
               AND o.transaction_id IN (
                   SELECT u.transaction_id FROM ledger_transactionentry u
                    WHERE u.organization_id = %(org)s AND {cash_dates} AND u.account_id = ANY(%(cash)s)
                      AND u.category_id IS NULL)
             GROUP BY o.transaction_id),
        g AS (
            SELECT c.account_id, c.currency_id, c.amount, {query.rate_day("c")} AS day, {before} AS before,
                   CASE WHEN c.category_id IS NOT NULL THEN c.category_id
                        WHEN k.transaction_id IS NULL THEN {TRANSFERS}
                        WHEN k.low = k.high THEN k.low END AS grp
              FROM ledger_transactionentry c
              LEFT JOIN k ON c.category_id IS NULL AND k.transaction_id = c.transaction_id
             WHERE {query.entry_filter("c", dates="through", category=False)} AND c.account_id = ANY(%(cash)s))
        SELECT s.*, cat.name FROM (
            SELECT g.before, g.account_id, CASE WHEN g.before THEN {grouping} ELSE g.grp END AS grp,
                   g.amount > 0 AS inflow, g.currency_id, g.day, sum(g.amount)
              FROM g
             WHERE true {category_filter}
             GROUP BY 1, 2, 3, 4, 5, 6) s
          LEFT JOIN ledger_category cat ON cat.id = s.grp
    """
    rows = []
    if cash:
        with connection.cursor() as cursor:
            cursor.execute(sql, query.params)
            rows = cursor.fetchall()
    query.load_rates((currency_code, day) for _b, _a, _g, _i, currency_code, day, *_rest in rows)

    opening_exact: dict[int, Decimal] = defaultdict(lambda: ZERO)
    moves_exact: dict[tuple[int, int | None, bool], Decimal] = defaultdict(lambda: ZERO)
    group_labels: dict[int | None, str] = {}
    for before, account_id, group, inflow, currency_code, day, total, category_name in rows:
        converted = query.exact(total, currency_code, day)
        if before:
            opening_exact[account_id] += converted
        else:
            moves_exact[(account_id, group, inflow)] += converted
            group_labels[group] = category_name or ""

    # The one rounding: per cash account and category (and direction).
    moves = {key: query.round(value) for key, value in moves_exact.items()}
    lines = []
    for group in sorted(group_labels, key=lambda g: (g is None or g == TRANSFERS, g == TRANSFERS, group_labels[g])):
        inflow = query.total(v for (_a, g, is_in), v in moves.items() if g == group and is_in)
        outflow = -query.total(v for (_a, g, is_in), v in moves.items() if g == group and not is_in)
        if group == TRANSFERS:
            key, label = "transfers", _("Transfers between cash accounts")
        elif group is None:
            key, label = "category:none", _("Uncategorized")
        else:
            key, label = f"category:{group}", group_labels[group]
        lines.append(CashFlowLine(key=key, label=label, inflow=inflow, outflow=outflow))

    account_lines = []
    for account_id, account in cash.items():  # by code
        if account_id not in opening_exact and not any(a == account_id for a, _g, _i in moves):
            continue
        opening = query.round(opening_exact[account_id])
        inflow = query.total(v for (a, _g, is_in), v in moves.items() if a == account_id and is_in)
        outflow = -query.total(v for (a, _g, is_in), v in moves.items() if a == account_id and not is_in)
        account_lines.append(
            CashAccountLine(
                account_id,
                account.code,
                account.name,
                account.currency,
                opening,
                inflow,
                outflow,
                opening + inflow - outflow,
            )
        )
    opening = query.total(line.opening for line in account_lines)
    inflow = query.total(line.inflow for line in lines)
    outflow = query.total(line.outflow for line in lines)
    return CashFlow(
        header=query.header(),
        lines=tuple(lines),
        accounts=tuple(account_lines),
        opening=opening,
        inflow=inflow,
        outflow=outflow,
        closing=opening + inflow - outflow,
    )
