"""The traffic dashboard (/ru/analytics/, /en/analytics/) and its drill-down, as template context.

Every figure comes from :func:`apps.analytics.reports.traffic_report` (sums and KPIs of the KPI registry, in
one reporting currency at each report date's rate, time zones kept apart), so the page, the API and the
exports agree. The page adds what a person needs around it: filters, KPI cards, a time-series chart of spend
against revenue drawn here as SVG (no script, no network), a table sorted on the server with a totals row,
the exchange rates used, the freshness of each source and the reconciliation differences over the threshold.

One organization at a time, one of the user's (``pick_organization``): another organization answers 404.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from urllib.parse import urlencode

from django import forms
from django.db.models import Max
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy

from apps.core.accounts.tenancy import memberships, organization_ids, scope
from apps.core.language.formatting import currency_precision, format_date, format_money, format_number
from apps.core.models import Currency, Organization

from .kpis import KPIS, NO_VALUE, PERCENT, SUMS
from .models import DailyRollup, TrafficSource
from .reports import (
    GROUPINGS,
    TIME_GROUPINGS,
    MissingRate,
    ReportFilters,
    campaigns_by_identity,
    reconciliation_list,
    source_freshness_list,
    traffic_report,
)

DEFAULT_DAYS = 30
MAX_DAYS = 366
CAMPAIGN_CHOICES = 500  # a select of more campaigns than this is no help: filter by source first
RECONCILIATION_SHOWN = 20

# The table's columns after the grouping's label, in the order a media buyer reads them.
COLUMNS = (
    "impressions",
    "clicks",
    "installs",
    "conversions",
    "spend",
    "revenue",
    "profit",
    "roi",
    "roas",
    "cpi",
    "cpa",
    "cpc",
    "cpm",
    "ctr",
    "cr",
    "epc",
)
CARDS = ("spend", "revenue", "profit", "roi", "installs", "cpi", "clicks", "ctr", "conversions", "cpa")
SUM_LABELS = {
    "impressions": gettext_lazy("Impressions"),
    "clicks": gettext_lazy("Clicks"),
    "installs": gettext_lazy("Installs"),
    "conversions": gettext_lazy("Conversions"),
    "spend": gettext_lazy("Spend"),
    "revenue": gettext_lazy("Revenue"),
}
COUNTS = ("impressions", "clicks", "installs", "conversions")
AMOUNTS = ("spend", "revenue", "profit")
SORTS = ("label", *COLUMNS)
SECTIONS = ("kpis", "chart", "table", "checks")


# --- whose traffic ------------------------------------------------------------------------------------------


def visible_organizations(user):
    """The organizations whose traffic ``user`` may read, by name."""
    return scope(Organization.objects.all(), user).order_by("name", "pk")


def pick_organization(user, slug: str | None = None) -> Organization | None:
    """The organization a page shows: the one named by ``slug`` if the user may read it, else the first of
    theirs. ``None`` when the slug names one they may not read, or they have none."""
    organizations = visible_organizations(user).select_related("reporting_currency")
    if slug:
        return organizations.filter(slug=slug).first()
    if organization_ids(user) is None:  # a superuser: their own memberships first, else any organization
        own = memberships(user)
        if own:
            return organizations.filter(pk__in=list(own)).first()
    return organizations.first()


def newest_report_date(organization: Organization) -> dt.date | None:
    return DailyRollup.objects.filter(organization_id=organization.pk).aggregate(newest=Max("report_date"))["newest"]


def in_currency(organization: Organization, currency: str) -> Organization:
    """The organization as the reports see it, with ``currency`` as its reporting currency (not saved): a
    person may look at the figures in another currency without changing the organization's setting."""
    if currency == organization.reporting_currency_id:
        return organization
    shown = copy.copy(organization)
    shown.reporting_currency_id = currency
    return shown


# --- filters ------------------------------------------------------------------------------------------------


class DashboardForm(forms.Form):
    """The dashboard's filters, read from the query string. Every field may be left out."""

    date_from = forms.DateField(label=gettext_lazy("From"), required=False, input_formats=["%Y-%m-%d"])
    date_to = forms.DateField(label=gettext_lazy("To"), required=False, input_formats=["%Y-%m-%d"])
    group_by = forms.ChoiceField(label=gettext_lazy("Group by"), required=False)
    source = forms.TypedChoiceField(label=gettext_lazy("Traffic source"), coerce=int, required=False, empty_value=None)
    campaign = forms.TypedChoiceField(label=gettext_lazy("Campaign"), coerce=int, required=False, empty_value=None)
    currency = forms.ChoiceField(label=gettext_lazy("Currency"), required=False)
    time_zone = forms.CharField(label=gettext_lazy("Time zone"), required=False, max_length=64)
    sort = forms.ChoiceField(
        label=gettext_lazy("Sort"), required=False, choices=[("", "")] + [(v, v) for s in SORTS for v in (s, f"-{s}")]
    )

    def __init__(self, data, *, organization: Organization):
        data = data.copy()
        for name, value in (("group_by", "day"), ("currency", organization.reporting_currency_id)):
            if not data.get(name):
                data[name] = value
        super().__init__(data)
        self.organization = organization
        self.fields["group_by"].choices = [(code, label) for code, (label, _f, _n) in GROUPINGS.items()]
        everything = [("", pgettext_lazy("filter: no limit", "All"))]
        sources = TrafficSource.objects.filter(organization_id=organization.pk).order_by("name", "pk")
        self.fields["source"].choices = everything + [(source.pk, source.name) for source in sources]
        # A campaign is listed once, however many sources report it (the report keeps its namesakes), by its
        # first id; any of its ids selects it, as the link from a tracker's campaign gives one.
        grouped = campaigns_by_identity(organization_id=organization.pk).values()
        # a listed campaign (its first id) -> its ids in every source; any id -> the listed one
        self.same_campaigns = {campaigns[0][0]: tuple(pk for pk, _name in campaigns) for campaigns in grouped}
        ids = {pk: listed_pk for listed_pk, same in self.same_campaigns.items() for pk in same}
        listed = sorted((campaigns[0] for campaigns in grouped), key=lambda pair: (pair[1].casefold(), pair[0]))
        choices = listed[:CAMPAIGN_CHOICES]
        chosen = str(self.data.get("campaign") or "")
        if chosen.isascii() and chosen.isdecimal() and int(chosen) in ids:
            self.data["campaign"] = str(ids[int(chosen)])
            if all(pk != ids[int(chosen)] for pk, _name in choices):  # past the first names: listed as well
                choices.append(next(choice for choice in listed if choice[0] == ids[int(chosen)]))
        self.fields["campaign"].choices = everything + choices
        currencies = Currency.objects.filter(is_active=True, is_crypto=False).order_by("code")
        codes = list(currencies.values_list("code", flat=True))
        if organization.reporting_currency_id not in codes:
            codes.insert(0, organization.reporting_currency_id)
        self.fields["currency"].choices = [(code, code) for code in codes]

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to"):
            if data["date_from"] > data["date_to"]:
                self.add_error("date_from", _("The start date must not be after the end date."))
            elif (data["date_to"] - data["date_from"]).days >= MAX_DAYS:
                self.add_error(
                    "date_from", _("Choose at most {days} days at a time.").format(days=format_number(MAX_DAYS))
                )
        return data


@dataclass
class Params:
    """What the page shows, once the filters are read and the defaults filled in."""

    organization: Organization
    date_from: dt.date
    date_to: dt.date
    group_by: str = "day"
    source: int | None = None
    campaign: int | None = None
    currency: str = ""
    sort: str = ""
    defaulted: bool = False  # the period is the default one (the last 30 days of data)
    campaigns: tuple[int, ...] = ()  # the campaign's ids in every source
    time_zone: str = ""  # only the facts of this time zone (a day's row of one zone opens its campaigns)

    def query(self, **changes) -> str:
        """The query string of this view with ``changes`` (None removes a parameter)."""
        values = {
            "org": self.organization.slug,
            "date_from": self.date_from.isoformat(),
            "date_to": self.date_to.isoformat(),
            "group_by": self.group_by,
            "source": self.source,
            "campaign": self.campaign,
            "currency": self.currency,
            "sort": self.sort,
            "time_zone": self.time_zone,
        }
        values.update(changes)
        return urlencode({name: value for name, value in values.items() if value not in (None, "")})

    @property
    def filters(self) -> ReportFilters:
        return ReportFilters(
            source=self.source, campaign=self.campaign, campaigns=self.campaigns, time_zone=self.time_zone
        )


def default_period(organization: Organization) -> tuple[dt.date, dt.date]:
    """The last 30 days of data (up to the newest report date), or of the calendar when there is none yet."""
    date_to = newest_report_date(organization) or organization.today()
    return date_to - dt.timedelta(days=DEFAULT_DAYS - 1), date_to


def read_params(form: DashboardForm) -> Params:
    """The page's parameters from a valid form, defaults filled in."""
    organization = form.organization
    data = form.cleaned_data
    date_from, date_to = data.get("date_from"), data.get("date_to")
    defaulted = False
    if date_from is None and date_to is None:
        date_from, date_to = default_period(organization)
        defaulted = True
    elif date_from is None:
        date_from = date_to - dt.timedelta(days=DEFAULT_DAYS - 1)
    elif date_to is None:
        date_to = min(date_from + dt.timedelta(days=DEFAULT_DAYS - 1), max(date_from, organization.today()))
    return Params(
        organization=organization,
        date_from=date_from,
        date_to=date_to,
        group_by=data.get("group_by") or "day",
        source=data.get("source"),
        campaign=data.get("campaign"),
        currency=data.get("currency") or organization.reporting_currency_id,
        sort=data.get("sort") or "",
        defaulted=defaulted,
        campaigns=form.same_campaigns.get(data.get("campaign"), ()),
        time_zone=data.get("time_zone") or "",
    )


# --- figures as people read them ----------------------------------------------------------------------------


def label_of(code: str) -> str:
    return str(SUM_LABELS[code] if code in SUM_LABELS else KPIS[code].label)


def value_of(code: str, sums: dict, kpis: dict):
    return sums[code] if code in SUMS else kpis[code]


def per_unit(value: Decimal, precision: int, places: int) -> Decimal:
    """A cost or earning per unit (CPM, CPC, CPI, CPA, EPC, kept to ``places``) as people read it: three
    significant digits, never fewer places than the currency's ``precision`` nor more than ``places``, and no
    zero at the end past the currency's places. A CPI of 115.3830 RUB reads 115.38, a CPC of 0.0123 USD keeps
    its four places, one of 0.4500 USD reads 0.45 and one of 115.3830 JPY 115."""
    if not value:
        return value.quantize(Decimal(1).scaleb(-precision))
    wanted = max(precision, min(places, 2 - value.adjusted()))
    shown = value.quantize(Decimal(1).scaleb(-wanted), rounding=ROUND_HALF_EVEN)
    while -shown.as_tuple().exponent > precision and shown.as_tuple().digits[-1] == 0:
        shown = shown.quantize(Decimal(1).scaleb(shown.as_tuple().exponent + 1))
    return shown


def cell_text(code: str, value, precision: int) -> str:
    """A sum or KPI in the locale's format, without its currency (the table names it once); "—" when there
    is no value (a missing metric, a division by zero)."""
    if value is None:
        return NO_VALUE
    if code in COUNTS:
        return format_number(value, 0)
    if code in SUMS or code in AMOUNTS:
        return format_number(value, precision)
    kpi = KPIS[code]
    if kpi.unit == PERCENT:
        return format_number(value, kpi.places)
    shown = per_unit(value, precision, kpi.places)
    return format_number(shown, -shown.as_tuple().exponent)


def card_text(code: str, value, currency: str, precision: int) -> str:
    """A KPI card's figure: amounts and money KPIs with their currency, percentages as numbers."""
    if value is None:
        return NO_VALUE
    if code in COUNTS:
        return format_number(value, 0)
    if code in SUMS or code in AMOUNTS:
        return format_money(value, currency, precision=precision)
    kpi = KPIS[code]
    if kpi.unit == PERCENT:
        return format_number(value, kpi.places)
    shown = per_unit(value, precision, kpi.places)
    return format_money(shown, currency, precision=-shown.as_tuple().exponent)


@dataclass
class Column:
    code: str
    label: str
    url: str
    sorted: str  # "asc", "desc" or ""


@dataclass
class Row:
    key: str
    label: str
    time_zone: str
    cells: list[str]
    url: str = ""
    negative: bool = False  # the profit is below zero


def period_label(group_by: str, key: str) -> str:
    """A day, week or month of the table as the locale writes it (the report keys them in ISO form)."""
    try:
        if group_by == "day":
            return format_date(dt.date.fromisoformat(key))
        if group_by == "week":
            return _("Week of {date}").format(date=format_date(dt.date.fromisoformat(key)))
        if group_by == "month":
            return date_format(dt.date.fromisoformat(f"{key}-01"), "YEAR_MONTH_FORMAT")
    except ValueError:
        pass
    return ""


def _sort_rows(rows, sort: str):
    """Rows in the order of ``sort`` ("spend", "-roi", "label"…); rows without a value go last either way."""
    if not sort:
        return list(rows)
    descending = sort.startswith("-")
    code = sort.lstrip("-")
    if code == "label":
        return sorted(rows, key=lambda row: (row.label.casefold(), row.key, row.time_zone), reverse=descending)
    present = [row for row in rows if value_of(code, row.sums, row.kpis) is not None]
    missing = [row for row in rows if value_of(code, row.sums, row.kpis) is None]
    present.sort(key=lambda row: (value_of(code, row.sums, row.kpis), row.label.casefold()), reverse=descending)
    return present + missing


def _row_url(params: Params, report_row, *, mixed_zones: bool = False) -> str:
    """Where a row of the table leads: a campaign to its rows, a source or a day to its campaigns."""
    if params.group_by == "campaign" and report_row.key:
        query = urlencode({"date_from": params.date_from.isoformat(), "date_to": params.date_to.isoformat()})
        return reverse("analytics:campaign", args=[report_row.key]) + "?" + query
    if params.group_by == "source" and report_row.key:
        return "?" + params.query(source=report_row.key, group_by="campaign", sort=None)
    if params.group_by == "day":
        # A day of one time zone opens that zone's campaigns: a report by campaign sums every zone's day.
        zone = report_row.time_zone if mixed_zones else None
        return "?" + params.query(
            date_from=report_row.key, date_to=report_row.key, group_by="campaign", sort=None, time_zone=zone
        )
    return ""


def table(params: Params, report) -> dict:
    precision = report.precision
    columns = []
    for code in ("label", *COLUMNS):
        if params.sort == code:
            state, next_sort = "asc", f"-{code}"
        elif params.sort == f"-{code}":
            state, next_sort = "desc", code
        else:
            # Names read best A to Z; figures are looked at largest first.
            state, next_sort = "", code if code == "label" else f"-{code}"
        label = str(GROUPINGS[params.group_by][0]) if code == "label" else label_of(code)
        columns.append(Column(code, label, "?" + params.query(sort=next_sort), state))
    rows = [
        Row(
            key=row.key,
            label=period_label(params.group_by, row.key) or row.label,
            time_zone=row.time_zone,
            cells=[cell_text(code, value_of(code, row.sums, row.kpis), precision) for code in COLUMNS],
            url=_row_url(params, row, mixed_zones=report.mixed_time_zones),
            negative=(row.kpis["profit"] or 0) < 0,
        )
        for row in _sort_rows(report.rows, params.sort)
    ]
    totals = [cell_text(code, value_of(code, report.totals, report.total_kpis), precision) for code in COLUMNS]
    return {
        "columns": columns,
        "rows": rows,
        "totals": totals,
        "totals_negative": (report.total_kpis["profit"] or 0) < 0,
    }


def cards(report) -> list[dict]:
    return [
        {
            "code": code,
            "label": label_of(code),
            "text": card_text(
                code, value_of(code, report.totals, report.total_kpis), report.currency, report.precision
            ),
            "negative": (value_of(code, report.totals, report.total_kpis) or 0) < 0,
        }
        for code in CARDS
    ]


def rates_shown(report) -> list[dict]:
    return [
        {
            "pair": f"{rate.base}/{rate.quote}",
            "on": format_date(rate.on),
            "rate": format_number(plain(rate.rate)),
            "date": format_date(rate.date),
            "source": rate.source,
            "stale": rate.date != rate.on,
        }
        for rate in report.rates
    ]


# --- the chart ----------------------------------------------------------------------------------------------


def plain(value: Decimal) -> Decimal:
    """``value`` without trailing zeros after the decimal mark (1.100000 → 1.1, 100 stays 100)."""
    text = format(value, "f")
    return Decimal(text.rstrip("0").rstrip(".") if "." in text else text)


def nice_ceiling(value: Decimal) -> Decimal:
    """The smallest 1, 2, 2.5 or 5 × 10ⁿ not below ``value``: round steps for the axis."""
    if value <= 0:
        return Decimal(1)
    exponent = value.adjusted()
    base = Decimal(10) ** exponent
    for step in (1, 2, Decimal("2.5"), 5, 10):
        if value <= base * step:
            return base * step
    return base * 10  # pragma: no cover


@dataclass
class Chart:
    currency: str
    days: list[dt.date]
    width: int = 760
    height: int = 260
    left: int = 84
    right: int = 12
    top: int = 12
    bottom: int = 34
    lines: list[dict] = field(default_factory=list)
    points: list[dict] = field(default_factory=list)
    grid: list[dict] = field(default_factory=list)
    ticks: list[dict] = field(default_factory=list)
    legend: list[dict] = field(default_factory=list)
    summary: str = ""

    @property
    def plot_right(self) -> int:
        return self.width - self.right

    @property
    def label_x(self) -> int:
        return self.left - 6

    @property
    def tick_y(self) -> int:
        return self.height - self.bottom + 16

    @property
    def empty(self) -> bool:
        return not self.lines


def tick_format() -> str:
    # Translators: a date format (Django's "date" filter letters) for a day on the chart's axis: "Apr 3".
    return pgettext("chart axis: a day", "M j")


MAX_POINTS = 62  # dots with a tooltip on each day; beyond two months they would only clutter the lines


def time_chart(daily, *, date_from: dt.date, date_to: dt.date) -> Chart:
    """Spend and revenue per day as lines, one pair per time zone (days of different time zones are not the
    same day, so they are never added into one point). A day without data breaks the line instead of
    dropping to zero: a missing figure is not 0."""
    days = [date_from + dt.timedelta(days=offset) for offset in range((date_to - date_from).days + 1)]
    chart = Chart(currency=daily.currency, days=days)
    plot_width = chart.width - chart.left - chart.right
    plot_height = chart.height - chart.top - chart.bottom
    by_zone: dict[str, dict[str, dict]] = {}
    for row in daily.rows:
        by_zone.setdefault(row.time_zone, {})[row.key] = row.sums
    peak = max(
        [Decimal(0)]
        + [
            sums[kind]
            for zone in by_zone.values()
            for sums in zone.values()
            for kind in ("spend", "revenue")
            if sums[kind]
        ]
    )
    ceiling = nice_ceiling(peak)
    for step in range(5):
        value = ceiling * step / 4
        y = chart.top + plot_height - float(value / ceiling) * plot_height
        chart.grid.append({"y": round(y, 1), "label": format_number(plain(value))})
    slot = plot_width / max(len(days), 1)
    every = max(1, -(-len(days) // 8))
    for index, day in enumerate(days):
        if index % every == 0:
            chart.ticks.append(
                {"x": round(chart.left + slot * (index + 0.5), 1), "label": date_format(day, tick_format())}
            )
    zones = sorted(by_zone)
    mixed = len(zones) > 1
    for zone_index, zone in enumerate(zones):
        for kind, kind_label in (("spend", _("Spend")), ("revenue", _("Revenue"))):
            name = f"{kind_label}, {zone}" if mixed else kind_label
            segments, current = [], []
            for index, day in enumerate(days):
                sums = by_zone[zone].get(day.isoformat())
                value = sums[kind] if sums else None
                if value is None:
                    if current:
                        segments.append(current)
                    current = []
                    continue
                x = round(chart.left + slot * (index + 0.5), 1)
                y = round(chart.top + plot_height - float(value / ceiling) * plot_height, 1)
                current.append((x, y))
                if len(days) <= MAX_POINTS:
                    chart.points.append(
                        {
                            "x": x,
                            "y": y,
                            "kind": kind,
                            "title": f"{format_date(day)}: {name} {format_money(value, daily.currency)}",
                        }
                    )
            if current:
                segments.append(current)
            if not segments:
                continue
            chart.legend.append({"kind": kind, "zone": zone_index, "label": name})
            for segment in segments:
                chart.lines.append(
                    {
                        "kind": kind,
                        "zone": zone_index,
                        "points": " ".join(f"{x},{y}" for x, y in segment),
                        "single": len(segment) == 1,
                        "x": segment[0][0],
                        "y": segment[0][1],
                    }
                )
    spend = daily.totals["spend"]
    revenue = daily.totals["revenue"]
    chart.summary = _("{first} – {last}: spend {spend}, revenue {revenue}.").format(
        first=format_date(date_from),
        last=format_date(date_to),
        spend=format_money(spend, daily.currency) if spend is not None else NO_VALUE,
        revenue=format_money(revenue, daily.currency) if revenue is not None else NO_VALUE,
    )
    return chart


# --- the checks beside the figures ------------------------------------------------------------------------


def freshness(organization: Organization) -> list[dict]:
    found = []
    for item in source_freshness_list(organization=organization):
        age_days = None if item.age is None else max(0, int(item.age.total_seconds() // 86400))
        found.append(
            {
                "source": item.source,
                "kind": item.source.get_kind_display(),
                "newest": format_date(item.newest) if item.newest else "",
                "age_days": age_days,
                "expected_hours": int(item.source.expected_delay.total_seconds() // 3600),
                "stale": item.stale,
            }
        )
    return found


def reconciliation(organization: Organization, params: Params) -> dict:
    result = reconciliation_list(organization=organization, date_from=params.date_from, date_to=params.date_to)
    flagged = [row for row in result.rows if row.flagged]
    precision = currency_precision(result.currency)
    shown = flagged[:RECONCILIATION_SHOWN]
    # A column for each kind that has an amount in the rows shown: a column of dashes says nothing.
    kinds = [
        (kind.value, kind.label)
        for kind in (TrafficSource.Kind.AD_NETWORK, TrafficSource.Kind.ATTRIBUTION, TrafficSource.Kind.TRACKER)
        if any(row.amounts[kind.value] is not None for row in shown)
    ]
    rows = [
        {
            "date": format_date(row.report_date),
            "campaign": row.campaign,
            "amounts": [
                format_number(row.amounts[code], precision) if row.amounts[code] is not None else NO_VALUE
                for code, _label in kinds
            ],
            "difference": format_number(row.difference, precision) if row.difference is not None else NO_VALUE,
            "share": format_number(row.share * 100, 1) if row.share is not None else NO_VALUE,
        }
        for row in shown
    ]
    return {
        "kinds": [label for _code, label in kinds],
        "rows": rows,
        "more": max(0, len(flagged) - RECONCILIATION_SHOWN),
        "compared": len([row for row in result.rows if row.difference is not None]),
        "threshold": format_number(result.threshold * 100, 0),
        "currency": result.currency,
    }


# --- everything for the page --------------------------------------------------------------------------------


def dashboard_context(params: Params) -> dict:
    """The figures of the dashboard for ``params``. A missing exchange rate is not an error page: the page
    says which rate is missing (the freshness of the sources still shows)."""
    organization = params.organization
    shown = in_currency(organization, params.currency)
    context = {
        "organization": organization,
        "params": params,
        "every_zone_query": params.query(time_zone=None) if params.time_zone else "",
        "grouping_label": GROUPINGS[params.group_by][0],
        "freshness": freshness(organization),
        "missing_rate": None,
    }
    try:
        report = traffic_report(
            organization=shown,
            date_from=params.date_from,
            date_to=params.date_to,
            group_by=params.group_by,
            filters=params.filters,
        )
        if params.group_by == "day":
            daily = report
        else:
            daily = traffic_report(
                organization=shown,
                date_from=params.date_from,
                date_to=params.date_to,
                group_by="day",
                filters=params.filters,
            )
        checks = reconciliation(shown, params)
    except MissingRate as error:
        context["missing_rate"] = error.messages[0]
        return context
    context.update(
        {
            "report": report,
            "cards": cards(report),
            "chart": time_chart(daily, date_from=params.date_from, date_to=params.date_to),
            "table": table(params, report),
            "rates": rates_shown(report),
            "reconciliation": checks,
            "time_grouping": params.group_by in TIME_GROUPINGS,
        }
    )
    return context


# --- the panel on the admin home ----------------------------------------------------------------------------


def analytics_panel(request) -> dict | None:
    """The traffic of one of the user's organizations (``?traffic=<slug>``) on the admin home: the key figures
    of the last 30 days of data, late sources, the latest imports, and the way to the dashboard."""
    from .models import ImportJob

    user = request.user
    organization = pick_organization(user, request.GET.get("traffic"))
    if organization is None:
        return None
    date_from, date_to = default_period(organization)
    try:
        report = traffic_report(organization=organization, date_from=date_from, date_to=date_to, group_by="month")
        figures = [card for card in cards(report) if card["code"] in ("spend", "revenue", "profit", "roi", "installs")]
    except MissingRate as error:
        figures, report = [], None
        missing_rate = error.messages[0]
    else:
        missing_rate = None
    imports = list(
        ImportJob.objects.filter(organization_id=organization.pk).select_related("source").order_by("-created_at")[:5]
    )
    return {
        "organization": organization,
        "date_from": date_from,
        "date_to": date_to,
        "figures": figures,
        "missing_rate": missing_rate,
        "late": [item for item in source_freshness_list(organization=organization) if item.stale],
        "imports": imports,
        "others": list(visible_organizations(user).exclude(pk=organization.pk).values_list("slug", "name")[:10]),
    }


def register_dashboard() -> None:
    from apps.core.admin_kit.dashboards import Dashboard, register

    register(
        Dashboard(
            app_label="analytics",
            title=gettext_lazy("Traffic"),
            template="admin/dashboards/analytics.html",
            context=analytics_panel,
            order=20,
        )
    )
