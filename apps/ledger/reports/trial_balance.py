"""Trial balance: per account, the opening balance, the debits and credits of the period, and the closing
balance, each in a debit and a credit column. Debit totals equal credit totals in every pair of columns,
because every transaction balances; in the reporting currency, the rounding of the shown cells is given as
its own line so that they still do.

Each row also carries the account's closing balance in its own currency, signed as stored (debit
positive): the figure an independent tool reading the exported journal must reproduce.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.utils.translation import gettext as _

from apps.core.models import Organization

from ..models import AccountType
from .balance_sheet import difference_label
from .base import ZERO, ReportFilters, ReportHeader, ReportQuery, sum_cells
from .tables import AMOUNT, MONEY, Column, Table


@dataclass(frozen=True)
class TrialBalanceLine:
    account_id: int | None  # None for the rounding line
    code: str
    name: str
    type: str
    currency: str
    opening_debit: Decimal
    opening_credit: Decimal
    debit: Decimal
    credit: Decimal
    closing_debit: Decimal
    closing_credit: Decimal
    native_closing: Decimal | None  # in the account's currency, debit positive; None for the rounding line
    precision: int = 2  # of the account's currency

    @property
    def own_format(self) -> str:
        """``floatformat`` argument for ``native_closing``: its currency's decimals, grouped."""
        return f"{self.precision}g"

    @property
    def opening(self) -> Decimal:
        return self.opening_debit - self.opening_credit

    @property
    def closing(self) -> Decimal:
        return self.closing_debit - self.closing_credit


MONEY_FIELDS = ("opening_debit", "opening_credit", "debit", "credit", "closing_debit", "closing_credit")


@dataclass(frozen=True)
class TrialBalance:
    header: ReportHeader
    lines: tuple[TrialBalanceLine, ...]  # accounts by code, then the rounding line if there is one
    totals: dict[str, Decimal]  # per money field

    def table(self) -> Table:
        columns = [
            Column(_("Code")),
            Column(_("Account")),
            Column(_("Type")),
            Column(_("Currency")),
            Column(_("Opening debit"), MONEY),
            Column(_("Opening credit"), MONEY),
            Column(_("Debit"), MONEY),
            Column(_("Credit"), MONEY),
            Column(_("Closing debit"), MONEY),
            Column(_("Closing credit"), MONEY),
            Column(_("Closing balance in account currency"), AMOUNT),
        ]
        types = dict(AccountType.choices)
        rows = [
            [
                line.code,
                line.name,
                str(types.get(line.type, line.type)),
                line.currency,
                *(getattr(line, f) for f in MONEY_FIELDS),
                line.native_closing,
            ]
            for line in self.lines
        ]
        rows.append(["", _("Total"), "", "", *(self.totals[f] for f in MONEY_FIELDS), None])
        return Table(
            title=_("Trial balance"),
            columns=columns,
            rows=rows,
            precision=self.header.precision,
            filename="trial-balance",
        )


def _sides(amount: Decimal, zero: Decimal) -> tuple[Decimal, Decimal]:
    return (amount, zero) if amount >= 0 else (zero, -amount)


def trial_balance(
    *,
    organization: Organization | int,
    date_to: dt.date,
    date_from: dt.date | None = None,
    filters: ReportFilters | None = None,
    currency: str | None = None,
) -> TrialBalance:
    """Opening balances before ``date_from`` (none when it is ``None``: the period starts with the books),
    debits and credits from ``date_from`` to ``date_to``, closing balances at ``date_to``."""
    query = ReportQuery(
        organization=organization, date_from=date_from, date_to=date_to, filters=filters, currency=currency
    )
    before = "e.date < %(date_from)s" if date_from is not None else "false"
    within = "e.date >= %(date_from)s" if date_from is not None else "true"
    accounts = query.accounts()
    sql = query.by_account(
        f"""SELECT e.account_id, $DAY AS day,
                   sum(e.amount) FILTER (WHERE {before}) AS opening,
                   sum(e.amount) FILTER (WHERE {within} AND e.amount > 0) AS debit,
                   -sum(e.amount) FILTER (WHERE {within} AND e.amount < 0) AS credit
              FROM ledger_transactionentry e
             WHERE {query.entry_filter("e", dates="through")} AND e.account_id = ANY($ACCOUNTS)
             GROUP BY 1, 2""",
        accounts,
    )
    rows = []
    if sql is not None:
        with connection.cursor() as cursor:
            cursor.execute(sql, query.params)
            rows = cursor.fetchall()
    query.load_rates((accounts[account_id].currency, day) for account_id, day, *_sums in rows)

    exact: dict[int, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO, ZERO])
    native: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for account_id, day, opening, debit, credit in rows:
        sums = exact[account_id]
        for n, value in enumerate((opening, debit, credit)):
            sums[n] += query.exact(value, accounts[account_id].currency, day)
        native[account_id] += Decimal(opening or 0) + Decimal(debit or 0) - Decimal(credit or 0)

    zero = query.round(ZERO)
    lines = []
    for account in accounts.values():  # by code
        if account.id not in exact:
            continue
        opening, debit, credit = (query.round(value) for value in exact[account.id])
        lines.append(
            TrialBalanceLine(
                account.id,
                account.code,
                account.name,
                account.type,
                account.currency,
                *_sides(opening, zero),
                debit,
                credit,
                *_sides(opening + debit - credit, zero),
                native_closing=account.own(native[account.id]),
                precision=account.precision,
            )
        )
    totals = {f: query.total(getattr(line, f) for line in lines) for f in MONEY_FIELDS}
    rounding = {}
    for debit_field, credit_field in (("opening_debit", "opening_credit"), ("debit", "credit")):
        gap = totals[debit_field] - totals[credit_field]
        rounding[debit_field], rounding[credit_field] = _sides(-gap, zero)
    # The rounding line foots like any other: its closing is its opening plus its debit minus its credit.
    closing_gap = totals["closing_debit"] - totals["closing_credit"]
    rounding["closing_debit"], rounding["closing_credit"] = _sides(-closing_gap, zero)
    if any(rounding.values()):
        exact_imbalance = sum_cells(sum_cells(sums[:2]) - sums[2] for sums in exact.values())
        lines.append(
            TrialBalanceLine(
                None, "", difference_label(query, exact_imbalance), "", "", **rounding, native_closing=None
            )
        )
        totals = {f: query.total(getattr(line, f) for line in lines) for f in MONEY_FIELDS}
    return TrialBalance(header=query.header(), lines=tuple(lines), totals=totals)
