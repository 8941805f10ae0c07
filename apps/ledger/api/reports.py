"""API of the ledger: reports, under ``/api/v1/ledger/reports/``.

- ``profit-and-loss/`` (``group_by``, ``period``), ``balance-sheet/``, ``trial-balance/``, ``cash-flow/``;
- ``accounts/{account_id}/statement/``: paginated (``page``, ``page_size``).

Every report takes ``organization`` (a slug; optional for a member of one organization), ``date_from``,
``date_to`` (default: the organization's current year to today), ``project``, ``category``,
``counterparty`` (ids) and ``currency`` (omit it for the reporting currency, every entry converted at its
date's rate; give a code for that currency's entries only). Amounts are decimal strings.

Add ``?format=csv`` or ``?format=xlsx`` (or send ``Accept: text/csv``) for the same report as a download;
a statement's download holds every row of the period, streamed.

The organization is one of the requesting user's (or API key's): any other answers 404, as does an
account of another organization; a filter naming another organization's project answers 400 like an
unknown id would. A missing exchange rate answers 422 with the pair and the date.
"""

from __future__ import annotations

import datetime as dt

from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api.downloads import CSVRenderer, DownloadableMixin, XLSXRenderer
from apps.core.api.errors import ErrorSerializer, error_response
from apps.core.api.fields import DateField, IntegerField
from apps.core.api.organizations import organization_for
from apps.core.api.pagination import Pagination
from apps.core.api.permissions import IsMember
from apps.core.mechanisms.exports import XLSX_TYPE

from ..models import Account
from ..reports import (
    MissingRate,
    ReportFilters,
    account_statement,
    balance_sheet,
    cash_flow,
    files,
    profit_and_loss,
    trial_balance,
)
from ..reports.profit_and_loss import GROUPINGS, PERIODS


def register(router) -> None:
    pass  # reports are plain views (below), not viewsets


# --- output ------------------------------------------------------------------------------------------------


@extend_schema_field(
    {"type": "string", "format": "decimal", "pattern": r"^-?[0-9]+(\.[0-9]+)?$", "example": "-1234.50"}
)
class MoneyField(serializers.Field):
    """A Decimal as a string, exactly as the report computed it (``"-1234.50"``), or null."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return None if value is None else format(value, "f")


class HeaderSerializer(serializers.Serializer):
    organization = serializers.CharField()
    date_from = DateField(allow_null=True)
    date_to = DateField()
    currency = serializers.CharField(help_text=gettext_lazy("The currency of every amount of the report."))
    precision = IntegerField()
    converted = serializers.BooleanField(
        help_text=gettext_lazy(
            "True: every entry converted into the currency at its date's rate; false: only entries held in it."
        )
    )
    filters = serializers.DictField(child=serializers.CharField(), help_text=gettext_lazy("Names of the filters."))


class PeriodSerializer(serializers.Serializer):
    start = DateField()
    end = DateField()
    label = serializers.CharField()


class ReportLineSerializer(serializers.Serializer):
    key = serializers.CharField()
    code = serializers.CharField()
    label = serializers.CharField()
    amounts = serializers.ListField(child=MoneyField())
    total = MoneyField()


class ProfitAndLossSectionSerializer(serializers.Serializer):
    kind = serializers.CharField()
    title = serializers.CharField()
    lines = ReportLineSerializer(many=True)
    amounts = serializers.ListField(child=MoneyField())
    total = MoneyField()


class ProfitAndLossSerializer(serializers.Serializer):
    header = HeaderSerializer()
    group_by = serializers.CharField()
    period = serializers.CharField(allow_null=True)
    periods = PeriodSerializer(many=True)
    income = ProfitAndLossSectionSerializer()
    expenses = ProfitAndLossSectionSerializer()
    net = serializers.ListField(child=MoneyField())
    net_total = MoneyField()


class AccountLineSerializer(serializers.Serializer):
    account_id = IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    type = serializers.CharField()
    currency = serializers.CharField(help_text=gettext_lazy("The account's own currency."))
    native = MoneyField(help_text=gettext_lazy("The balance in the account's own currency, natural sign."))
    amount = MoneyField(help_text=gettext_lazy("The balance in the report currency, natural sign."))


class BalanceSheetSectionSerializer(serializers.Serializer):
    type = serializers.CharField()
    title = serializers.CharField()
    lines = AccountLineSerializer(many=True)
    total = MoneyField()


class BalanceSheetSerializer(serializers.Serializer):
    header = HeaderSerializer()
    assets = BalanceSheetSectionSerializer()
    liabilities = BalanceSheetSectionSerializer()
    equity = BalanceSheetSectionSerializer()
    earnings = MoneyField(help_text=gettext_lazy("Income minus expenses through the date, not closed into equity."))
    difference = MoneyField(
        help_text=gettext_lazy("Conversion rounding (or, under tag filters, what does not balance).")
    )
    difference_label = serializers.CharField()
    liabilities_and_equity = MoneyField()


class TrialBalanceLineSerializer(serializers.Serializer):
    account_id = IntegerField(allow_null=True)
    code = serializers.CharField()
    name = serializers.CharField()
    type = serializers.CharField()
    currency = serializers.CharField()
    opening_debit = MoneyField()
    opening_credit = MoneyField()
    debit = MoneyField()
    credit = MoneyField()
    closing_debit = MoneyField()
    closing_credit = MoneyField()
    native_closing = MoneyField(
        allow_null=True, help_text=gettext_lazy("Closing balance in the account's currency, debit positive.")
    )


class TrialBalanceSerializer(serializers.Serializer):
    header = HeaderSerializer()
    lines = TrialBalanceLineSerializer(many=True)
    totals = serializers.DictField(child=MoneyField())


class CashFlowLineSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    inflow = MoneyField()
    outflow = MoneyField()
    net = MoneyField()


class CashAccountLineSerializer(serializers.Serializer):
    account_id = IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    currency = serializers.CharField()
    opening = MoneyField()
    inflow = MoneyField()
    outflow = MoneyField()
    closing = MoneyField()


class CashFlowSerializer(serializers.Serializer):
    header = HeaderSerializer()
    lines = CashFlowLineSerializer(many=True)
    accounts = CashAccountLineSerializer(many=True)
    opening = MoneyField()
    inflow = MoneyField()
    outflow = MoneyField()
    net = MoneyField()
    closing = MoneyField()


class StatementAccountSerializer(serializers.Serializer):
    id = IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    type = serializers.CharField()
    currency = serializers.CharField()
    precision = IntegerField()


class StatementRowSerializer(serializers.Serializer):
    entry_id = IntegerField()
    transaction_id = IntegerField()
    date = DateField()
    kind = serializers.CharField()
    description = serializers.CharField()
    memo = serializers.CharField()
    counterparty = serializers.CharField()
    project = serializers.CharField()
    category = serializers.CharField()
    debit = MoneyField(allow_null=True)
    credit = MoneyField(allow_null=True)
    balance = MoneyField(help_text=gettext_lazy("After this entry, natural sign, in the account's currency."))
    converted_amount = MoneyField(allow_null=True)
    converted_balance = MoneyField(allow_null=True)


class StatementSerializer(serializers.Serializer):
    header = HeaderSerializer()
    account = StatementAccountSerializer()
    opening = MoneyField()
    debit = MoneyField()
    credit = MoneyField()
    closing = MoneyField()
    converted_opening = MoneyField(allow_null=True)
    converted_closing = MoneyField(allow_null=True)
    count = IntegerField()


class StatementPageSerializer(StatementSerializer):
    """The statement with one page of its rows (the view adds the page; this describes it)."""

    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = StatementRowSerializer(many=True)


# --- input -------------------------------------------------------------------------------------------------


class ReportParamsSerializer(serializers.Serializer):
    organization = serializers.SlugField(
        required=False,
        help_text=gettext_lazy("The organization's slug; may be left out by a member of only one."),
    )
    date_from = DateField(required=False, help_text=gettext_lazy("Default: 1 January of date_to's year."))
    date_to = DateField(required=False, help_text=gettext_lazy("Default: today, in the organization."))
    project = IntegerField(required=False, min_value=1)
    category = IntegerField(required=False, min_value=1, help_text=gettext_lazy("Includes its subcategories."))
    counterparty = IntegerField(required=False, min_value=1)
    currency = serializers.CharField(
        required=False,
        max_length=10,
        help_text=gettext_lazy("Leave out for the reporting currency (all entries converted); a code for its entries."),
    )

    def validate_currency(self, value: str) -> str:
        return value.upper()

    def validate(self, attrs):
        if attrs.get("date_from") and attrs.get("date_to") and attrs["date_from"] > attrs["date_to"]:
            raise serializers.ValidationError({"date_from": _("The start date must not be after the end date.")})
        return attrs


class ProfitAndLossParamsSerializer(ReportParamsSerializer):
    group_by = serializers.ChoiceField(choices=list(GROUPINGS.items()), default="account", required=False)
    period = serializers.ChoiceField(
        choices=list(PERIODS.items()), required=False, help_text=gettext_lazy("One column per period.")
    )


# --- views -------------------------------------------------------------------------------------------------


_ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description=gettext_lazy("Invalid parameters.")),
    404: OpenApiResponse(ErrorSerializer, description=gettext_lazy("Not found among your organizations.")),
    422: OpenApiResponse(ErrorSerializer, description=gettext_lazy("An exchange rate is missing (code missing_rate).")),
}


def _responses(serializer) -> dict:
    return {
        (200, "application/json"): serializer,
        (200, "text/csv"): OpenApiTypes.STR,
        (200, XLSX_TYPE): OpenApiTypes.BINARY,
        **_ERRORS,
    }


class _ReportView(DownloadableMixin, APIView):
    permission_classes = [IsMember]
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, CSVRenderer, XLSXRenderer]
    params_class = ReportParamsSerializer
    output_class: type[serializers.Serializer]

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
        return super().handle_exception(exc)  # the API's handler turns Django's ValidationError into a 400

    def arguments(self, request) -> dict:
        params = self.params_class(data=request.query_params)
        params.is_valid(raise_exception=True)
        values = dict(params.validated_data)
        organization = organization_for(request, values.pop("organization", None))
        date_to = values.pop("date_to", None) or organization.today()
        date_from = values.pop("date_from", None) or self.default_start(date_to)
        filters = ReportFilters(
            project=values.pop("project", None),
            category=values.pop("category", None),
            counterparty=values.pop("counterparty", None),
        )
        return {
            "organization": organization,
            "date_from": date_from,
            "date_to": date_to,
            "filters": filters,
            "currency": values.pop("currency", None),
            **values,
        }

    @staticmethod
    def default_start(date_to: dt.date) -> dt.date | None:
        return date_to.replace(month=1, day=1)

    def build(self, **arguments):
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        report = self.build(**self.arguments(request), **kwargs)
        fmt = self.wants_file(request)
        if fmt in files.FORMATS:
            return files.download(request, report, fmt, dialect=files.requested_dialect(request, for_person=False))
        return Response(self.output_class(report).data)


_COMMON = {"tags": ["ledger reports"]}


class ProfitAndLossView(_ReportView):
    params_class = ProfitAndLossParamsSerializer
    output_class = ProfitAndLossSerializer

    @extend_schema(
        summary=gettext_lazy("Profit and loss: income and expenses by account, project, category or counterparty"),
        parameters=[ProfitAndLossParamsSerializer],
        responses=_responses(ProfitAndLossSerializer),
        **_COMMON,
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def build(self, **arguments):
        return profit_and_loss(**arguments)


class BalanceSheetView(_ReportView):
    output_class = BalanceSheetSerializer

    @extend_schema(
        summary=gettext_lazy("Balance sheet at date_to: assets = liabilities + equity + current earnings"),
        parameters=[ReportParamsSerializer],
        responses=_responses(BalanceSheetSerializer),
        **_COMMON,
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @staticmethod
    def default_start(date_to):
        return None

    def build(self, **arguments):
        return balance_sheet(**arguments)


class TrialBalanceView(_ReportView):
    output_class = TrialBalanceSerializer

    @extend_schema(
        summary=gettext_lazy("Trial balance: opening, debits, credits and closing per account"),
        parameters=[ReportParamsSerializer],
        responses=_responses(TrialBalanceSerializer),
        **_COMMON,
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def build(self, **arguments):
        return trial_balance(**arguments)


class CashFlowView(_ReportView):
    output_class = CashFlowSerializer

    @extend_schema(
        summary=gettext_lazy("Cash flow (direct method): cash in and out by category"),
        parameters=[ReportParamsSerializer],
        responses=_responses(CashFlowSerializer),
        **_COMMON,
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def build(self, **arguments):
        return cash_flow(**arguments)


class StatementView(_ReportView):
    output_class = StatementSerializer

    @staticmethod
    def default_start(date_to):
        return date_to.replace(day=1)

    @extend_schema(
        summary=gettext_lazy("Account statement: the entries of one account with the running balance"),
        description=gettext_lazy("date_from defaults to the first day of date_to's month."),
        parameters=[
            ReportParamsSerializer,
            OpenApiParameter("page", int, description=gettext_lazy("Page number.")),
            OpenApiParameter("page_size", int, description=gettext_lazy("Rows per page, up to 500.")),
        ],
        responses=_responses(StatementPageSerializer),
        **_COMMON,
    )
    def get(self, request, *args, **kwargs):
        arguments = self.arguments(request)
        try:
            statement = account_statement(account=kwargs["account_id"], **arguments)
        except Account.DoesNotExist:
            raise exceptions.NotFound(_("No such account in this organization.")) from None
        fmt = self.wants_file(request)
        if fmt in files.FORMATS:
            return files.download(request, statement, fmt, dialect=files.requested_dialect(request, for_person=False))
        paginator = Pagination()
        rows = paginator.paginate_queryset(statement.rows, request, view=self)
        summary = self.output_class(statement).data
        summary.update(
            {
                "next": paginator.get_next_link(),
                "previous": paginator.get_previous_link(),
                "results": StatementRowSerializer(rows, many=True).data,
            }
        )
        return Response(summary)


urlpatterns = [
    path("reports/profit-and-loss/", ProfitAndLossView.as_view(), name="ledger-report-profit-and-loss"),
    path("reports/balance-sheet/", BalanceSheetView.as_view(), name="ledger-report-balance-sheet"),
    path("reports/trial-balance/", TrialBalanceView.as_view(), name="ledger-report-trial-balance"),
    path("reports/cash-flow/", CashFlowView.as_view(), name="ledger-report-cash-flow"),
    path(
        "reports/accounts/<int:account_id>/statement/", StatementView.as_view(), name="ledger-report-account-statement"
    ),
]
