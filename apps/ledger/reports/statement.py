"""Account statement: the entries of one account in a period, each with the running balance after it.

The opening balance (everything before the period) comes from the stored balance minus the entries from
the start date on, so a statement of recent weeks reads only those weeks however long the account's
history; with tag filters it is the sum of the filtered entries before the period instead. The running
balance is a window sum in PostgreSQL, in the order (date, entry id). Rows are read lazily: ``len()``
counts, a slice runs one page (LIMIT/OFFSET), iterating streams them from a server-side cursor.

Amounts are in the account's own currency, and balances carry the account type's natural sign (a loan
owed shows positive). In the reporting currency (the default when the account holds another one), each row
also shows its amount converted at its date's rate, and the converted running balance is rounded from the
exact cumulative sum: a row's converted amount is the difference of two rounded balances, so the column
foots and never drifts from the exact total by more than half a minor unit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count, F, Q, RowRange, Sum, Window
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _

from apps.core.models import Organization

from ..models import Account, Transaction, TransactionEntry, natural_sign
from .base import ZERO, ReportFilters, ReportHeader, ReportQuery
from .tables import DATE, MONEY, NUMBER, Column, Table

CHUNK = 2000


@dataclass(frozen=True)
class StatementAccount:
    id: int
    code: str
    name: str
    type: str
    currency: str
    precision: int

    def own(self, amount: Decimal) -> Decimal:
        """An amount in the account's currency with that currency's decimals (exact, see AccountInfo.own)."""
        return Decimal(amount).quantize(Decimal(1).scaleb(-self.precision))


@dataclass(frozen=True)
class StatementRow:
    entry_id: int
    transaction_id: int
    date: dt.date
    kind: str
    description: str
    memo: str
    counterparty: str
    project: str
    category: str
    debit: Decimal | None  # in the account's currency
    credit: Decimal | None
    balance: Decimal  # after this entry, natural sign, in the account's currency
    converted_amount: Decimal | None = None  # debit positive, in the report currency (when converting)
    converted_balance: Decimal | None = None  # natural sign, in the report currency


class StatementRows:
    """The statement's rows, read lazily (see the module docstring)."""

    def __init__(self, statement: AccountStatement, queryset, count: int, query: ReportQuery, opening_exact: Decimal):
        self._statement = statement
        self._queryset = queryset
        self._count = count
        self._query = query
        self._opening_exact = opening_exact  # converted, debit positive, before the period

    def count(self) -> int:
        return self._count

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index):
        if not isinstance(index, slice) or index.step not in (None, 1):
            raise TypeError("Statement rows are read in pages: slice them.")
        start, stop = index.start or 0, self._count if index.stop is None else index.stop
        if start >= stop:
            return []
        raw = list(self._queryset[start:stop])
        cumulative = self._opening_exact + self._prefix_exact(start) if self._converting else None
        return list(self._rows(raw, cumulative))

    def __iter__(self) -> Iterator[StatementRow]:
        cumulative = self._opening_exact if self._converting else None
        chunk = []
        for values in self._queryset.iterator(chunk_size=CHUNK):
            chunk.append(values)
            if len(chunk) == CHUNK:
                rows = list(self._rows(chunk, cumulative))
                cumulative = self._last_cumulative
                yield from rows
                chunk = []
        if chunk:
            yield from self._rows(chunk, cumulative)

    @property
    def _converting(self) -> bool:
        return self._statement.converted_opening is not None

    def _prefix_exact(self, offset: int) -> Decimal:
        """The converted sum of the first ``offset`` rows of the period, exact."""
        if offset <= 0:
            return ZERO
        currency = self._statement.account.currency
        prefix = self._queryset.values_list("date", "amount")[:offset]
        with connection.cursor() as cursor:
            sql, params = prefix.query.sql_with_params()
            cursor.execute(f"SELECT p.date, sum(p.amount) FROM ({sql}) p GROUP BY p.date", params)
            sums = cursor.fetchall()
        days = {day for day, _total in sums}
        self._query.load_rates((currency, day) for day in days)
        return sum((self._query.exact(total, currency, day) for day, total in sums), ZERO)

    def _rows(self, raw: list, cumulative: Decimal | None) -> Iterator[StatementRow]:
        account = self._statement.account
        sign = natural_sign(account.type)
        opening_raw = self._statement.opening * sign
        if cumulative is not None:
            self._query.load_rates((account.currency, values[2]) for values in raw)
            shown = self._query.round(cumulative)
        for (
            entry_id,
            transaction_id,
            day,
            kind,
            description,
            memo,
            counterparty,
            project,
            category,
            amount,
            running,
        ) in raw:
            converted_amount = converted_balance = None
            if cumulative is not None:
                cumulative += self._query.exact(amount, account.currency, day)
                balance = self._query.round(cumulative)
                converted_amount, shown = balance - shown, balance
                converted_balance = balance * sign
            yield StatementRow(
                entry_id=entry_id,
                transaction_id=transaction_id,
                date=day,
                kind=kind,
                description=description,
                memo=memo,
                counterparty=counterparty or "",
                project=project or "",
                category=category or "",
                debit=account.own(amount) if amount > 0 else None,
                credit=account.own(-amount) if amount < 0 else None,
                balance=account.own((opening_raw + running) * sign),
                converted_amount=converted_amount,
                converted_balance=converted_balance,
            )
        self._last_cumulative = cumulative


@dataclass
class AccountStatement:
    header: ReportHeader
    account: StatementAccount
    opening: Decimal  # natural sign, account currency
    debit: Decimal  # totals of the period, account currency
    credit: Decimal
    closing: Decimal
    count: int
    converted_opening: Decimal | None  # in the report currency, natural sign; None when not converting
    converted_closing: Decimal | None
    rows: StatementRows | None = None

    @property
    def converting(self) -> bool:
        """Whether rows carry amounts converted into the report currency (a foreign account, converted)."""
        return self.converted_opening is not None

    def table(self) -> Table:
        own = self.account.precision
        columns = [
            Column(_("Date"), DATE),
            Column(_("Transaction"), NUMBER),
            Column(_("Kind")),
            Column(_("Description")),
            Column(_("Memo")),
            Column(_("Counterparty")),
            Column(_("Project")),
            Column(_("Category")),
            Column(_("Debit"), MONEY, own),
            Column(_("Credit"), MONEY, own),
            Column(_("Balance"), MONEY, own),
        ]
        converting = self.converted_opening is not None
        if converting:
            currency = self.header.currency
            columns += [
                Column(_("Amount, {currency}").format(currency=currency), MONEY),
                Column(_("Balance, {currency}").format(currency=currency), MONEY),
            ]

        kinds = dict(Transaction.Kind.choices)

        def rows():
            extra = [None, self.converted_opening] if converting else []
            yield [
                self.header.date_from,
                None,
                "",
                _("Opening balance"),
                "",
                "",
                "",
                "",
                None,
                None,
                self.opening,
                *extra,
            ]
            for row in self.rows:
                extra = [row.converted_amount, row.converted_balance] if converting else []
                yield [
                    row.date,
                    row.transaction_id,
                    str(kinds.get(row.kind, row.kind)),
                    row.description,
                    row.memo,
                    row.counterparty,
                    row.project,
                    row.category,
                    row.debit,
                    row.credit,
                    row.balance,
                    *extra,
                ]
            extra = [None, self.converted_closing] if converting else []
            yield [
                self.header.date_to,
                None,
                "",
                _("Closing balance"),
                "",
                "",
                "",
                "",
                self.debit,
                self.credit,
                self.closing,
                *extra,
            ]

        return Table(
            title=_("Statement of {code} {name}").format(code=self.account.code, name=self.account.name),
            columns=columns,
            rows=rows(),
            precision=self.header.precision,
            filename=f"statement-{self.account.code}",
        )


def account_statement(
    *,
    organization: Organization | int,
    account: Account | int,
    date_from: dt.date | None,
    date_to: dt.date,
    filters: ReportFilters | None = None,
    currency: str | None = None,
) -> AccountStatement:
    """The statement of ``account`` (which must belong to ``organization``: ``Account.DoesNotExist``
    otherwise). ``currency``: ``None`` adds the reporting-currency columns when the account holds another
    currency; the account's own code shows it alone; any other code is refused."""
    query = ReportQuery(
        organization=organization, date_from=date_from, date_to=date_to, filters=filters, currency=currency
    )
    account_id = getattr(account, "pk", account)
    row = (
        Account.objects.filter(organization_id=query.organization.pk, pk=account_id)
        .values_list("id", "code", "name", "type", "currency_id", "currency__precision")
        .get()
    )
    info = StatementAccount(*row)
    if not query.converted and currency != info.currency:
        raise ValidationError(
            {"currency": _("Account {code} holds {currency}.").format(code=info.code, currency=info.currency)}
        )
    converting = query.converted and info.currency != query.currency
    sign = natural_sign(info.type)

    entries = TransactionEntry.objects.filter(organization_id=query.organization.pk, account_id=info.id)
    filters = query.filters
    if filters.project is not None:
        entries = entries.filter(project_id=filters.project)
    if filters.counterparty is not None:
        entries = entries.filter(counterparty_id=filters.counterparty)
    if filters.category is not None:
        tree = query.category_filter("id").removeprefix("id IN ")
        tree_sql = tree.replace("%(category)s", "%s").replace("%(org)s", "%s")
        entries = entries.filter(category_id__in=RawSQL(tree_sql, [filters.category, query.organization.pk]))

    period = entries.filter(date__lte=date_to)
    if date_from is not None:
        period = period.filter(date__gte=date_from)
    # One statement: the period's count and totals, and the opening (stored balance minus what follows the
    # start, or with tag filters the filtered entries before the start).
    totals_sql, totals_params = (
        period.values("account_id")
        .order_by()
        .annotate(n=Count("id"), debit=_sum_if("gt"), credit=_sum_if("lt"))
        .values_list("n", "debit", "credit")
        .query.sql_with_params()
    )
    if date_from is None:
        opening_sql, opening_params = "SELECT 0", []
    elif filters:
        opening_sql, opening_params = (
            entries.filter(date__lt=date_from).values("account_id").order_by().annotate(s=Sum("amount")).values("s")
        ).query.sql_with_params()
    else:
        after_sql, after_params = (
            entries.filter(date__gte=date_from).values("account_id").order_by().annotate(s=Sum("amount")).values("s")
        ).query.sql_with_params()
        opening_sql = (
            f"SELECT b.balance - coalesce(({after_sql}), 0) FROM ledger_accountbalance b WHERE b.account_id = %s"
        )
        opening_params = [*after_params, info.id]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT t.n, t.debit, t.credit, ({opening_sql}) FROM (SELECT 1) one LEFT JOIN ({totals_sql}) t ON true",
            [*opening_params, *totals_params],  # in the order they appear,
        )
        count, debit, credit, opening_raw = cursor.fetchone()
    count, debit, credit = count or 0, info.own(debit or 0), info.own(-Decimal(credit or 0))
    opening_raw = info.own(opening_raw or 0)

    converted_opening = converted_closing = None
    opening_exact = ZERO
    if converting:
        opening_exact = _converted_sum(query, info.currency, entries.filter(date__lt=date_from)) if date_from else ZERO
        closing_exact = opening_exact + _converted_sum(query, info.currency, period)
        converted_opening = query.round(opening_exact) * sign
        converted_closing = query.round(closing_exact) * sign

    statement = AccountStatement(
        header=query.header(),
        account=info,
        opening=opening_raw * sign,
        debit=debit,
        credit=credit,
        closing=(opening_raw + debit - credit) * sign,
        count=count,
        converted_opening=converted_opening,
        converted_closing=converted_closing,
    )
    running = Window(Sum("amount"), order_by=[F("date").asc(), F("id").asc()], frame=RowRange(start=None, end=0))
    queryset = (
        period.annotate(running=running)
        .order_by("date", "id")
        .values_list(
            "id",
            "transaction_id",
            "date",
            "transaction__kind",
            "transaction__description",
            "memo",
            "counterparty__name",
            "project__name",
            "category__name",
            "amount",
            "running",
        )
    )
    statement.rows = StatementRows(statement, queryset, count, query, opening_exact)
    return statement


def _sum_if(comparison: str) -> Sum:
    return Sum("amount", filter=Q(**{f"amount__{comparison}": 0}))


def _converted_sum(query: ReportQuery, currency: str, entries) -> Decimal:
    sums = list(entries.values("date").order_by().annotate(s=Sum("amount")).values_list("date", "s"))
    query.load_rates((currency, day) for day, _total in sums)
    return sum((query.exact(total, currency, day) for day, total in sums), ZERO)
