"""Traffic reports in the API, under ``/api/v1/analytics/reports/``:

- ``traffic/``: sums and KPIs grouped by ``group_by`` (day, week, month, source, program, offer, campaign,
  country, os, creative), filtered by ``source``, ``campaign``, ``offer``, ``program`` (ids), ``country``
  and ``os``, with totals, in the organization's reporting currency at each day's rate (the rates used are
  listed). Add ``?format=csv`` (``&dialect=excel-ru|standard``) or ``?format=xlsx`` for a download, written
  through ``apps.core.mechanisms.exports`` so no cell is taken for a formula;
- ``reconciliation/``: ad network vs attribution platform vs tracker spend by day and campaign (``threshold``);
- ``freshness/``: each traffic source's newest data, stale ones flagged.

Each takes ``organization`` (a slug; optional for a member of one organization); ``date_from`` and
``date_to`` default to the last 30 days to today in the organization. Another organization answers 404; a
missing exchange rate answers 422 with the pair and the date. Amounts and KPIs are decimal strings, a KPI
that cannot be computed (division by zero, a missing metric) is null.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.http import HttpResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api.downloads import CSVRenderer, DownloadableMixin, XLSXRenderer, table_download
from apps.core.api.errors import ErrorSerializer, error_response
from apps.core.api.fields import DateField, IntegerField
from apps.core.api.organizations import organization_for
from apps.core.api.permissions import IsMember
from apps.core.mechanisms.exports import DIALECTS, XLSX_TYPE

from ..kpis import KPIS, SUMS, kpi_display
from ..models import TrafficSource
from ..reports import (
    DEFAULT_THRESHOLD,
    GROUPINGS,
    MissingRate,
    ReportFilters,
    reconciliation_list,
    source_freshness_list,
    traffic_report,
)

DEFAULT_DAYS = 30


@extend_schema_field({"type": "string", "format": "decimal", "pattern": r"^-?[0-9]+(\.[0-9]+)?$", "example": "12.50"})
class DecimalText(serializers.Field):
    """A Decimal as a string, exactly as computed, or null."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return None if value is None else format(value, "f")


def _values_serializer(name: str, names) -> type[serializers.Serializer]:
    fields = {
        key: (
            IntegerField(allow_null=True)
            if key in ("impressions", "clicks", "installs", "conversions")
            else DecimalText()
        )
        for key in names
    }
    return type(name, (serializers.Serializer,), fields)


SumsSerializer = _values_serializer("TrafficSumsSerializer", SUMS)
KpisSerializer = _values_serializer("TrafficKpisSerializer", KPIS)  # every KPI a decimal string, or null


class RateSerializer(serializers.Serializer):
    base = serializers.CharField()
    quote = serializers.CharField()
    on = DateField(help_text=gettext_lazy("The report date converted."))
    date = DateField(help_text=gettext_lazy("The date of the stored rate used."))
    rate = DecimalText()
    method = serializers.CharField()


class TrafficRowSerializer(serializers.Serializer):
    key = serializers.CharField(
        help_text=gettext_lazy(
            "What the row is of: a date, week or month; the id of a source, program, offer or campaign (by "
            "campaign, the lowest id of the row's campaigns: those of one name in the organization's sources); "
            "a country, OS or creative."
        )
    )
    label = serializers.CharField()
    time_zone = serializers.CharField(
        help_text=gettext_lazy(
            "The time zone of the row's report dates. A row of a day, week or month is of one zone; any other row "
            "sums the period in each source's own zone and names them all, joined by a comma and a space."
        )
    )
    time_zones = serializers.ListField(
        child=serializers.CharField(), help_text=gettext_lazy("The time zones the row sums, one by one.")
    )
    sums = SumsSerializer()
    kpis = KpisSerializer()
    rates = RateSerializer(many=True)


class SourceKindsSerializer(serializers.Serializer):
    """The kinds of the sources a report sums (``reports.SummedSourceKinds``)."""

    source_kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=TrafficSource.Kind.choices),
        help_text=gettext_lazy("The kinds of the traffic sources whose data the report sums."),
    )
    mixed_source_kinds = serializers.BooleanField(
        help_text=gettext_lazy(
            "True: sources of different kinds are summed. An ad network and a tracker both count the clicks (and "
            "often the spend) of one campaign, so each metric of a campaign's day is then taken from one kind only "
            "(metric_kinds); the rows of a report by source show each source's own figures."
        )
    )
    metric_kinds = serializers.DictField(
        child=serializers.ListField(child=serializers.ChoiceField(choices=TrafficSource.Kind.choices)),
        help_text=gettext_lazy(
            "The kinds of source each metric was taken from, the first-hand one first. Of each campaign's day, "
            "spend, impressions and clicks are taken from the ad networks, installs from the attribution "
            "platforms, conversions and revenue from the trackers; from another kind where that one has no "
            "figure for the campaign and the day."
        ),
    )


class TrafficReportSerializer(SourceKindsSerializer):
    organization = serializers.CharField(source="organization.slug")
    date_from = DateField()
    date_to = DateField()
    group_by = serializers.CharField()
    currency = serializers.CharField(help_text=gettext_lazy("The reporting currency of every amount."))
    precision = IntegerField()
    time_zones = serializers.ListField(child=serializers.CharField())
    mixed_time_zones = serializers.BooleanField(
        help_text=gettext_lazy(
            "True: the data is in several time zones. Rows of a day, week or month are listed apart by zone, never "
            "added up as one day; any other row sums the period in each source's own zone and names the zones."
        )
    )
    rows = TrafficRowSerializer(many=True)
    totals = SumsSerializer()
    total_kpis = KpisSerializer()
    rates = RateSerializer(many=True)
    without_currency = IntegerField(
        help_text=gettext_lazy("Groups whose amounts name no currency: left out of the amounts.")
    )


class ReconciliationRowSerializer(serializers.Serializer):
    report_date = DateField()
    campaign = serializers.CharField()
    amounts = serializers.DictField(child=DecimalText())
    difference = DecimalText()
    share = DecimalText()
    flagged = serializers.BooleanField()


class ReconciliationSerializer(serializers.Serializer):
    date_from = DateField()
    date_to = DateField()
    currency = serializers.CharField()
    threshold = DecimalText()
    rows = ReconciliationRowSerializer(many=True)
    rates = RateSerializer(many=True)


class FreshnessSerializer(serializers.Serializer):
    source = IntegerField(source="source.pk")
    name = serializers.CharField(source="source.name")
    kind = serializers.CharField(source="source.kind")
    newest = DateField(allow_null=True)
    age_seconds = serializers.SerializerMethodField(
        help_text=gettext_lazy("Since the newest day ended in the source's time zone.")
    )
    expected_delay_seconds = serializers.SerializerMethodField()
    stale = serializers.BooleanField()

    def get_age_seconds(self, item) -> int | None:
        return None if item.age is None else int(item.age.total_seconds())

    def get_expected_delay_seconds(self, item) -> int:
        return int(item.source.expected_delay.total_seconds())


# --- input -------------------------------------------------------------------------------------------------


class PeriodParamsSerializer(serializers.Serializer):
    organization = serializers.SlugField(
        required=False, help_text=gettext_lazy("The organization's slug; may be left out by a member of only one.")
    )
    date_from = DateField(required=False, help_text=gettext_lazy("Default: 29 days before date_to."))
    date_to = DateField(required=False, help_text=gettext_lazy("Default: today, in the organization."))

    def validate(self, attrs):
        if attrs.get("date_from") and attrs.get("date_to") and attrs["date_from"] > attrs["date_to"]:
            raise serializers.ValidationError({"date_from": _("The start date must not be after the end date.")})
        return attrs


class TrafficParamsSerializer(PeriodParamsSerializer):
    group_by = serializers.ChoiceField(
        choices=[(code, label) for code, (label, _fields, _name) in GROUPINGS.items()], default="day", required=False
    )
    source = IntegerField(required=False, min_value=1)
    campaign = IntegerField(
        required=False,
        min_value=1,
        help_text=gettext_lazy("A campaign's id: the report keeps the campaigns of its name in every source."),
    )
    offer = IntegerField(required=False, min_value=1)
    program = IntegerField(required=False, min_value=1)
    country = serializers.CharField(required=False, max_length=2)
    os = serializers.CharField(required=False, max_length=32)
    time_zone = serializers.CharField(
        required=False,
        max_length=64,
        help_text=gettext_lazy("Only the facts written in this time zone (a day of one zone, by campaign)."),
    )
    dialect = serializers.ChoiceField(
        choices=list(DIALECTS), required=False, help_text=gettext_lazy("For ?format=csv: the CSV dialect.")
    )


class ReconciliationParamsSerializer(PeriodParamsSerializer):
    threshold = serializers.DecimalField(
        max_digits=6,
        decimal_places=4,
        min_value=Decimal(0),
        required=False,
        help_text=gettext_lazy("The difference (a share of the ad network's spend) above which a row is flagged."),
    )


class OrganizationParamsSerializer(serializers.Serializer):
    organization = serializers.SlugField(
        required=False, help_text=gettext_lazy("The organization's slug; may be left out by a member of only one.")
    )


# --- views -------------------------------------------------------------------------------------------------


_ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description=gettext_lazy("Invalid parameters.")),
    404: OpenApiResponse(ErrorSerializer, description=gettext_lazy("Not found among your organizations.")),
    422: OpenApiResponse(ErrorSerializer, description=gettext_lazy("An exchange rate is missing (code missing_rate).")),
}
_TAGS = ["analytics reports"]


class _View(DownloadableMixin, APIView):
    permission_classes = [IsMember]
    params_class = PeriodParamsSerializer

    def handle_exception(self, exc):
        if isinstance(exc, MissingRate):
            return error_response(
                "missing_rate",
                exc.messages[0],
                status.HTTP_422_UNPROCESSABLE_ENTITY,
                base=exc.base,
                quote=exc.quote,
                date=exc.date.isoformat(),
            )
        return super().handle_exception(exc)

    def arguments(self, request) -> dict:
        params = self.params_class(data=request.query_params)
        params.is_valid(raise_exception=True)
        values = dict(params.validated_data)
        organization = organization_for(request, values.pop("organization", None))
        if "date_to" in self.params_class().fields:
            values["date_to"] = values.get("date_to") or organization.today()
            values["date_from"] = values.get("date_from") or values["date_to"] - dt.timedelta(days=DEFAULT_DAYS - 1)
        return {"organization": organization, **values}


class TrafficReportView(_View):
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, CSVRenderer, XLSXRenderer]
    params_class = TrafficParamsSerializer

    @extend_schema(
        summary=gettext_lazy("Traffic report: sums and KPIs by day, week, month, source, campaign and more"),
        parameters=[TrafficParamsSerializer],
        responses={
            (200, "application/json"): TrafficReportSerializer,
            (200, "text/csv"): OpenApiTypes.STR,
            (200, XLSX_TYPE): OpenApiTypes.BINARY,
            **_ERRORS,
        },
        tags=_TAGS,
    )
    def get(self, request, *args, **kwargs):
        arguments = self.arguments(request)
        dialect = arguments.pop("dialect", None)
        filters = ReportFilters(
            **{name: arguments.pop(name) for name in ("source", "campaign", "offer", "program") if name in arguments},
            **{name: arguments.pop(name) for name in ("country", "os", "time_zone") if name in arguments},
        )
        report = traffic_report(filters=filters, **arguments)
        fmt = self.wants_file(request)
        if fmt in ("csv", "xlsx"):
            return traffic_report_file(report, fmt, dialect=dialect)
        return Response(TrafficReportSerializer(report).data)


class ReconciliationView(_View):
    params_class = ReconciliationParamsSerializer

    @extend_schema(
        summary=gettext_lazy("Reconciliation: ad network vs attribution platform vs tracker spend by day and campaign"),
        parameters=[ReconciliationParamsSerializer],
        responses={200: ReconciliationSerializer, **_ERRORS},
        tags=_TAGS,
    )
    def get(self, request, *args, **kwargs):
        arguments = self.arguments(request)
        arguments.setdefault("threshold", DEFAULT_THRESHOLD)
        return Response(ReconciliationSerializer(reconciliation_list(**arguments)).data)


class FreshnessView(_View):
    params_class = OrganizationParamsSerializer

    @extend_schema(
        summary=gettext_lazy("Freshness: each traffic source's newest data, stale ones flagged"),
        parameters=[OrganizationParamsSerializer],
        responses={200: FreshnessSerializer(many=True), 400: _ERRORS[400], 404: _ERRORS[404]},
        tags=_TAGS,
    )
    def get(self, request, *args, **kwargs):
        arguments = self.arguments(request)
        return Response(FreshnessSerializer(source_freshness_list(**arguments), many=True).data)


# --- files ---------------------------------------------------------------------------------------------------


def traffic_report_table(report) -> tuple[list[str], list[list]]:
    """The report as a header row and rows of cells (Decimals, ints, text; a KPI without a value is "—")."""
    grouping_label = str(GROUPINGS[report.group_by][0])
    header = [grouping_label, _("Time zone")]
    header += [_("Impressions"), _("Clicks"), _("Installs"), _("Conversions"), _("Spend"), _("Revenue")]
    header += [str(kpi.label) for code, kpi in KPIS.items() if code not in SUMS]
    ratio_codes = [code for code in KPIS if code not in SUMS]

    def cells(label, time_zone, sums, kpis):
        values = [sums[name] for name in SUMS]
        return [
            label,
            time_zone,
            *values,
            *(kpis[code] if kpis[code] is not None else kpi_display(None) for code in ratio_codes),
        ]

    rows = [cells(row.label, row.time_zone, row.sums, row.kpis) for row in report.rows]
    rows.append(cells(_("Total"), "", report.totals, report.total_kpis))
    return header, rows


def traffic_report_file(report, fmt: str, *, dialect: str | None = None) -> HttpResponse:
    """The report as a CSV (UTF-8 with a byte-order mark, in ``dialect``) or XLSX download; every cell goes
    through ``apps.core.mechanisms.exports`` so text that starts like a formula stays text."""
    header, rows = traffic_report_table(report)
    notes = [
        _("Amounts in {currency}, each day converted at that day's rate").format(currency=report.currency),
        *(
            _("Rate {base}/{quote} for {on}: {rate} (of {date})").format(
                base=rate.base, quote=rate.quote, on=rate.on.isoformat(), rate=format(rate.rate, "f"), date=rate.date
            )
            for rate in report.rates
        ),
        *([report.source_kinds_warning] if report.mixed_source_kinds else []),
    ]
    return table_download(
        name=f"traffic-{report.group_by}-{report.date_from.isoformat()}-{report.date_to.isoformat()}",
        header=header,
        rows=rows,
        fmt=fmt,
        notes=notes,
        sheet=_("Traffic"),
        dialect=dialect,
    )


urlpatterns = [
    path("reports/traffic/", TrafficReportView.as_view(), name="analytics-report-traffic"),
    path("reports/reconciliation/", ReconciliationView.as_view(), name="analytics-report-reconciliation"),
    path("reports/freshness/", FreshnessView.as_view(), name="analytics-report-freshness"),
]
