"""Balance sheet at a date: assets = liabilities + equity + current earnings.

Every account's balance through the date, with its natural sign (assets, liabilities and equity positive
when normal). Income and expense accounts are not closed into equity by the ledger, so their balance
through the date (income minus expenses since the books began) is shown as "current earnings" on the
equity side. The entries of every transaction sum to zero per currency, so the identity holds exactly in
each currency; in the reporting currency each entry is converted at its own date's rate (historical cost:
there is no revaluation at the closing rate, and exchange differences stay in the exchange accounts, which
are equity), and the rounding of the shown cells is reported as its own line.
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

from ..models import AccountType, natural_sign
from .base import ZERO, ReportFilters, ReportHeader, ReportQuery, sum_cells
from .tables import AMOUNT, MONEY, Column, Table


@dataclass(frozen=True)
class AccountLine:
    """An account's balance with its natural sign: ``native`` in the account's currency, ``amount`` in the
    report currency (rounded)."""

    account_id: int
    code: str
    name: str
    type: str
    currency: str
    native: Decimal
    amount: Decimal
    precision: int = 2  # of the account's currency

    @property
    def own_format(self) -> str:
        """``floatformat`` argument for ``native``: its currency's decimals, grouped."""
        return f"{self.precision}g"


@dataclass(frozen=True)
class BalanceSheetSection:
    type: str
    title: str
    lines: tuple[AccountLine, ...]
    total: Decimal


@dataclass(frozen=True)
class BalanceSheet:
    header: ReportHeader
    assets: BalanceSheetSection
    liabilities: BalanceSheetSection
    equity: BalanceSheetSection
    earnings: Decimal  # income minus expenses through the date, not closed into equity
    difference: Decimal  # the rounding of converted cells (or, under tag filters, what does not balance)
    difference_label: str
    liabilities_and_equity: Decimal  # liabilities + equity + earnings + difference == assets

    @property
    def sections(self) -> tuple[BalanceSheetSection, ...]:
        return (self.assets, self.liabilities, self.equity)

    def table(self) -> Table:
        columns = [
            Column(pgettext("report", "Section")),
            Column(_("Code")),
            Column(_("Account")),
            Column(_("Currency")),
            Column(_("Balance in account currency"), AMOUNT),
            Column(_("Amount"), MONEY),
        ]
        rows = []
        for section in self.sections:
            for line in section.lines:
                rows.append([section.title, line.code, line.name, line.currency, line.native, line.amount])
            if section.type == AccountType.EQUITY:
                rows.append([section.title, "", _("Current earnings"), "", "", self.earnings])
                if self.difference:
                    rows.append([section.title, "", self.difference_label, "", "", self.difference])
            rows.append([section.title, "", _("Total"), "", "", section.total + self._equity_extra(section)])
        rows.append(["", "", _("Liabilities, equity and earnings"), "", "", self.liabilities_and_equity])
        return Table(
            title=_("Balance sheet"),
            columns=columns,
            rows=rows,
            precision=self.header.precision,
            filename="balance-sheet",
        )

    def _equity_extra(self, section: BalanceSheetSection) -> Decimal:
        return self.earnings + self.difference if section.type == AccountType.EQUITY else ZERO

    @property
    def equity_total(self) -> Decimal:
        """Equity with the current earnings and the difference line, as the equity section's total shows."""
        return self.equity.total + self.earnings + self.difference


def difference_label(query: ReportQuery, exact_imbalance: Decimal) -> str:
    if query.filters and query.round(exact_imbalance) != 0:
        return _("Not balanced: the filters keep only some legs of some transactions")
    return _("Conversion rounding")


def balance_sheet(
    *,
    organization: Organization | int,
    date_to: dt.date,
    date_from: dt.date | None = None,
    filters: ReportFilters | None = None,
    currency: str | None = None,
) -> BalanceSheet:
    """Balances of every account through ``date_to`` (``date_from`` is accepted and ignored: a balance
    sheet is at a date)."""
    query = ReportQuery(organization=organization, date_from=None, date_to=date_to, filters=filters, currency=currency)
    accounts = query.accounts()
    sql = query.by_account(
        f"""SELECT e.account_id, $DAY AS day, sum(e.amount) AS total
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
    query.load_rates((accounts[account_id].currency, day) for account_id, day, _total in rows)

    exact: dict[int, Decimal] = defaultdict(lambda: ZERO)
    native: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for account_id, day, total in rows:
        exact[account_id] += query.exact(total, accounts[account_id].currency, day)
        native[account_id] += Decimal(total)

    def section(account_type: str, title: str) -> BalanceSheetSection:
        sign = natural_sign(account_type)
        lines = tuple(
            AccountLine(
                account_id=account.id,
                code=account.code,
                name=account.name,
                type=account.type,
                currency=account.currency,
                native=account.own(native[account.id] * sign),
                amount=query.round(exact[account.id] * sign),
                precision=account.precision,
            )
            for account in accounts.values()  # by code
            if account.type == account_type and (native[account.id] or exact[account.id])
        )
        return BalanceSheetSection(account_type, title, lines, query.total(line.amount for line in lines))

    assets = section(AccountType.ASSET, _("Assets"))
    liabilities = section(AccountType.LIABILITY, _("Liabilities"))
    equity = section(AccountType.EQUITY, _("Equity"))
    # Income is credit-normal: its raw balance is negative when the business earned.
    earnings = -query.round(
        sum_cells(exact[a.id] for a in accounts.values() if a.type in (AccountType.INCOME, AccountType.EXPENSE))
    )
    difference = assets.total - (liabilities.total + equity.total + earnings)
    return BalanceSheet(
        header=query.header(),
        assets=assets,
        liabilities=liabilities,
        equity=equity,
        earnings=earnings,
        difference=difference,
        difference_label=difference_label(query, sum_cells(exact.values())),
        liabilities_and_equity=liabilities.total + equity.total + earnings + difference,
    )
