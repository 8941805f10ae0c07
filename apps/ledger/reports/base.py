"""What every report shares: the organization and period it covers, its filters, the currency its amounts
are in, the exchange rates that convert into it, and where rounding happens.

**Currency.** A report is in one currency. By default that is the organization's reporting currency and
every entry counts, converted at the rate of its own date, chosen by the rule of
:func:`apps.core.selectors.fx_rate_for`: the latest rate on or before that date between the two
currencies, either way round, from the organization's own rates or the public ones; when both have a rate
for that same date the organization's own wins (it is what the business actually got), and a later public
rate still beats an older own rate; an inverse rate, or a cross rate through RUB, is rounded to 12 places.
A missing rate is an error (:class:`MissingRate`) naming the pair and the date, never a silent zero.
Alternatively a report can be asked for one currency "as is" (``currency="USD"``): then only the entries
held in USD count, and nothing is converted.

**Aggregation.** Entries are summed in SQL, grouped by what the report shows and, for an entry in a
foreign currency, by its date (the rate depends on it). The sums are converted in Python with 60
significant digits, so the conversion itself rounds nothing.

**Rounding.** Each cell a report shows is rounded once, half-even, to the report currency's precision;
totals and subtotals add the rounded cells, so every column foots. Where the books guarantee an identity
(the balance sheet balances, trial-balance debits equal credits), the rounding of the cells can leave a few
minor units over: the report shows that as its own "conversion rounding" line instead of hiding it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, localcontext

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from apps.core.language.formatting import format_date
from apps.core.models import Currency, Organization
from apps.core.money.amounts import round_to
from apps.core.selectors import FX_PIVOT, FX_RATE_PLACES

ZERO = Decimal(0)
THINGS = {
    "project": pgettext_lazy("filter", "project"),
    "category": pgettext_lazy("filter", "category"),
    "counterparty": pgettext_lazy("filter", "counterparty"),
}
# Enough digits that multiplying a sum (28 digits) by a rate (28 digits) never rounds.
CONVERSION_DIGITS = 60


class MissingRate(ValidationError):
    """No rate converts ``base`` into ``quote`` on or before ``date``."""

    def __init__(self, base: str, quote: str, date: dt.date):
        self.base, self.quote, self.date = base, quote, date
        super().__init__(
            _(
                "No exchange rate from {base} to {quote} on or before {date} (nor through RUB): enter one (the "
                "organization's own or a public rate) or ask for the report in {base} only."
            ).format(base=base, quote=quote, date=format_date(date)),
            code="missing_rate",
        )


@dataclass(frozen=True)
class ReportFilters:
    """Optional narrowing of the entries a report counts. A category includes its subcategories."""

    project: int | None = None
    category: int | None = None
    counterparty: int | None = None

    def __bool__(self) -> bool:
        return any(value is not None for value in (self.project, self.category, self.counterparty))


NO_FILTERS = ReportFilters()


@dataclass(frozen=True)
class ReportHeader:
    """What a report covers, for its title and for the files it is downloaded as."""

    organization: str
    date_from: dt.date | None
    date_to: dt.date
    currency: str
    precision: int
    converted: bool  # True: every entry converted into ``currency``; False: only entries held in it
    filters: dict[str, str] = field(default_factory=dict)  # {"project": "Website", …}, for display


def _organization(organization: Organization | int) -> Organization:
    if isinstance(organization, Organization):
        return organization
    return Organization.objects.only("id", "name", "reporting_currency_id", "time_zone").get(pk=organization)


@dataclass(frozen=True)
class AccountInfo:
    id: int
    code: str
    name: str
    type: str
    currency: str
    parent_id: int | None
    precision: int  # of its currency
    purpose: str

    def own(self, amount: Decimal) -> Decimal:
        """An amount in the account's currency written with that currency's decimals (exact: the database
        refuses amounts with more)."""
        return Decimal(amount).quantize(Decimal(1).scaleb(-self.precision))


class ReportQuery:
    """One report's organization, period, filters and currency, with the SQL fragments and parameters that
    select its entries and the rates that convert their sums.

    SQL fragments use named parameters (``%(org)s``…); :attr:`params` holds their values, and a report adds
    its own before running its statement.
    """

    def __init__(
        self,
        *,
        organization: Organization | int,
        date_from: dt.date | None,
        date_to: dt.date,
        filters: ReportFilters | None = None,
        currency: str | None = None,
    ):
        self.organization = _organization(organization)
        if date_from is not None and date_to is not None and date_from > date_to:
            raise ValidationError({"date_from": _("The start date must not be after the end date.")})
        self.date_from = date_from
        self.date_to = date_to
        self.filters = filters or NO_FILTERS
        target = currency or self.organization.reporting_currency_id
        precision = Currency.objects.filter(code=target).values_list("precision", flat=True).first()
        if precision is None:
            raise ValidationError({"currency": _("Unknown currency {code}.").format(code=target)})
        self.currency = target
        self.precision = precision
        self.converted = currency is None
        self.params: dict = {
            "org": self.organization.pk,
            "date_from": date_from,
            "date_to": date_to,
            "currency": target,
            "project": self.filters.project,
            "category": self.filters.category,
            "counterparty": self.filters.counterparty,
        }
        self._rates: dict[tuple[str, dt.date], Decimal] = {}
        self._filter_labels = self._check_filters()

    # --- SQL ---------------------------------------------------------------------------------------------

    def entry_filter(self, alias: str = "e", *, dates: str = "range", category: bool = True) -> str:
        """``AND …`` conditions on entries ``alias``: organization, dates, tags and, unconverted, currency.

        ``dates`` is ``"range"`` (date_from..date_to), ``"through"`` (up to date_to) or ``"before"`` (before
        date_from). ``category=False`` leaves the category filter to the caller (:meth:`category_filter`).
        """
        e = alias
        parts = [f"{e}.organization_id = %(org)s"]
        if dates == "range":
            if self.date_from is not None:
                parts.append(f"{e}.date >= %(date_from)s")
            parts.append(f"{e}.date <= %(date_to)s")
        elif dates == "through":
            parts.append(f"{e}.date <= %(date_to)s")
        elif dates == "before":
            parts.append(f"{e}.date < %(date_from)s")
        if self.filters.project is not None:
            parts.append(f"{e}.project_id = %(project)s")
        if self.filters.counterparty is not None:
            parts.append(f"{e}.counterparty_id = %(counterparty)s")
        if category and self.filters.category is not None:
            parts.append(self.category_filter(f"{e}.category_id"))
        if not self.converted:
            parts.append(f"{e}.currency_id = %(currency)s")
        return " AND ".join(parts)

    def category_filter(self, column: str) -> str:
        """``column`` is the filtered category or one of its subcategories."""
        return (
            f"{column} IN (WITH RECURSIVE tree(id) AS ("
            " SELECT id FROM ledger_category WHERE id = %(category)s AND organization_id = %(org)s"
            " UNION ALL SELECT c.id FROM ledger_category c JOIN tree t ON c.parent_id = t.id)"
            " SELECT id FROM tree)"
        )

    def accounts(self, *, types: Iterable[str] | None = None, all_currencies: bool = False) -> dict[int, AccountInfo]:
        """The organization's accounts (of these types) that the report can count: all of them when
        converting (or with ``all_currencies``), else those held in the report currency. One query; reports
        aggregate by account id and take names, types and currencies from here."""
        from ..models import Account

        accounts = Account.objects.filter(organization_id=self.organization.pk)
        if types is not None:
            accounts = accounts.filter(type__in=list(types))
        if not self.converted and not all_currencies:
            accounts = accounts.filter(currency_id=self.currency)
        rows = accounts.order_by("code").values_list(
            "id", "code", "name", "type", "currency_id", "parent_id", "currency__precision", "purpose"
        )
        return {row[0]: AccountInfo(*row) for row in rows}

    def by_account(self, template: str, accounts: dict[int, AccountInfo], *, bucket: str = "NULL::date") -> str | None:
        """``template`` (a SELECT … GROUP BY over entries) once for the accounts in the report currency and
        once for those in other currencies, as one UNION ALL; ``None`` when there is no account.

        In the template, ``$ACCOUNTS`` stands for the array parameter of account ids and ``$DAY`` for the
        grouping date: ``bucket`` for accounts in the report currency (NULL, or a period's first day), the
        entry's date for the others, whose rate depends on it. Splitting by account rather than grouping by
        a CASE on the currency keeps the planner's row estimates right and the common case (everything in
        the reporting currency) a plain aggregate by account.
        """
        native = [pk for pk, account in accounts.items() if account.currency == self.currency]
        foreign = [pk for pk, account in accounts.items() if account.currency != self.currency]
        self.params["native_accounts"], self.params["foreign_accounts"] = native, foreign
        parts = []
        if native:
            parts.append(template.replace("$ACCOUNTS", "%(native_accounts)s").replace("$DAY", bucket))
        if foreign:
            parts.append(template.replace("$ACCOUNTS", "%(foreign_accounts)s").replace("$DAY", "e.date"))
        return " UNION ALL ".join(f"({part})" for part in parts) or None

    def rate_day(self, alias: str = "e", *, native: str = "NULL::date") -> str:
        """The column to group by for conversion: the entry's date when its currency is foreign (its rate
        depends on it), else ``native`` (NULL, or a period bucket the report wants)."""
        if not self.converted:
            return native
        return f"CASE WHEN {alias}.currency_id = %(currency)s THEN {native} ELSE {alias}.date END"

    # --- conversion ----------------------------------------------------------------------------------------

    def needs_rate(self, currency: str, day: dt.date | None) -> bool:
        return self.converted and currency != self.currency and day is not None

    def load_rates(self, pairs: Iterable[tuple[str, dt.date | None]]) -> None:
        """Fetch, in one query, the rates for these (currency, day) pairs; raise :class:`MissingRate` for the
        first pair (by date) that has none.

        The rule is :func:`apps.core.selectors.fx_rate_for`'s, applied to many dates at once: the latest
        stored rate between the two currencies either way round; on one date the organization's own, then
        a direct one, then the last recorded; an inverse or a cross rate through RUB (when neither currency
        is RUB and its older leg is later than the pair's own rate) is rounded half-even to 12 places once.
        """
        wanted = sorted(
            {(c, d) for c, d in pairs if self.needs_rate(c, d) and (c, d) not in self._rates},
            key=lambda p: (p[1], p[0]),
        )
        if not wanted:
            return
        lookups = set()
        for currency, day in wanted:
            lookups.add((currency, self.currency, day))
            if FX_PIVOT not in (currency, self.currency):
                lookups.update({(currency, FX_PIVOT, day), (self.currency, FX_PIVOT, day)})
        lookups = sorted(lookups, key=lambda lookup: (lookup[2], lookup[0], lookup[1]))
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT n.one, n.other, n.day, r.base_id, r.rate, r.date
                  FROM unnest(%(ones)s::text[], %(others)s::text[], %(days)s::date[]) AS n(one, other, day)
                  LEFT JOIN LATERAL (
                        SELECT f.base_id, f.rate, f.date
                          FROM core_fxrate f
                         WHERE ((f.base_id = n.one AND f.quote_id = n.other)
                                OR (f.base_id = n.other AND f.quote_id = n.one))
                           AND f.date <= n.day
                           AND (f.organization_id = %(org)s OR f.organization_id IS NULL)
                         ORDER BY f.date DESC, f.organization_id IS NULL, f.base_id <> n.one,
                                  f.created_at DESC, f.id DESC
                         LIMIT 1) r ON true
                """,
                {
                    "ones": [one for one, _other, _day in lookups],
                    "others": [other for _one, other, _day in lookups],
                    "days": [day for _one, _other, day in lookups],
                    "org": self.organization.pk,
                },
            )
            best = {
                (one, other, day): (base, Decimal(rate), rate_date)
                for one, other, day, base, rate, rate_date in cursor.fetchall()
                if base is not None
            }

        def towards(found, base: str) -> Decimal:
            stored_base, rate, _date = found
            return rate if stored_base == base else Decimal(1) / rate

        for currency, day in wanted:
            rate = rate_date = None
            pair = best.get((currency, self.currency, day))
            if pair is not None:
                rate_date = pair[2]
                rate = pair[1] if pair[0] == currency else round_to(towards(pair, currency), FX_RATE_PLACES)
            if FX_PIVOT not in (currency, self.currency) and (rate_date is None or rate_date < day):
                leg_base, leg_quote = best.get((currency, FX_PIVOT, day)), best.get((self.currency, FX_PIVOT, day))
                if leg_base is not None and leg_quote is not None:
                    cross_date = min(leg_base[2], leg_quote[2])
                    if rate_date is None or cross_date > rate_date:
                        rate = round_to(towards(leg_base, currency) / towards(leg_quote, self.currency), FX_RATE_PLACES)
            if rate is None:
                raise MissingRate(currency, self.currency, day)
            if rate <= 0:
                raise ValidationError(
                    _("The rate for {base}/{quote} on {date} is below 0.000000000001 and cannot be used.").format(
                        base=currency, quote=self.currency, date=day.isoformat()
                    ),
                    code="fx_rate_too_small",
                )
            self._rates[(currency, day)] = rate

    def exact(self, amount, currency: str, day: dt.date | None) -> Decimal:
        """``amount`` (a sum in ``currency``) in the report currency, unrounded. Rates must be loaded."""
        amount = Decimal(amount or 0)
        if not self.needs_rate(currency, day):
            return amount
        with localcontext() as context:
            context.prec = CONVERSION_DIGITS
            return amount * self._rates[(currency, day)]

    def round(self, amount: Decimal) -> Decimal:
        """The one rounding of a report cell: half-even to the report currency's precision."""
        return round_to(Decimal(amount), self.precision)

    def total(self, cells: Iterable[Decimal]) -> Decimal:
        """The sum of shown (already rounded) cells, written with the currency's decimals ("0.00", not "0")."""
        return self.round(sum_cells(cells))

    # --- header --------------------------------------------------------------------------------------------

    def header(self) -> ReportHeader:
        return ReportHeader(
            organization=self.organization.name,
            date_from=self.date_from,
            date_to=self.date_to,
            currency=self.currency,
            precision=self.precision,
            converted=self.converted,
            filters=self._filter_labels,
        )

    def _check_filters(self) -> dict[str, str]:
        """The names of the filtered project, category and counterparty; a ValidationError naming the field
        for an id that is not the organization's (another organization's row is simply not found)."""
        if not self.filters:
            return {}
        wanted = [
            (name, table, value)
            for name, table, value in (
                ("project", "ledger_project", self.filters.project),
                ("category", "ledger_category", self.filters.category),
                ("counterparty", "ledger_counterparty", self.filters.counterparty),
            )
            if value is not None
        ]
        sql = " UNION ALL ".join(
            f"SELECT '{name}', name FROM {table} WHERE id = %(id_{name})s AND organization_id = %(org)s"
            for name, table, _value in wanted
        )
        params = {"org": self.organization.pk, **{f"id_{name}": value for name, _table, value in wanted}}
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            labels = dict(cursor.fetchall())
        unknown = {
            name: _("No such {thing} in this organization.").format(thing=THINGS[name])
            for name, _table, _value in wanted
            if name not in labels
        }
        if unknown:
            raise ValidationError(unknown)
        return {name: labels[name] for name, _table, _value in wanted}


def sum_cells(values: Iterable[Decimal]) -> Decimal:
    total = ZERO
    for value in values:
        total += value
    return total
