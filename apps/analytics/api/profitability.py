"""The profitability report in the API, ``/api/v1/analytics/reports/profitability/``: spend against approved
and paid affiliate payouts by program, offer and campaign (a tree, flattened), in the organization's reporting
currency, with ``books``: the approved and paid amounts per payout currency exactly as posted to the ledger.
``?format=csv`` (``&dialect=``) or ``?format=xlsx`` downloads the same table."""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response

from apps.core.api.downloads import CSVRenderer, XLSXRenderer, table_download
from apps.core.api.fields import DateField, IntegerField
from apps.core.mechanisms.exports import DIALECTS, XLSX_TYPE

from ..kpis import kpi_display
from ..profitability import CAMPAIGN, profitability_report
from .reports import (
    _ERRORS,
    _TAGS,
    DecimalText,
    PeriodParamsSerializer,
    RateSerializer,
    SourceKindsSerializer,
    _View,
)


class ProfitabilityRowSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=["program", "offer", "campaign"])
    key = serializers.CharField(help_text=gettext_lazy("The row's path: p<program id>/o<offer id>/c<campaign id>."))
    label = serializers.CharField()
    spend = DecimalText()
    approved = DecimalText(help_text=gettext_lazy("Null on a campaign: payouts are owed per program or offer."))
    paid = DecimalText()
    profit = DecimalText()
    roi = DecimalText(help_text=gettext_lazy("Profit over spend, in percent; null without spend."))


class BooksSerializer(serializers.Serializer):
    approved = DecimalText()
    paid = DecimalText()


class ProfitabilitySerializer(SourceKindsSerializer):
    organization = serializers.CharField(source="organization.slug")
    date_from = DateField()
    date_to = DateField()
    currency = serializers.CharField(help_text=gettext_lazy("The reporting currency of every amount."))
    precision = IntegerField()
    rows = ProfitabilityRowSerializer(many=True)
    totals = ProfitabilityRowSerializer()
    rates = RateSerializer(many=True)
    books = serializers.DictField(
        child=BooksSerializer(),
        help_text=gettext_lazy("Per payout currency: the approved and paid amounts as posted to the books."),
    )


class ProfitabilityParamsSerializer(PeriodParamsSerializer):
    dialect = serializers.ChoiceField(
        choices=list(DIALECTS), required=False, help_text=gettext_lazy("For ?format=csv: the CSV dialect.")
    )


class ProfitabilityView(_View):
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, CSVRenderer, XLSXRenderer]
    params_class = ProfitabilityParamsSerializer

    @extend_schema(
        summary=gettext_lazy("Profitability: spend against approved and paid payouts by program, offer and campaign"),
        parameters=[ProfitabilityParamsSerializer],
        responses={
            (200, "application/json"): ProfitabilitySerializer,
            (200, "text/csv"): OpenApiTypes.STR,
            (200, XLSX_TYPE): OpenApiTypes.BINARY,
            **_ERRORS,
        },
        tags=_TAGS,
    )
    def get(self, request, *args, **kwargs):
        arguments = self.arguments(request)
        dialect = arguments.pop("dialect", None)
        report = profitability_report(**arguments)
        fmt = self.wants_file(request)
        if fmt:
            return profitability_file(report, fmt, dialect=dialect)
        return Response(ProfitabilitySerializer(report).data)


def profitability_file(report, fmt: str, *, dialect: str | None = None):
    levels = {"program": _("Affiliate program"), "offer": _("Offer"), "campaign": _("Campaign")}
    header = [_("Level"), _("Name"), _("Spend"), _("Approved"), _("Paid"), _("Profit"), _("ROI, %")]

    def cells(row, level_label):
        values = [row.spend, row.approved, row.paid, row.profit, row.roi]
        if row.level == CAMPAIGN:
            values = [row.spend, *([kpi_display(None)] * 4)]
        return [level_label, row.label, *(kpi_display(None) if value is None else value for value in values)]

    rows = [cells(row, str(levels[row.level])) for row in report.rows]
    rows.append(cells(report.totals, _("Total")))
    notes = [_("Amounts in {currency}, each converted at its date's rate").format(currency=report.currency)]
    notes += [
        _("Posted to the books in {currency}: approved {approved}, paid {paid}").format(
            currency=code, approved=format(figures["approved"], "f"), paid=format(figures["paid"], "f")
        )
        for code, figures in report.books.items()
    ]
    if report.mixed_source_kinds:
        notes.append(report.source_kinds_warning)
    return table_download(
        name=f"profitability-{report.date_from.isoformat()}-{report.date_to.isoformat()}",
        header=header,
        rows=rows,
        fmt=fmt,
        notes=notes,
        sheet=_("Profitability"),
        dialect=dialect,
    )


urlpatterns = [
    path("reports/profitability/", ProfitabilityView.as_view(), name="analytics-report-profitability"),
]
