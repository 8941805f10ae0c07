"""The books at a glance: cash by account, income against expenses by month (an SVG chart drawn here, no
network), top categories, open receivables and payables, recent transactions.

One organization at a time. The same figures feed the page (/ru/ledger/), its live refresh (the page asks
for fresh sections when the organization's stream says ``ledger.balances_changed``) and the panel on the
admin home. Amounts are never added across currencies: every figure carries its currency.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch, Q, Sum
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.accounts.tenancy import memberships, organization_ids, scope
from apps.core.language.formatting import format_money
from apps.core.models import Currency, Organization
from apps.core.money.amounts import decimals_of

from .models import Account, AccountType, Transaction, TransactionEntry, natural_sign

ZERO = Decimal(0)
DEFAULT_MONTHS = 6
MAX_MONTHS = 24
TOP_CATEGORIES = 5
RECENT_TRANSACTIONS = 8


def money(amount, precision: int, currency: str | None = None) -> str:
    """A localized amount ("1 500,00 RUB" in Russian). Never rounded away: an amount with more decimals than
    its currency's (a mistyped line) shows them all."""
    return format_money(amount, currency, precision=precision)


def _month_start(day: dt.date, back: int = 0) -> dt.date:
    index = day.year * 12 + day.month - 1 - back
    return dt.date(index // 12, index % 12 + 1, 1)


def visible_organizations(user):
    """The organizations whose books ``user`` may read, by name."""
    return scope(Organization.objects.all(), user).order_by("name", "pk")


def pick_organization(user, slug: str | None = None) -> Organization | None:
    """The organization a page shows: the one named by ``slug`` if the user may read it, else the first of
    theirs. ``None`` when the slug names one they may not read, or they have none."""
    organizations = visible_organizations(user).select_related("reporting_currency")
    if slug:
        return organizations.filter(slug=slug).first()
    ids = organization_ids(user)
    if ids is None:  # a superuser: their own memberships first, else any organization
        own = memberships(user)
        if own:
            return organizations.filter(pk__in=list(own)).first()
    return organizations.first()


# --- figures ----------------------------------------------------------------------------------------------


@dataclass
class Figure:
    label: str
    amount: Decimal
    currency: str
    precision: int
    account_id: int | None = None
    url: str | None = None

    @property
    def text(self) -> str:
        return money(self.amount, self.precision, self.currency)

    @property
    def negative(self) -> bool:
        return self.amount < 0


def _totals(figures: list[Figure]) -> list[Figure]:
    totals: dict[str, Figure] = {}
    for figure in figures:
        total = totals.setdefault(
            figure.currency, Figure(label=_("Total"), amount=ZERO, currency=figure.currency, precision=figure.precision)
        )
        total.amount += figure.amount
    return list(totals.values())


def _account_figures(organization_id: int, purposes: list[str]) -> list[Figure]:
    accounts = (
        Account.objects.filter(organization_id=organization_id, purpose__in=purposes)
        .filter(Q(is_active=True) | ~Q(balance_row__balance=0))
        .select_related("balance_row")
        .order_by("currency_id", "code")
    )
    return [
        Figure(
            label=f"{account.code} {account.name}",
            amount=natural_sign(account.type) * account.balance_row.balance,
            currency=account.currency_id,
            precision=account.balance_row.precision,
            account_id=account.pk,
            url=reverse("admin:ledger_transaction_changelist") + f"?account={account.pk}",
        )
        for account in accounts
    ]


def cash_by_account(organization_id: int) -> dict:
    accounts = _account_figures(organization_id, [Account.Purpose.CASH])
    return {"accounts": accounts, "totals": _totals(accounts)}


@dataclass
class MonthRow:
    month: dt.date
    currency: str
    precision: int
    income: Decimal = ZERO
    expense: Decimal = ZERO

    @property
    def label(self) -> str:
        return date_format(self.month, "YEAR_MONTH_FORMAT")

    @property
    def result(self) -> Decimal:
        return self.income - self.expense

    @property
    def income_text(self) -> str:
        return money(self.income, self.precision, self.currency)

    @property
    def expense_text(self) -> str:
        return money(self.expense, self.precision, self.currency)

    @property
    def result_text(self) -> str:
        return money(self.result, self.precision, self.currency)


def income_and_expenses(organization_id: int, *, since: dt.date, until: dt.date, precisions: dict) -> list[MonthRow]:
    """Income and expenses per month and currency, from the entries on income and expense accounts (a
    reversal counts in the month it is dated, as in the books)."""
    rows = (
        TransactionEntry.objects.filter(
            organization_id=organization_id,
            date__gte=since,
            date__lte=until,
            account__type__in=[AccountType.INCOME, AccountType.EXPENSE],
        )
        .values("currency_id", "account__type", month=TruncMonth("date"))
        .annotate(total=Sum("amount"))
        .order_by()
    )
    by_key: dict[tuple, MonthRow] = {}
    for row in rows:
        month = row["month"]
        month = month.date() if isinstance(month, dt.datetime) else month
        key = (row["currency_id"], month)
        item = by_key.setdefault(key, MonthRow(month, row["currency_id"], precisions.get(row["currency_id"], 2)))
        if row["account__type"] == AccountType.INCOME:
            item.income -= row["total"]
        else:
            item.expense += row["total"]
    return sorted(by_key.values(), key=lambda item: (item.currency, item.month))


@dataclass
class CategoryRow:
    name: str
    amount: Decimal
    currency: str
    precision: int
    share: int = 0  # percent of the largest in its list and currency, for the bar

    @property
    def text(self) -> str:
        return money(self.amount, self.precision, self.currency)


def top_categories(organization_id: int, *, since: dt.date, until: dt.date, precisions: dict) -> dict:
    """The largest expense and income categories of the period (entries on expense and income accounts)."""
    rows = (
        TransactionEntry.objects.filter(
            organization_id=organization_id,
            date__gte=since,
            date__lte=until,
            category__isnull=False,
            account__type__in=[AccountType.INCOME, AccountType.EXPENSE],
        )
        .values("category__name", "account__type", "currency_id")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    lists: dict[str, list[CategoryRow]] = {AccountType.EXPENSE: [], AccountType.INCOME: []}
    for row in rows:
        amount = natural_sign(row["account__type"]) * row["total"]
        if amount <= 0:
            continue
        lists[row["account__type"]].append(
            CategoryRow(row["category__name"], amount, row["currency_id"], precisions.get(row["currency_id"], 2))
        )
    for items in lists.values():
        items.sort(key=lambda item: (-item.amount, item.name))
        del items[TOP_CATEGORIES:]
        largest: dict[str, Decimal] = {}
        for item in items:
            largest[item.currency] = max(largest.get(item.currency, ZERO), item.amount)
        for item in items:
            item.share = int(item.amount * 100 / largest[item.currency]) if largest[item.currency] else 0
    return {"expense": lists[AccountType.EXPENSE], "income": lists[AccountType.INCOME]}


def open_items(organization: Organization, *, today: dt.date, precisions: dict) -> dict:
    """What customers owe and what is owed to suppliers: open invoices by counterparty (from the invoices'
    aging, where the books keep invoices) and the balances of the receivable and payable accounts."""
    result = {"receivable": None, "payable": None}
    try:
        from .reports.aging import aging_report
    except ImportError:  # pragma: no cover - the invoices are part of the ledger
        aging_report = None
    if aging_report is not None:
        for kind in ("receivable", "payable"):
            report = aging_report(organization=organization, kind=kind, as_of=today)
            rows = sorted(report.rows, key=lambda row: -row.total)[:5]
            result[kind] = {
                "rows": [
                    {
                        "name": row.counterparty,
                        "text": money(row.total, precisions.get(row.currency, 2), row.currency),
                        "overdue": row.total - row.current,
                        "overdue_text": money(row.total - row.current, precisions.get(row.currency, 2), row.currency),
                    }
                    for row in rows
                ],
                "more": max(0, len(report.rows) - len(rows)),
                "totals": [
                    {
                        "text": money(total.total, precisions.get(total.currency, 2), total.currency),
                        "overdue": total.total - total.current,
                        "overdue_text": money(
                            total.total - total.current, precisions.get(total.currency, 2), total.currency
                        ),
                        "invoices": total.invoices,
                    }
                    for total in report.totals
                ],
            }
    accounts = _account_figures(organization.pk, [Account.Purpose.RECEIVABLE, Account.Purpose.PAYABLE])
    return {**result, "accounts": accounts}


def recent_transactions(organization_id: int, limit: int = RECENT_TRANSACTIONS) -> list[dict]:
    transactions = (
        Transaction.objects.filter(organization_id=organization_id)
        .select_related("reversed_by")
        .prefetch_related(Prefetch("entries", queryset=TransactionEntry.objects.select_related("currency")))
        .order_by("-date", "-id")[:limit]
    )
    found = []
    for transaction in transactions:
        totals: dict[str, list] = {}
        for entry in transaction.entries.all():
            if entry.amount > 0:
                totals.setdefault(entry.currency_id, [ZERO, entry.currency.precision])[0] += entry.amount
        try:
            reversed_by = transaction.reversed_by.pk
        except Transaction.DoesNotExist:
            reversed_by = None
        found.append(
            {
                "id": transaction.pk,
                "date": transaction.date,
                "kind": transaction.get_kind_display(),
                "description": transaction.description,
                "amounts": [money(amount, precision, code) for code, (amount, precision) in totals.items()],
                "reversed_by": reversed_by,
                "url": reverse("admin:ledger_transaction_change", args=[transaction.pk]),
            }
        )
    return found


# --- the chart --------------------------------------------------------------------------------------------


def _nice_ceiling(value: Decimal) -> Decimal:
    """The smallest 1, 2, 2.5 or 5 × 10ⁿ not below ``value``: round steps for the axis."""
    if value <= 0:
        return Decimal(1)
    exponent = len(str(int(value))) - 1 if value >= 1 else -(decimals_of(value))
    base = Decimal(10) ** exponent
    for step in (1, 2, Decimal("2.5"), 5, 10):
        if value <= base * step:
            return base * step
    return base * 10  # pragma: no cover


@dataclass
class Chart:
    currency: str
    months: list[MonthRow]
    width: int = 640
    height: int = 240
    left: int = 84
    right: int = 8
    top: int = 12
    bottom: int = 30
    bars: list[dict] = field(default_factory=list)
    grid: list[dict] = field(default_factory=list)
    ticks: list[dict] = field(default_factory=list)

    @property
    def plot_right(self) -> int:
        return self.width - self.right

    @property
    def label_x(self) -> int:
        return self.left - 6

    @property
    def tick_y(self) -> int:
        return self.height - self.bottom + 14

    @property
    def year_y(self) -> int:
        return self.height - self.bottom + 27

    @property
    def empty(self) -> bool:
        return not any(month.income or month.expense for month in self.months)

    @property
    def summary(self) -> str:
        income = sum((m.income for m in self.months), ZERO)
        expense = sum((m.expense for m in self.months), ZERO)
        precision = self.months[0].precision if self.months else 2
        return _("{first} – {last}: income {income}, expenses {expense}.").format(
            first=self.months[0].label if self.months else "",
            last=self.months[-1].label if self.months else "",
            income=money(income, precision, self.currency),
            expense=money(expense, precision, self.currency),
        )


def bar_chart(months: list[MonthRow], currency: str) -> Chart:
    """Geometry of a grouped bar chart (income and expenses side by side per month), drawn by the template
    as inline SVG: it needs no script and no network, and prints."""
    chart = Chart(currency=currency, months=months)
    plot_width = chart.width - chart.left - chart.right
    plot_height = chart.height - chart.top - chart.bottom
    peak = max([ZERO, *(m.income for m in months), *(m.expense for m in months)])
    ceiling = _nice_ceiling(peak)
    for step in range(5):
        value = ceiling * step / 4
        y = chart.top + plot_height - float(value / ceiling) * plot_height
        chart.grid.append({"y": round(y, 1), "label": money(value.normalize(), 0)})
    slot = plot_width / max(len(months), 1)
    bar = slot * 0.34
    for index, month in enumerate(months):
        x0 = chart.left + slot * index + slot * 0.14
        for offset, value, kind, text in (
            (0, month.income, "income", month.income_text),
            (bar + 2, month.expense, "expense", month.expense_text),
        ):
            height = float(value / ceiling) * plot_height if value > 0 else 0
            chart.bars.append(
                {
                    "x": round(x0 + offset, 1),
                    "y": round(chart.top + plot_height - height, 1),
                    "width": round(bar, 1),
                    "height": round(height, 1),
                    "kind": kind,
                    "title": f"{month.label}: {text}",
                }
            )
        chart.ticks.append(
            {
                "x": round(chart.left + slot * (index + 0.5), 1),
                "label": date_format(month.month, "M"),
                "year": month.month.year,
                "show_year": index == 0 or month.month.month == 1,
            }
        )
    return chart


def _chart_months(rows: list[MonthRow], currency: str, since: dt.date, count: int, precision: int) -> list[MonthRow]:
    """Every month of the window for ``currency``, zero where nothing was booked."""
    by_month = {row.month: row for row in rows if row.currency == currency}
    return [
        by_month.get(_month_start(since, -offset), MonthRow(_month_start(since, -offset), currency, precision))
        for offset in range(count)
    ]


# --- everything for a page --------------------------------------------------------------------------------


def dashboard_context(*, organization: Organization, months: int = DEFAULT_MONTHS) -> dict:
    months = max(1, min(int(months), MAX_MONTHS))
    today = organization.today()
    since = _month_start(today, months - 1)
    precisions = dict(Currency.objects.values_list("code", "precision"))
    monthly = income_and_expenses(organization.pk, since=since, until=today, precisions=precisions)
    currencies = sorted({row.currency for row in monthly})
    currency = organization.reporting_currency_id
    if currency not in currencies and currencies:
        currency = currencies[0]
    chart = bar_chart(_chart_months(monthly, currency, since, months, precisions.get(currency, 2)), currency)
    return {
        "organization": organization,
        "today": today,
        "since": since,
        "months": months,
        "cash": cash_by_account(organization.pk),
        "chart": chart,
        "monthly": [row for row in monthly if row.income or row.expense],
        "other_currencies": [code for code in currencies if code != currency],
        "categories": top_categories(organization.pk, since=since, until=today, precisions=precisions),
        "open": open_items(organization, today=today, precisions=precisions),
        "recent": recent_transactions(organization.pk),
    }


SECTIONS = ("cash", "chart", "categories", "open", "recent")


def ledger_panel(request) -> dict | None:
    """The panel on the admin home: the books of one of the user's organizations (``?ledger=<slug>``)."""
    user = request.user
    organization = pick_organization(user, request.GET.get("ledger"))
    if organization is None:
        return None
    context = dashboard_context(organization=organization)
    others = list(visible_organizations(user).exclude(pk=organization.pk).values_list("slug", "name")[:10])
    return {**context, "others": others}


def register_dashboard() -> None:
    from apps.core.admin_kit.dashboards import Dashboard, register

    register(
        Dashboard(
            app_label="ledger",
            title=gettext_lazy("Books"),
            template="admin/dashboards/ledger.html",
            context=ledger_panel,
            order=10,
        )
    )
