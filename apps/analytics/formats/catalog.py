"""The formats Kontora reads, each described by the columns it carries, and how a header is matched to one.

A format is data: for each of our fields, the header names the product writes for it (in every spelling seen:
English and Russian interfaces, report-API slugs, "Impression" and "Impressions"). Headers are compared by a
key that ignores case, spacing, punctuation and a plural "s", so "Total Cost", "total_cost" and "TOTAL COST"
are one column. A format fits a header when one of its marker columns is present (the columns only that
product writes), every required field has a column, and none of its excluded columns is present.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from .rows import CONVERSION, METRIC
from .values import currency_from_spelling

CSV, JSON, HEADERLESS = "csv", "json", "headerless"

# Our fields and the kind of value each holds (see values.py for how each kind is read).
METRIC_FIELDS = {
    "report_date": "date",
    "campaign_id": "text",
    "campaign_name": "text",
    "ad_group": "text",
    "creative": "text",
    "placement": "text",
    "country": "country",
    "os": "os",
    "sub_id": "text",
    "impressions": "count",
    "clicks": "count",
    "installs": "count",
    "conversions": "count",
    "spend": "amount",
    "revenue": "amount",
    "currency": "currency",
    # The time zone the file's dates are in, where a file says so per line (Binom's cost import): one per file.
    "time_zone": "utc_offset",
}
CONVERSION_FIELDS = {
    "click_id": "text",
    "transaction_id": "text",
    "event": "text",
    "status": "text",
    "payout": "amount",
    "currency": "currency",
    "click_time": "datetime",
    "conversion_time": "datetime",
    "campaign_id": "text",
    "campaign_name": "text",
    "country": "country",
    "os": "os",
    "sub_id": "text",
}


def header_key(name: str) -> str:
    """The form in which two spellings of one header compare equal ("Impressions" == "impression ")."""
    key = "".join(ch for ch in name.casefold().replace("ё", "е") if ch.isalnum())
    if len(key) > 3 and key.endswith("s") and not key.endswith("ss"):
        key = key[:-1]
    return key


# "Sales in EUR", "Revenue (USD)", "Cost, EUR", "Cost USD", "Расход, руб." -> (name, currency)
_CURRENCY_IN_HEADER = (
    re.compile(r"^(?P<name>.+?)\s+in\s+(?P<code>\S{1,4})$", re.IGNORECASE),
    re.compile(r"^(?P<name>.+?)\s*\(\s*(?P<code>[^()]{1,5})\s*\)$"),
    re.compile(r"^(?P<name>.+?)\s*,\s*(?P<code>\S{1,5})$"),
    re.compile(r"^(?P<name>.+?)[\s_]+(?P<code>[A-Za-z]{3})$"),
)


def split_currency(header: str) -> tuple[str, str]:
    """The header without a currency it names, and that currency ("" when it names none)."""
    for pattern in _CURRENCY_IN_HEADER:
        match = pattern.match(header.strip())
        if match:
            code = currency_from_spelling(match["code"])
            if code:
                return match["name"].strip(), code
    return header, ""


# AppsFlyer's aggregated reports carry three columns per in-app event, named after the app's own events:
# "af_purchase (Unique users)", "af_purchase (Event counter)", "af_purchase (Sales in USD)".
EVENT_TRIPLE = re.compile(
    r"^(?P<event>.+?)\s*\((?P<what>unique users|event counter|sales in (?P<code>[A-Za-z]{3}))\)$", re.IGNORECASE
)


@dataclass(frozen=True)
class FileFormat:
    """One product's export: what it is called, what it holds and how its header is recognised."""

    code: str
    label: str
    kind: str
    columns: dict[str, tuple[str, ...]]
    markers: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    container: str = CSV
    event_triples: bool = False
    # Fields made of several columns joined with "|" (a raw in-app event has no id of its own).
    joined: dict[str, tuple[str, ...]] = field(default_factory=dict)
    default_event: str = ""
    detected_by: str = ""  # for the README table and the "formats tried" message

    def __str__(self) -> str:
        return str(self.label)

    @property
    def fields(self) -> dict[str, str]:
        return METRIC_FIELDS if self.kind == METRIC else CONVERSION_FIELDS

    def keys(self) -> dict[str, str]:
        """header key -> our field."""
        found: dict[str, str] = {}
        for name, aliases in self.columns.items():
            for alias in aliases:
                found.setdefault(header_key(alias), name)
        return found

    def fits(self, header: list[str]) -> int:
        """How many of our fields the header fills, or 0 when it is not this format."""
        keys = {header_key(name) for name in header}
        if self.markers and not keys & {header_key(marker) for marker in self.markers}:
            return 0
        if keys & {header_key(name) for name in self.excluded}:
            return 0
        mapped = resolve(self, header)
        if any(name not in mapped.fields for name in self.required):
            return 0
        return len(mapped.fields) + len(mapped.events)


@dataclass
class Resolved:
    """Which column of this file holds which field."""

    fields: dict[str, int] = field(default_factory=dict)  # our field -> column index
    header_currency: dict[str, str] = field(default_factory=dict)  # our field -> currency named by its header
    events: dict[str, int] = field(default_factory=dict)  # event -> its "Event counter" column
    event_sales: dict[str, int] = field(default_factory=dict)  # event -> its "Sales in XXX" column
    sales_currency: str = ""
    joined: dict[str, tuple[int, ...]] = field(default_factory=dict)


def resolve(fmt: FileFormat, header: list[str]) -> Resolved:
    resolved = Resolved()
    keys = fmt.keys()
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        positions.setdefault(header_key(name), index)
    # Exact names first, in the order of the aliases (a product's own column before a look-alike), so that
    # "Event Revenue" wins over "Event Revenue USD" for the same field.
    taken: set[int] = set()
    for name, aliases in fmt.columns.items():
        for alias in aliases:
            index = positions.get(header_key(alias))
            if index is not None and index not in taken:
                resolved.fields[name] = index
                taken.add(index)
                break
    for index, name in enumerate(header):
        if index in taken or header_key(name) in keys:
            continue
        if fmt.event_triples:
            triple = EVENT_TRIPLE.match(name.strip())
            if triple:
                event, what = triple["event"].strip(), triple["what"].casefold()
                if what == "event counter":
                    resolved.events.setdefault(event, index)
                elif what.startswith("sales"):
                    resolved.event_sales.setdefault(event, index)
                    resolved.sales_currency = resolved.sales_currency or triple["code"].upper()
                continue
        base, code = split_currency(name)
        if code:
            found = keys.get(header_key(base))
            if found and found not in resolved.fields:
                resolved.fields[found] = index
                resolved.header_currency[found] = code
    for target, sources in fmt.joined.items():
        indexes = tuple(positions.get(header_key(source), -1) for source in sources)
        if target not in resolved.fields and all(index >= 0 for index in indexes):
            resolved.joined[target] = indexes
    return resolved


# --------------------------------------------------------------------------------------------- the formats

DATE = ("Date", "Day", "Report Date", "Дата", "День", "date_local", "date_utc")

MOLOCO_CSV = FileFormat(
    code="moloco_csv",
    label=_("Moloco dashboard report (CSV)"),
    kind=METRIC,
    columns={
        "report_date": DATE,
        "campaign_id": ("Campaign ID",),
        "campaign_name": ("Campaign", "Campaign Title", "Campaign Name"),
        "ad_group": ("Ad Group", "Ad Group Title", "Ad Group Name"),
        "creative": ("Creative", "Creative Title", "Creative Name"),
        "placement": ("Exchange", "Publisher", "App/Site", "Inventory"),
        # The report API's CSV names a campaign's country "Campaign_Country".
        "country": ("Country", "Campaign Country"),
        "os": ("OS", "Platform"),
        "impressions": ("Impressions",),
        "clicks": ("Clicks",),
        "installs": ("Installs",),
        "conversions": ("Conversions", "Actions", "KPI Actions"),
        "spend": ("Spend", "Gross Spend"),
        "currency": ("Currency",),
    },
    # The report API's CSV (dimensions DATE, CAMPAIGN) has none of the dashboard's columns but "Campaign_Title".
    markers=("Exchange", "Ad Group", "Ad Group Title", "Creative Title", "Gross Spend", "Campaign Title"),
    required=("report_date", "spend"),
    detected_by="Date, Campaign, Spend and one of Exchange / Ad Group / Creative Title / Campaign_Title",
)

MOLOCO_JSON = FileFormat(
    code="moloco_json",
    label=_("Moloco report API (JSON rows)"),
    kind=METRIC,
    container=JSON,
    columns={
        "report_date": ("date", "date_local", "date_utc"),
        "campaign_id": ("campaign.id", "campaign_id"),
        "campaign_name": ("campaign.title", "campaign.name", "campaign_title"),
        "ad_group": ("ad_group.title", "ad_group.id", "ad_group_title"),
        "creative": ("creative.title", "creative.id", "creative_title"),
        "placement": ("exchange", "publisher.title", "app_or_site.title", "inventory.exchange"),
        "country": ("country", "campaign.country", "geo.country"),
        "os": ("os", "platform", "campaign.os", "device.os"),
        "impressions": ("metric.impressions", "impressions"),
        "clicks": ("metric.clicks", "clicks"),
        "installs": ("metric.installs", "installs"),
        "conversions": ("metric.conversions", "metric.actions", "conversions"),
        "spend": ("metric.spend", "spend"),
        "currency": ("currency", "metric.currency", "ad_account.currency"),
    },
    markers=("metric.impressions", "metric.spend", "metric.installs", "metric.clicks"),
    required=("report_date", "spend"),
    detected_by="JSON rows with date and metric.spend / metric.impressions",
)

_APPSFLYER_AGGREGATE = {
    "report_date": ("Date",),
    "campaign_id": ("Campaign Id", "Campaign ID"),
    "campaign_name": ("Campaign (c)", "Campaign Name", "Campaign"),
    "ad_group": ("Adset Name", "Adset (af_adset)", "Adset"),
    "creative": ("Adgroup Name", "Ad (af_ad)", "Ad"),
    "placement": ("Media Source (pid)", "Media Source"),
    "sub_id": ("Site ID (af_siteid)", "Site ID"),
    "impressions": ("Impressions",),
    "clicks": ("Clicks",),
    "installs": ("Installs",),
    "spend": ("Total Cost",),
    "revenue": ("Total Revenue",),
}

APPSFLYER_PARTNERS = FileFormat(
    code="appsflyer_partners",
    label=_("AppsFlyer partners by date (aggregated)"),
    kind=METRIC,
    columns=_APPSFLYER_AGGREGATE,
    markers=("Agency/PMD (af_prt)", "Media Source (pid)"),
    required=("report_date",),
    excluded=("Country",),
    event_triples=True,
    detected_by="Date, Agency/PMD (af_prt), Media Source (pid), no Country",
)

APPSFLYER_GEO = FileFormat(
    code="appsflyer_geo",
    label=_("AppsFlyer geo by date (aggregated)"),
    kind=METRIC,
    columns={**_APPSFLYER_AGGREGATE, "country": ("Country",)},
    markers=("Agency/PMD (af_prt)", "Media Source (pid)"),
    required=("report_date", "country"),
    event_triples=True,
    detected_by="Date, Country, Agency/PMD (af_prt), Media Source (pid)",
)

_APPSFLYER_RAW = {
    "click_time": ("Attributed Touch Time",),
    "event": ("Event Name",),
    "payout": ("Event Revenue",),
    "currency": ("Event Revenue Currency",),
    "campaign_id": ("Campaign ID",),
    "campaign_name": ("Campaign",),
    "country": ("Country Code",),
    "os": ("Platform",),
    "sub_id": ("Site ID",),
}

APPSFLYER_RAW_INSTALLS = FileFormat(
    code="appsflyer_raw_installs",
    label=_("AppsFlyer raw installs"),
    kind=CONVERSION,
    columns={**_APPSFLYER_RAW, "conversion_time": ("Install Time",), "transaction_id": ("AppsFlyer ID",)},
    markers=("AppsFlyer ID",),
    required=("conversion_time", "transaction_id"),
    default_event="install",
    detected_by="AppsFlyer ID, Install Time, Event Name; the first rows' event is “install”",
)

APPSFLYER_RAW_EVENTS = FileFormat(
    code="appsflyer_raw_events",
    label=_("AppsFlyer raw in-app events"),
    kind=CONVERSION,
    columns={**_APPSFLYER_RAW, "conversion_time": ("Event Time",)},
    markers=("AppsFlyer ID",),
    required=("conversion_time",),
    # An in-app event has no id of its own: the user, the moment and the event name identify it.
    joined={"transaction_id": ("AppsFlyer ID", "Event Time", "Event Name")},
    detected_by="AppsFlyer ID, Event Time, Event Name; the first rows' event is not “install”",
)

ADJUST_CSV = FileFormat(
    code="adjust_csv",
    label=_("Adjust report (CSV)"),
    kind=METRIC,
    columns={
        "report_date": ("day", "date"),
        "campaign_id": ("campaign_id_network", "Campaign ID (network)", "campaign_id"),
        "campaign_name": ("campaign_network", "Campaign (network)", "campaign"),
        "ad_group": ("adgroup_network", "Adgroup (network)", "adgroup"),
        "creative": ("creative_network", "Creative (network)", "creative"),
        "placement": ("network", "partner_name", "Partner", "source_network"),
        "country": ("country_code", "Country Code", "country"),
        "os": ("os_name", "OS Name", "platform"),
        "impressions": ("impressions", "network_impressions"),
        "clicks": ("clicks", "network_clicks"),
        "installs": ("installs", "network_installs"),
        "conversions": ("events", "conversions"),
        "spend": ("cost", "network_cost", "ad_spend", "Ad Spend"),
        "revenue": ("all_revenue", "revenue", "All Revenue"),
        "currency": ("currency_code", "currency", "Currency Code"),
    },
    markers=("network", "partner_name", "campaign_network", "os_name", "adgroup_network", "Campaign (network)"),
    required=("report_date",),
    detected_by="day, network / partner_name / campaign_network / os_name (slugs or readable names)",
)

KEITARO = FileFormat(
    code="keitaro",
    label=_("Keitaro report export"),
    kind=METRIC,
    columns={
        "report_date": DATE,
        "campaign_id": ("Campaign ID", "ID кампании", "campaign_id"),
        "campaign_name": ("Campaign", "Кампания", "campaign"),
        "creative": ("Creative ID", "creative_id", "Креатив"),
        "placement": ("Source", "Traffic source", "Источник", "Источник трафика", "ts"),
        # The Admin API's report (POST /admin_api/v1/report/build) has both "country_code" and "country" (the
        # name); the code is the one to trust when a file carries both.
        "country": ("country_code", "Country", "Страна", "country"),
        "os": ("OS", "ОС", "Operating system", "Операционная система", "os"),
        "sub_id": ("Sub ID 1", "sub_id_1", "SubID 1", "Sub ID", "sub_id"),
        "clicks": ("Clicks", "Клики", "clicks"),
        "conversions": ("Conversions", "Конверсии", "conversions"),
        "spend": ("Cost", "Расход", "Расходы", "cost"),
        "revenue": ("Revenue", "Доход", "revenue"),
        "currency": ("Currency", "Валюта", "currency"),
    },
    # The API's metric slugs that only Keitaro uses (its report/build metric list) recognise a file saved from
    # the API whatever other metrics were asked for.
    markers=(
        "Unique clicks",
        "Уникальные клики",
        "Уник. клики",
        "campaign_unique_clicks",
        "stream_unique_clicks",
        "global_unique_clicks",
        "Sales",
        "Продажи",
        "sale_revenue",
        "lead_revenue",
        "profit_confirmed",
        "roi_confirmed",
    ),
    required=("report_date",),
    # Binom's own API slugs for landing-page traffic: a Binom file with "unique_clicks" is not Keitaro's.
    excluded=("lander_clicks", "lander_views", "lander_ctr", "offer_clicks"),
    detected_by=(
        "Date/Дата with Unique clicks / Уникальные клики or Sales / Продажи (English or Russian UI), or day with"
        " the Admin API's campaign_unique_clicks / sales / roi_confirmed …"
    ),
)

# The two columns a Binom report grouped in "Name" is read with (reading._binom_grouped): the names say where
# they came from when a message names them.
GROUPED_DAY, GROUPED_CAMPAIGN = "Name (day)", "Name (campaign)"

BINOM = FileFormat(
    code="binom",
    label=_("Binom report export"),
    kind=METRIC,
    columns={
        "report_date": (*DATE, GROUPED_DAY),
        "campaign_id": ("Campaign ID", "ID"),
        "campaign_name": ("Campaign", "Name", "Кампания", GROUPED_CAMPAIGN),
        "placement": ("Traffic Source", "Source", "Источник"),
        "country": ("Country", "Страна"),
        "os": ("OS", "ОС"),
        "sub_id": ("Token 1", "Sub ID"),
        "clicks": ("Clicks", "Клики"),
        "conversions": ("Leads", "Conversions", "Лиды"),
        # Binom up to 1.8 named the report's cost column "Spend" (1.9 renamed it "cost").
        "spend": ("Cost", "Расход", "Spend"),
        "revenue": ("Revenue", "Доход"),
        "currency": ("Currency",),
    },
    # The readable names, and the API's slugs: "lander_clicks" / "lander_views" / "lander_ctr" (Binom 2) and
    # "offer_clicks" (the LP Clicks of Binom 1.9+); "lp_ctr" is "LP CTR" already.
    markers=(
        "LP Clicks",
        "LP CTR",
        "LP Views",
        "LP Clicks %",
        "lander_clicks",
        "lander_views",
        "lander_ctr",
        "offer_clicks",
    ),
    required=("report_date",),
    # Keitaro's own unique-click slugs: a Keitaro API file with lp_clicks is not Binom's.
    excluded=("campaign_unique_clicks", "stream_unique_clicks", "global_unique_clicks"),
    detected_by="Date with LP Clicks / LP CTR (or the API's lander_clicks / lander_ctr / offer_clicks)",
)

# The file Binom's "Update costs → Import from CSV" takes (docs.binom.org/update-costs.php): no header, ";"
# between the cells, one line per campaign and day: campaign id; time zone ("+3"); date (yyyy-mm-dd); cost;
# and, optionally, a token's number and value (the cost of the clicks with that token value), the sub-id here.
BINOM_COST = FileFormat(
    code="binom_cost",
    label=_("Binom cost import (no header)"),
    kind=METRIC,
    container=HEADERLESS,
    columns={
        "campaign_id": ("0",),
        "time_zone": ("1",),
        "report_date": ("2",),
        "spend": ("3",),
        "sub_id": ("5",),
    },
    detected_by="no header; each line is campaign id; time zone (+3); date; cost[; token number; token value]",
)

VOLUUM = FileFormat(
    code="voluum",
    label=_("Voluum report export"),
    kind=METRIC,
    columns={
        "report_date": DATE,
        "campaign_id": ("Campaign ID",),
        "campaign_name": ("Campaign", "Campaign name"),
        "placement": ("Traffic source", "Traffic source name"),
        # The Reporting API names both: countryCode and countryName.
        "country": ("Country code", "Country", "Country name"),
        "os": ("OS", "Operating system"),
        "sub_id": ("Custom variable 1", "Var 1"),
        # A tracker's visit is the ad network's click; Voluum's own "Clicks" are landing-page clicks.
        "clicks": ("Visits",),
        "conversions": ("Conversions",),
        "spend": ("Cost",),
        "revenue": ("Revenue",),
        "currency": ("Currency",),
    },
    markers=("Visits", "Unique visits", "EPV", "CPV"),
    required=("report_date",),
    detected_by="Day/Date with Visits / Unique visits / EPV / CPV",
)

# The order detection tries them in (a tie goes to the earlier one).
FORMATS: tuple[FileFormat, ...] = (
    APPSFLYER_GEO,
    APPSFLYER_PARTNERS,
    APPSFLYER_RAW_INSTALLS,
    APPSFLYER_RAW_EVENTS,
    ADJUST_CSV,
    MOLOCO_CSV,
    MOLOCO_JSON,
    KEITARO,
    BINOM,
    VOLUUM,
    BINOM_COST,
)

GENERIC_CODE = "generic"
GENERIC_LABEL = _("Generic CSV with a column mapping")


def generic(mapping: dict[str, str]) -> FileFormat:
    """The generic format for one traffic source's saved mapping {our field: their column}."""
    conversion = "conversion_time" in mapping or "transaction_id" in mapping
    known = CONVERSION_FIELDS if conversion else METRIC_FIELDS
    unknown = sorted(set(mapping) - set(known))
    if unknown:
        raise ValueError(
            str(_("The mapping names fields Kontora does not have: {fields}.")).format(fields=", ".join(unknown))
        )
    return FileFormat(
        code=GENERIC_CODE,
        label=GENERIC_LABEL,
        kind=CONVERSION if conversion else METRIC,
        columns={name: (column,) for name, column in mapping.items()},
        required=tuple(mapping),
        detected_by="every column of the traffic source's saved mapping is present",
    )


def by_code(code: str, *, mapping: dict | None = None) -> FileFormat:
    if code == GENERIC_CODE:
        if not mapping:
            raise ValueError(str(_("The generic format needs a column mapping.")))
        return generic(mapping)
    for fmt in FORMATS:
        if fmt.code == code:
            return fmt
    codes = ", ".join([fmt.code for fmt in FORMATS] + [GENERIC_CODE])
    raise ValueError(str(_("Unknown format “{code}”; the formats are: {codes}.")).format(code=code, codes=codes))
