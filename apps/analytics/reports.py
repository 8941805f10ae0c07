"""Traffic reports, reconciliation and freshness: reads over the daily rollup (the facts, for a report by
creative, a cut the rollup does not keep).

- :func:`traffic_report`: sums and KPIs by day, week, month, source, program, offer, campaign, country, OS or
  creative, filtered, with totals. Amounts are in the organization's reporting currency, each day's amounts
  converted at that day's rate (``apps.core.selectors.fx_rate_for``); the rates used are part of the report.
  Facts in different time zones are never added up as one day: the time zone is part of the key of every row
  of a day, week or month; any other row sums the period in each source's own zone and names the zones.
- :func:`reconciliation_list`: the spend of the ad network, the cost in the attribution platform and in the
  tracker for the same day and campaign, with the differences over a threshold flagged.
- :func:`source_freshness_list`: each source's newest day of data, flagged when older than its expected delay.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Context, Decimal
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db.models import Count, Max, Sum
from django.utils import timezone
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.models import Currency
from apps.core.money.amounts import round_to
from apps.core.selectors import FxRateUsed, fx_rate_for

from .kpis import KPIS, SUMS, kpi_values
from .models import Campaign, DailyRollup, MetricFact, TrafficSource

AMOUNTS = ("spend", "revenue")
COUNTS = ("impressions", "clicks", "installs", "conversions")

# group_by -> (label, the fields that identify a group, the field that names it)
GROUPINGS = {
    "day": (gettext_lazy("Day"), (), None),
    "week": (gettext_lazy("Week"), (), None),
    "month": (gettext_lazy("Month"), (), None),
    "source": (gettext_lazy("Traffic source"), ("source_id",), "source__name"),
    "program": (gettext_lazy("Affiliate program"), ("campaign__offer__program_id",), "campaign__offer__program__name"),
    "offer": (gettext_lazy("Offer"), ("campaign__offer_id",), "campaign__offer__name"),
    "campaign": (gettext_lazy("Campaign"), ("campaign_id",), "campaign__name"),
    "country": (gettext_lazy("Country"), ("country",), None),
    "os": (gettext_lazy("OS"), ("os",), None),
    "creative": (gettext_lazy("Creative"), ("creative",), None),
}
TIME_GROUPINGS = ("day", "week", "month")
# How a row that is not a period names the several time zones it sums ("Europe/Moscow, UTC").
ZONES_JOINED = ", "


class MissingRate(ValidationError):
    """No rate converts ``base`` into ``quote`` on or before ``date``."""

    def __init__(self, base: str, quote: str, date: dt.date):
        self.base, self.quote, self.date = base, quote, date
        super().__init__(
            _(
                "No exchange rate from {base} to {quote} on or before {date}: enter one (the organization's own "
                "or a public rate) to see these amounts in {quote}."
            ).format(base=base, quote=quote, date=date.isoformat()),
            code="missing_rate",
        )


@dataclass(frozen=True)
class ReportFilters:
    """Ids of the source, campaign, offer and program, and the country and OS a report is limited to. A
    campaign keeps its namesakes in the other sources (:func:`same_campaign_ids`)."""

    source: int | None = None
    campaign: int | None = None
    offer: int | None = None
    program: int | None = None
    country: str = ""
    os: str = ""
    # The campaign's namesakes (same_campaign_ids), where the caller has them already: one look-up a request.
    campaigns: tuple[int, ...] = ()
    time_zone: str = ""  # only the facts written in this time zone

    @property
    def cuts_campaigns_days(self) -> bool:
        """True when the filters keep a part of some campaigns' days (their campaign, offer, program, country, OS
        or time zone), not whole days of every campaign (the source filter keeps whole sources)."""
        return any((self.campaign, self.offer, self.program, self.country, self.os, self.time_zone))

    def lookups(self) -> dict:
        found = {
            "source_id": self.source,
            "campaign_id": self.campaign,
            "campaign__offer_id": self.offer,
            "campaign__offer__program_id": self.program,
            "country": self.country.upper() if self.country else None,
            "os": self.os.lower() if self.os else None,
            "time_zone": self.time_zone or None,
        }
        return {name: value for name, value in found.items() if value is not None}


_AD_NETWORK, _ATTRIBUTION, _TRACKER = (
    TrafficSource.Kind.AD_NETWORK.value,
    TrafficSource.Kind.ATTRIBUTION.value,
    TrafficSource.Kind.TRACKER.value,
)

# The kinds of source that count each metric, the one that counts it first-hand first: an ad network counts the
# impressions it served, the clicks and the spend it charged; an attribution platform the installs it
# attributed; a tracker the conversions and the revenue the offers paid. Each of them also counts some of the
# others' metrics of the same campaigns (a tracker its own clicks, an attribution platform the cost it was
# told), so where sources of several kinds report one campaign on one day, each metric of that campaign's day
# is taken from one kind only: the first of its list that has it there. A campaign is the same in two sources
# when it has the same name (case and surrounding spaces aside), as reconciliation pairs them; a campaign or a
# day that only one kind reports keeps all that kind's figures.
METRIC_OWNERS = {
    "impressions": (_AD_NETWORK, _ATTRIBUTION, _TRACKER),
    "clicks": (_AD_NETWORK, _ATTRIBUTION, _TRACKER),
    "spend": (_AD_NETWORK, _ATTRIBUTION, _TRACKER),
    "installs": (_ATTRIBUTION, _AD_NETWORK, _TRACKER),
    "conversions": (_TRACKER, _ATTRIBUTION, _AD_NETWORK),
    "revenue": (_TRACKER, _ATTRIBUTION, _AD_NETWORK),
}
# The metrics in the sentence that says where they come from (the facts' own field names, translated once).
_METRIC_NOUNS = {
    "spend": gettext_lazy("spend"),
    "impressions": gettext_lazy("impressions"),
    "clicks": gettext_lazy("clicks"),
    "installs": gettext_lazy("installs"),
    "conversions": gettext_lazy("conversions"),
    "revenue": gettext_lazy("revenue"),
}
_TAKEN_FROM = {
    _AD_NETWORK: gettext_lazy("{metrics} from the ad networks"),
    _ATTRIBUTION: gettext_lazy("{metrics} from the attribution platforms"),
    _TRACKER: gettext_lazy("{metrics} from the trackers"),
}


def campaign_identity(campaign_name: str | None) -> str:
    """What makes campaigns of several sources one campaign: their name, case and surrounding spaces aside."""
    return (campaign_name or "").strip().casefold()


def campaign_day(day: dt.date, campaign_name: str | None) -> tuple[dt.date, str]:
    """The slot inside which each metric is taken from one kind: a campaign (by its name) on a report date."""
    return day, campaign_identity(campaign_name)


def campaigns_by_identity(*, organization_id: int) -> dict[str, list[tuple[int, str]]]:
    """The organization's campaigns as one campaign each (:func:`campaign_identity`): the (id, name) of every
    source's campaign of it, by id. Names are compared as Python folds them (the database's lower() depends on
    its locale), over the organization's campaigns: a few hundred to a few thousand (a sub-id is a cut of a
    campaign, not one)."""
    grouped: dict[str, list[tuple[int, str]]] = {}
    campaigns = Campaign.objects.filter(organization_id=organization_id).order_by("pk")
    for pk, name in campaigns.values_list("pk", "name"):
        grouped.setdefault(campaign_identity(name), []).append((pk, name))
    return grouped


def same_campaign_ids(*, organization_id: int, campaign_id: int) -> list[int]:
    """The campaign and every campaign of the same name (:func:`campaign_identity`) in the organization's sources:
    one campaign as the ad network, the attribution platform and the tracker each report it, as ownership and
    reconciliation pair them (the unnamed campaigns of files without campaigns are one too). Only the campaign
    itself when it is not the organization's."""
    for campaigns in campaigns_by_identity(organization_id=organization_id).values():
        ids = [pk for pk, _name in campaigns]
        if campaign_id in ids:
            return ids
    return [campaign_id]


class Owners:
    """Which kind of source each metric of each campaign's day is taken from (:data:`METRIC_OWNERS`), learnt
    from every group of sums read (:meth:`saw`), and which kinds each metric was taken from overall."""

    def __init__(self) -> None:
        self._present: dict[tuple, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        self._kinds: dict[tuple, set[str]] = defaultdict(set)
        self._owner: dict[tuple, dict[str, str | None]] = {}
        self.used: dict[str, set[str]] = defaultdict(set)

    def saw(self, slot: tuple, kind: str, values: dict) -> None:
        """A group of ``kind``'s sums (metric -> sum or None) of the campaign's day ``slot``."""
        self._kinds[slot].add(kind)
        present = self._present[slot]
        for name, value in values.items():
            if value is not None:
                present[name].add(kind)

    def kinds(self, slot: tuple) -> set[str]:
        """The kinds of source that report the campaign's day ``slot``."""
        return self._kinds.get(slot, set())

    def owner(self, slot: tuple, metric: str) -> str | None:
        owners = self._owner.get(slot)
        if owners is None:
            present = self._present.get(slot, {})
            owners = self._owner[slot] = {
                name: next((kind for kind in METRIC_OWNERS[name] if kind in present.get(name, ())), None)
                for name in METRIC_OWNERS
            }
        return owners[metric]

    def owned(self, slot: tuple, kind: str, values: dict) -> dict:
        """``values`` (metric -> sum of one group of ``kind``) with the metrics this kind does not own here
        made None; the kinds that gave a value are remembered in :attr:`used`."""
        alone = len(self._kinds.get(slot, ())) == 1  # a campaign's day of one kind only: all of it is its own
        found = {}
        for name, value in values.items():
            if value is not None and (alone or self.owner(slot, name) == kind):
                found[name] = value
                self.used[name].add(kind)
            else:
                found[name] = None
        return found

    def metric_kinds(self) -> dict[str, list[str]]:
        """metric -> the kinds it was taken from, the first-hand one first."""
        return {
            name: [kind for kind in owners if kind in self.used[name]]
            for name, owners in METRIC_OWNERS.items()
            if self.used.get(name)
        }


class SummedSourceKinds:
    """What a report that adds up traffic sources says about their kinds (``source_kinds`` and
    ``metric_kinds``, set by the report): where sources of several kinds report a campaign's day, each metric
    of it is taken from one kind only (:data:`METRIC_OWNERS`), so that a click counted by the ad network and
    again by the tracker is counted once."""

    source_kinds: list[str]
    metric_kinds: dict[str, list[str]]

    @property
    def mixed_source_kinds(self) -> bool:
        return len(self.source_kinds) > 1

    @property
    def source_kinds_warning(self) -> str:
        """The sentence the pages and the downloads show when the kinds are mixed ("" otherwise)."""
        if not self.mixed_source_kinds:
            return ""
        labels = ", ".join(str(TrafficSource.Kind(kind).label).lower() for kind in self.source_kinds)
        first = {metric: kinds[0] for metric, kinds in self.metric_kinds.items() if kinds}
        taken = "; ".join(
            str(_TAKEN_FROM[kind]).format(
                metrics=get_text_list(
                    [str(noun) for metric, noun in _METRIC_NOUNS.items() if first.get(metric) == kind], _("and")
                )
            )
            for kind in TrafficSource.Kind.values
            if kind in first.values()
        )
        return _(
            "The report adds up sources of different kinds ({kinds}). So that nothing is counted twice, each metric "
            "of a campaign's day is taken from one kind of source: {taken}. Where that kind has no value for the "
            "campaign's day, it is taken from another kind."
        ).format(kinds=labels, taken=taken)


def summed_source_kinds(kinds: set[str]) -> list[str]:
    """The kinds met while summing, in the kinds' own order."""
    return [kind for kind in TrafficSource.Kind.values if kind in kinds]


@dataclass
class ReportRow:
    key: str
    label: str
    time_zone: str
    sums: dict
    kpis: dict = field(default_factory=dict)
    rates: list = field(default_factory=list)  # the rates used, on a row of a day

    @property
    def time_zones(self) -> list[str]:
        """The zones the row sums: one on a row of a day, week or month; any other row may sum several."""
        return self.time_zone.split(ZONES_JOINED)


@dataclass
class TrafficReport(SummedSourceKinds):
    organization: object
    date_from: dt.date
    date_to: dt.date
    group_by: str
    currency: str
    precision: int
    filters: ReportFilters
    rows: list[ReportRow]
    totals: dict
    total_kpis: dict
    time_zones: list[str]
    rates: list[FxRateUsed]
    without_currency: int  # groups whose amounts name no currency: left out of the amounts
    source_kinds: list[str] = field(default_factory=list)  # the kinds of the sources whose data is summed
    metric_kinds: dict[str, list[str]] = field(default_factory=dict)  # metric -> the kinds it was taken from

    @property
    def mixed_time_zones(self) -> bool:
        return len(self.time_zones) > 1

    @property
    def source_kinds_warning(self) -> str:
        warning = super().source_kinds_warning
        if warning and self.group_by == "source":
            return " ".join((warning, _("The rows by source show each source's own values; the totals do not.")))
        return warning


def _add(total, value):
    """A sum where missing stays missing: None + None is None, None + 5 is 5."""
    if value is None:
        return total
    return value if total is None else total + value


# NUMERIC(28, 8) times a rate of 12 places, exactly (the sums of such products keep 28 digits: far below a cent).
_EXACT = Context(prec=60)


class Converter:
    """Amounts into one currency at each date's rate, asking ``fx_rate_for`` once per currency and date."""

    def __init__(self, organization, currency: Currency):
        self.organization = organization
        self.currency = currency
        self.rates: dict[tuple[str, dt.date], FxRateUsed] = {}

    def rate(self, currency: str, on: dt.date) -> FxRateUsed | None:
        if currency == self.currency.pk:
            return None
        if (currency, on) not in self.rates:
            try:
                used = fx_rate_for(organization=self.organization, base=currency, quote=self.currency.pk, on=on)
            except ValidationError as error:
                if getattr(error, "code", None) == "fx_rate_missing":
                    raise MissingRate(currency, self.currency.pk, on) from None
                raise
            self.rates[(currency, on)] = used
        return self.rates[(currency, on)]

    def convert(self, amount: Decimal | None, currency: str, on: dt.date) -> Decimal | None:
        """``amount`` in the reporting currency, exactly (not rounded): a report adds up such amounts and
        rounds each figure once, with :meth:`round`, so that its totals do not depend on how it is grouped."""
        if amount is None:
            return None
        used = self.rate(currency, on)
        if used is None:
            return amount
        return _EXACT.multiply(amount, used.rate)

    def round(self, amount: Decimal | None) -> Decimal | None:
        """An amount in the reporting currency rounded half-even to its places (the money rule), once."""
        return None if amount is None else round_to(amount, self.currency.precision)

    def used(self) -> list[FxRateUsed]:
        return [self.rates[key] for key in sorted(self.rates)]


def _rounded_kpis(sums: dict, converter: Converter) -> dict:
    """The KPIs of exact ``sums``, the sums of money among them (revenue, profit) rounded like the amounts."""
    values = kpi_values(sums)
    for code, kpi in KPIS.items():
        if kpi.places is None:
            values[code] = converter.round(values[code])
    return values


def _round_amounts(sums: dict, converter: Converter) -> None:
    for name in AMOUNTS:
        sums[name] = converter.round(sums[name])


def _period(group_by: str, day: dt.date) -> tuple[str, str]:
    if group_by == "week":
        start = day - dt.timedelta(days=day.weekday())
        return start.isoformat(), _("Week of {date}").format(date=start.isoformat())
    if group_by == "month":
        return day.strftime("%Y-%m"), day.strftime("%Y-%m")
    return day.isoformat(), day.isoformat()


def traffic_report(
    *,
    organization,
    date_from: dt.date,
    date_to: dt.date,
    group_by: str = "day",
    filters: ReportFilters | None = None,
) -> TrafficReport:
    """The organization's traffic from ``date_from`` to ``date_to`` inclusive (report dates, each in its
    source's time zone), grouped by ``group_by`` (one of :data:`GROUPINGS`), in its reporting currency.

    Raises :class:`MissingRate` when a day's amounts in a currency cannot be converted."""
    if group_by not in GROUPINGS:
        raise ValueError(group_by)
    filters = filters or ReportFilters()
    currency = Currency.objects.get(pk=organization.reporting_currency_id)
    model = MetricFact if group_by == "creative" else DailyRollup
    lookups = filters.lookups()
    if "campaign_id" in lookups:  # a campaign, as every source reports it
        campaign = lookups.pop("campaign_id")
        lookups["campaign_id__in"] = list(filters.campaigns) or same_campaign_ids(
            organization_id=organization.pk, campaign_id=campaign
        )
    _label, group_fields, name_field = GROUPINGS[group_by]
    names = (name_field,) if name_field else ()
    # Where the sources are all of one kind, that kind owns every metric and the campaigns' days need not be
    # told apart: the rows are read without the campaigns' names (a month of ten million facts in 60 groups
    # rather than 3,000).
    sources = TrafficSource.objects.filter(organization_id=organization.pk)
    if filters.source is not None:
        sources = sources.filter(pk=filters.source)
    slot_fields = ("campaign__name",) if sources.values("kind").distinct().count() > 1 else ()
    queryset = (
        model.objects.filter(
            organization_id=organization.pk, report_date__gte=date_from, report_date__lte=date_to, **lookups
        )
        .values(*group_fields, *names, *slot_fields, "report_date", "currency", "time_zone", "source__kind")
        .annotate(**{f"sum_{name}": Sum(name) for name in SUMS})
        .order_by()
    )
    groups = list(queryset)
    owners = Owners()
    for group in groups:
        group["slot"] = campaign_day(group["report_date"], group.get("campaign__name"))
        group["values"] = {name: group[f"sum_{name}"] for name in SUMS}
    if slot_fields and filters.cuts_campaigns_days:
        # Which kind owns a metric of a campaign's day is decided by the whole day, not by the part of it a
        # filter keeps: a report of one country, offer or campaign shows that part of the figures the report
        # of everything shows.
        for day in (
            DailyRollup.objects.filter(
                organization_id=organization.pk, report_date__gte=date_from, report_date__lte=date_to
            )
            .values("report_date", "campaign__name", "source__kind")
            .annotate(**{f"has_{name}": Count(name) for name in SUMS})
            .order_by()
        ):
            values = {name: day[f"has_{name}"] or None for name in SUMS}
            owners.saw(campaign_day(day["report_date"], day["campaign__name"]), day["source__kind"], values)
    else:
        for group in groups:
            owners.saw(group["slot"], group["source__kind"], group["values"])
    converter = Converter(organization, currency)
    # A row by source shows that source's own figures beside the others' (comparing them is the point of the
    # grouping); every other row, and the totals always, take each metric from the kind that owns it.
    own_figures = group_by == "source"
    rows: dict[tuple[str, str], ReportRow] = {}
    totals = dict.fromkeys(SUMS)
    without_currency = 0
    kinds: set[str] = set()
    for group in groups:
        kind = group["source__kind"]
        kinds.update(owners.kinds(group["slot"]))
        values = group["values"]
        owned = owners.owned(group["slot"], kind, values)
        shown = values if own_figures else owned
        if all(value is None for value in shown.values()):
            continue  # what this source counts of this campaign's day is taken from sources of another kind
        day = group["report_date"]
        if group_by in TIME_GROUPINGS:
            key, label = _period(group_by, day)
        else:
            value = group[group_fields[0]]
            key = "" if value is None else str(value)
            label = str(group[name_field] if name_field else value) if value not in (None, "") else ""
            label = label or _("(none)")
        # A row by campaign is one campaign as every source reports it (the network's spend beside the
        # tracker's revenue), named and keyed by the lowest id of its campaigns. A day (week, month) of one time
        # zone is never added up with another zone's; any other row sums its period in each source's own zone,
        # as the totals do, and names the zones it sums.
        identity = campaign_identity(group["campaign__name"]) if group_by == "campaign" else key
        slot = (identity, group["time_zone"]) if group_by in TIME_GROUPINGS else (identity, "")
        row = rows.get(slot)
        if row is None:
            row = rows[slot] = ReportRow(key, label, group["time_zone"], dict.fromkeys(SUMS))
        else:
            if group_by == "campaign" and int(key) < int(row.key):
                row.key, row.label = key, label
            if group["time_zone"] not in row.time_zone.split(ZONES_JOINED):
                row.time_zone = ZONES_JOINED.join(sorted([*row.time_zone.split(ZONES_JOINED), group["time_zone"]]))
        for name in COUNTS:
            row.sums[name] = _add(row.sums[name], shown[name])
            totals[name] = _add(totals[name], owned[name])
        if all(shown[name] is None for name in AMOUNTS):
            continue
        if not group["currency"]:
            without_currency += 1
            continue
        for name in AMOUNTS:
            row.sums[name] = _add(row.sums[name], converter.convert(shown[name], group["currency"], day))
            totals[name] = _add(totals[name], converter.convert(owned[name], group["currency"], day))
        used = converter.rate(group["currency"], day)
        if group_by == "day" and used is not None and used not in row.rates:
            row.rates.append(used)

    if group_by in TIME_GROUPINGS:
        ordered = sorted(rows.values(), key=lambda row: (row.key, row.time_zone))
    else:
        ordered = sorted(rows.values(), key=lambda row: (row.label.casefold(), row.key, row.time_zone))
    # Exact sums until here; the amounts (and the money KPIs) are rounded once, so the totals are the same by
    # day as by offer. The ratios are taken of the exact sums: a cent-per-click network's CPC stays exact.
    for row in ordered:
        row.kpis = _rounded_kpis(row.sums, converter)
        _round_amounts(row.sums, converter)
    total_kpis = _rounded_kpis(totals, converter)
    _round_amounts(totals, converter)
    return TrafficReport(
        organization=organization,
        date_from=date_from,
        date_to=date_to,
        group_by=group_by,
        currency=currency.pk,
        precision=currency.precision,
        filters=filters,
        rows=ordered,
        totals=totals,
        total_kpis=total_kpis,
        time_zones=sorted({zone for row in ordered for zone in row.time_zones}),
        rates=converter.used(),
        without_currency=without_currency,
        source_kinds=summed_source_kinds(kinds),
        metric_kinds=owners.metric_kinds(),
    )


# --- reconciliation ------------------------------------------------------------------------------------------

DEFAULT_THRESHOLD = Decimal("0.05")  # 5%: ad networks and trackers round and attribute a little differently
KINDS = (TrafficSource.Kind.AD_NETWORK, TrafficSource.Kind.ATTRIBUTION, TrafficSource.Kind.TRACKER)


@dataclass
class ReconciliationRow:
    report_date: dt.date
    campaign: str
    amounts: dict  # kind -> spend (cost) in the reporting currency, None when that kind has no data
    difference: Decimal | None  # the largest minus the smallest of the amounts present
    share: Decimal | None  # the difference over the ad network's spend (else over the largest amount)
    flagged: bool


@dataclass
class Reconciliation:
    date_from: dt.date
    date_to: dt.date
    currency: str
    threshold: Decimal
    rows: list[ReconciliationRow]
    rates: list[FxRateUsed]


def reconciliation_list(
    *, organization, date_from: dt.date, date_to: dt.date, threshold: Decimal = DEFAULT_THRESHOLD
) -> Reconciliation:
    """Spend by day and campaign as the ad network, the attribution platform and the tracker report it, in
    the reporting currency; a row where at least two of them report and the difference exceeds ``threshold``
    (a share: 0.05 is 5%) of the ad network's spend is flagged.

    The same campaign in two sources is the campaign of the same name (case and surrounding spaces aside):
    each source keeps its own campaigns, and the name people see can be changed to make two of them match."""
    currency = Currency.objects.get(pk=organization.reporting_currency_id)
    converter = Converter(organization, currency)
    groups = (
        DailyRollup.objects.filter(
            organization_id=organization.pk, report_date__gte=date_from, report_date__lte=date_to
        )
        .exclude(currency="")
        .values("report_date", "campaign__name", "source__kind", "currency")
        .annotate(spend=Sum("spend"))
        .order_by()
    )
    found: dict[tuple[dt.date, str], dict] = defaultdict(dict)
    names: dict[tuple[dt.date, str], str] = {}
    for group in groups:
        if group["spend"] is None:
            continue
        key = (group["report_date"], group["campaign__name"].strip().casefold())
        names.setdefault(key, group["campaign__name"].strip())
        amount = converter.convert(group["spend"], group["currency"], group["report_date"])
        found[key][group["source__kind"]] = _add(found[key].get(group["source__kind"]), amount)
    rows = []
    for key in sorted(found):
        amounts = {kind.value: converter.round(found[key].get(kind.value)) for kind in KINDS}
        present = [amount for amount in amounts.values() if amount is not None]
        difference = share = None
        flagged = False
        if len(present) >= 2:
            difference = max(present) - min(present)
            base = amounts[TrafficSource.Kind.AD_NETWORK.value]
            base = base if base is not None else max(present)
            share = (difference / base).quantize(Decimal("0.0001")) if base else None
            flagged = difference > 0 and (share is None or share > threshold)
        rows.append(ReconciliationRow(key[0], names[key], amounts, difference, share, flagged))
    return Reconciliation(date_from, date_to, currency.pk, threshold, rows, converter.used())


# --- freshness -----------------------------------------------------------------------------------------------


@dataclass
class SourceFreshness:
    source: TrafficSource
    newest: dt.date | None  # the newest report date of its data
    age: dt.timedelta | None  # since that day ended in the source's time zone
    stale: bool


def source_freshness_list(*, organization, now: dt.datetime | None = None) -> list[SourceFreshness]:
    """Every traffic source of the organization with the newest day of its data; stale is a source without
    data, or whose newest day ended longer ago than its expected delay (in the source's time zone)."""
    now = now or timezone.now()
    newest = dict(
        DailyRollup.objects.filter(organization_id=organization.pk)
        .values("source_id")
        .annotate(newest=Max("report_date"))
        .values_list("source_id", "newest")
        .order_by()
    )
    found = []
    for source in TrafficSource.objects.filter(organization_id=organization.pk).order_by("name", "pk"):
        day = newest.get(source.pk)
        if day is None:
            found.append(SourceFreshness(source, None, None, True))
            continue
        try:
            zone = ZoneInfo(source.time_zone or "UTC")
        except (KeyError, ValueError):
            zone = ZoneInfo("UTC")
        ended = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=zone)
        age = now - ended
        found.append(SourceFreshness(source, day, age, age > source.expected_delay))
    return found
