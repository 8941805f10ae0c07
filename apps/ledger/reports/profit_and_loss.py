"""Profit and loss: income and expenses of a period, by account, project, category or counterparty, in one
column or one per month, quarter or year.

Income and expenses are shown with their natural sign (both positive when normal); the result is income
minus expenses. One SQL aggregate over the entries of the period (the ``(organization, date)`` index)
feeds the whole report; see :mod:`.base` for currency and rounding.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from apps.core.models import Organization

from ..models import AccountType, natural_sign
from .base import ZERO, ReportFilters, ReportHeader, ReportQuery
from .tables import MONEY, Column, Table

GROUPINGS = {
    "account": gettext_lazy("Account"),
    "project": gettext_lazy("Project"),
    "category": gettext_lazy("Category"),
    "counterparty": gettext_lazy("Counterparty"),
}
PERIODS = {
    "month": gettext_lazy("Month"),
    "quarter": gettext_lazy("Quarter"),
    "year": gettext_lazy("Year"),
}
_DIMENSION = {  # the entry column, the join that names it, its code and its name
    "account": ("e.account_id", "", "''", "NULL"),  # named from the accounts the report read first
    "project": ("e.project_id", "LEFT JOIN ledger_project l ON l.id = s.dim", "coalesce(l.code, '')", "l.name"),
    "category": ("e.category_id", "LEFT JOIN ledger_category l ON l.id = s.dim", "''", "l.name"),
    "counterparty": ("e.counterparty_id", "LEFT JOIN ledger_counterparty l ON l.id = s.dim", "''", "l.name"),
}
_NONE_LABEL = {
    "project": gettext_lazy("No project"),
    "category": gettext_lazy("No category"),
    "counterparty": gettext_lazy("No counterparty"),
}


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date
    label: str


@dataclass(frozen=True)
class ReportLine:
    """One row: an account (or project, category, counterparty) with an amount per period and its total."""

    key: str
    code: str
    label: str
    amounts: tuple[Decimal, ...]
    total: Decimal


@dataclass(frozen=True)
class ProfitAndLossSection:
    kind: str  # "income" or "expense"
    title: str
    lines: tuple[ReportLine, ...]
    amounts: tuple[Decimal, ...]
    total: Decimal


@dataclass(frozen=True)
class ProfitAndLoss:
    header: ReportHeader
    group_by: str
    period: str | None
    periods: tuple[Period, ...]
    income: ProfitAndLossSection
    expenses: ProfitAndLossSection
    net: tuple[Decimal, ...]  # income minus expenses, per period
    net_total: Decimal

    @property
    def sections(self) -> tuple[ProfitAndLossSection, ProfitAndLossSection]:
        return (self.income, self.expenses)

    @property
    def group_label(self) -> str:
        return str(GROUPINGS[self.group_by])

    def table(self) -> Table:
        columns = [Column(pgettext("report", "Section")), Column(_("Code")), Column(self.group_label)]
        columns += [Column(p.label, MONEY) for p in self.periods] if len(self.periods) > 1 else []
        columns.append(Column(_("Total"), MONEY))

        def cells(amounts, total):
            return [*amounts, total] if len(self.periods) > 1 else [total]

        rows = []
        for section in self.sections:
            rows += [[section.title, line.code, line.label, *cells(line.amounts, line.total)] for line in section.lines]
            rows.append([section.title, "", _("Total"), *cells(section.amounts, section.total)])
        rows.append([_("Net result"), "", _("Income minus expenses"), *cells(self.net, self.net_total)])
        return Table(
            title=_("Profit and loss"),
            columns=columns,
            rows=rows,
            precision=self.header.precision,
            filename="profit-and-loss",
        )


# Columns of a P&L by period: ten years by month. More is no longer a table a person reads, and each column
# costs work.
MAX_PERIODS = 120


def periods_between(date_from: dt.date, date_to: dt.date, period: str | None) -> list[Period]:
    if period is None:
        return [Period(date_from, date_to, _("Total"))]
    months = (date_to.year - date_from.year) * 12 + date_to.month - date_from.month + 1
    count = {"month": months, "quarter": months // 3 + 1, "year": date_to.year - date_from.year + 1}.get(period, 0)
    if count > MAX_PERIODS:
        raise ValidationError(
            {"period": _("At most {n} columns: choose a shorter range or a longer period.").format(n=MAX_PERIODS)}
        )
    out = []
    start = _bucket(date_from, period)
    while start <= date_to:
        if period == "month":
            following = _add_months(start, 1)
            label = start.strftime("%Y-%m")
        elif period == "quarter":
            following = _add_months(start, 3)
            label = _("{year} Q{quarter}").format(year=start.year, quarter=(start.month - 1) // 3 + 1)
        else:
            following = _add_months(start, 12)
            label = str(start.year)
        out.append(Period(max(start, date_from), min(following - dt.timedelta(days=1), date_to), label))
        start = following
    return out


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _bucket(day: dt.date, period: str | None) -> dt.date | None:
    if period is None:
        return None
    if period == "month":
        return day.replace(day=1)
    if period == "quarter":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    return day.replace(month=1, day=1)


def profit_and_loss(
    *,
    organization: Organization | int,
    date_from: dt.date,
    date_to: dt.date,
    filters: ReportFilters | None = None,
    currency: str | None = None,
    group_by: str = "account",
    period: str | None = None,
) -> ProfitAndLoss:
    """Income and expenses between ``date_from`` and ``date_to`` (both included).

    ``group_by``: ``account`` (default), ``project``, ``category`` or ``counterparty``; ``period``: ``None``
    (one column), ``month``, ``quarter`` or ``year``. ``currency``: ``None`` for the reporting currency (all
    entries converted), or a code for that currency's entries only. Raises ``MissingRate`` if a rate lacks.
    """
    if group_by not in GROUPINGS:
        raise ValidationError({"group_by": _("Group by one of: {choices}.").format(choices=", ".join(GROUPINGS))})
    if period is not None and period not in PERIODS:
        raise ValidationError({"period": _("A period is one of: {choices}.").format(choices=", ".join(PERIODS))})
    if date_from is None:
        raise ValidationError({"date_from": _("The profit and loss needs a start date.")})
    query = ReportQuery(
        organization=organization, date_from=date_from, date_to=date_to, filters=filters, currency=currency
    )
    accounts = query.accounts(types=(AccountType.INCOME, AccountType.EXPENSE))
    dim, join, code, name = _DIMENSION[group_by]
    # By period: group by date, bucket in Python (cheaper than date_trunc on every entry).
    bucket = "e.date" if period else "NULL::date"
    sums = query.by_account(
        f"""SELECT e.account_id, {dim} AS dim, $DAY AS day, sum(e.amount) AS total
              FROM ledger_transactionentry e
             WHERE {query.entry_filter("e")} AND e.account_id = ANY($ACCOUNTS)
             GROUP BY 1, 2, 3""",
        accounts,
        bucket=bucket,
    )
    rows = []
    if sums is not None:
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH s AS ({sums}) SELECT s.account_id, s.dim, s.day, s.total, {code}, {name} FROM s {join}",
                query.params,
            )
            rows = cursor.fetchall()
    query.load_rates((accounts[account_id].currency, day) for account_id, _d, day, *_rest in rows)

    periods = periods_between(date_from, date_to, period)
    column_of = {p.start if period is None else _bucket(p.start, period): n for n, p in enumerate(periods)}
    exact: dict[tuple[str, object], list[Decimal]] = defaultdict(lambda: [ZERO] * len(periods))
    labels: dict[tuple[str, object], tuple[str, str]] = {}
    for account_id, dimension, day, total, line_code, line_name in rows:
        account = accounts[account_id]
        key = (account.type, dimension)
        column = 0 if period is None else column_of[_bucket(day, period)]
        exact[key][column] += query.exact(total, account.currency, day) * natural_sign(account.type)
        if group_by == "account":
            line_code, line_name = account.code, account.name
        labels[key] = (line_code or "", line_name if dimension is not None else str(_NONE_LABEL[group_by]))

    def section(kind: str, title: str) -> ProfitAndLossSection:
        # Natural sign made both kinds positive when normal; income shows credits, expenses debits.
        keys = [key for key in exact if key[0] == kind]
        if group_by == "account":
            keys.sort(key=lambda k: labels[k])
        else:
            keys.sort(key=lambda k: (k[1] is None, labels[k][1].casefold()))
        lines = []
        for key in keys:
            amounts = tuple(query.round(value) for value in exact[key])
            lines.append(
                ReportLine(
                    key=f"{group_by}:{key[1] if key[1] is not None else 'none'}",
                    code=labels[key][0],
                    label=labels[key][1],
                    amounts=amounts,
                    total=query.total(amounts),
                )
            )
        amounts = tuple(query.total(line.amounts[n] for line in lines) for n in range(len(periods)))
        return ProfitAndLossSection(kind, title, tuple(lines), amounts, query.total(amounts))

    income = section(AccountType.INCOME, _("Income"))
    expenses = section(AccountType.EXPENSE, _("Expenses"))
    net = tuple(i - x for i, x in zip(income.amounts, expenses.amounts, strict=True))
    return ProfitAndLoss(
        header=query.header(),
        group_by=group_by,
        period=period,
        periods=tuple(periods),
        income=income,
        expenses=expenses,
        net=net,
        net_total=query.total(net),
    )
