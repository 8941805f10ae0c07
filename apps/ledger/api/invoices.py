"""API of the ledger: invoices, their payments, recurring payments and the aging report.

- ``/invoices/``: drafts are created, changed and deleted here; ``POST /invoices/{id}/issue/``,
  ``…/pay/`` (amount, date, account; an ``Idempotency-Key`` header or ``idempotency_key`` field, one per
  payment, so a retried request pays once) and ``…/void/``. Issued invoices are read-only.
- ``/invoice-payments/``: payments, read-only; ``POST /invoice-payments/{id}/reverse/`` reverses one.
- ``/recurring-payments/``: CRUD, ``…/pause/``, ``…/resume/`` and ``…/post-due/`` (post what is due now).
- ``GET /aging/?kind=receivable&as_of=2026-06-30``: the aging report.

Money leaves as decimal strings with the currency's decimals and comes in as decimal strings, handed to the
services as they came (they refuse floats and name the field: ``lines.1.unit_price``). ``register(router)``
adds this area's viewsets; ``urlpatterns`` its other views.
"""

from __future__ import annotations

import datetime as dt

from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api.errors import IDEMPOTENCY_CONFLICT
from apps.core.api.fields import DateField, DecimalStringField, IntegerField, money, plain
from apps.core.api.idempotency import created_status, idempotency_key, key_parameter
from apps.core.api.organizations import organization_for
from apps.core.api.serializers import ModelSerializer
from apps.core.api.viewsets import TenantModelViewSet, TenantScopedMixin
from apps.core.models import Currency

from .. import selectors
from ..filters import InvoiceFilter, InvoicePaymentFilter, RecurringPaymentFilter
from ..models import (
    Counterparty,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoicePayment,
    RecurringPayment,
    RecurringPaymentLeg,
)
from ..reports.aging import BUCKET_LABELS, BUCKETS, aging_report
from ..services import invoices as invoice_services
from ..services import recurring as recurring_services
from .schema import ERRORS as _ERRORS
from .serializers import LedgerModelSerializer

# --- invoices ---------------------------------------------------------------------------------------------


class InvoiceLineSerializer(ModelSerializer):
    quantity = DecimalStringField(
        max_digits=20, decimal_places=6, required=False, help_text=_("Decimal string; 1 when left out.")
    )
    unit_price = DecimalStringField(help_text=_("Decimal string, in the invoice's currency."))
    amount = serializers.SerializerMethodField(help_text=_("quantity × unit price, rounded half-even."))
    # Plain ids: the service checks they belong to the invoice's organization (and answers "no such …").
    account = IntegerField(required=False, allow_null=True, help_text=_("Income or expense account id."))
    category = IntegerField(required=False, allow_null=True)
    project = IntegerField(required=False, allow_null=True)

    class Meta:
        model = InvoiceLine
        fields = ["id", "position", "description", "quantity", "unit_price", "amount", "account", "category", "project"]
        read_only_fields = ["id", "position", "amount"]

    def to_representation(self, instance):
        # Written out: the id fields are plain integers on input, rows on the model.
        return {
            "id": instance.pk,
            "position": instance.position,
            "description": instance.description,
            "quantity": plain(instance.quantity),
            "unit_price": plain(instance.unit_price, instance.invoice.currency.precision),
            "amount": self.get_amount(instance),
            "account": instance.account_id,
            "category": instance.category_id,
            "project": instance.project_id,
        }

    @extend_schema_field(serializers.CharField())
    def get_amount(self, line: InvoiceLine) -> str:
        return money(line.amount, line.invoice.currency.precision)


class InvoicePaymentSerializer(ModelSerializer):
    amount = serializers.SerializerMethodField()
    reversed = serializers.SerializerMethodField(help_text=_("Reversed payments no longer count."))

    class Meta:
        model = InvoicePayment
        fields = ["id", "invoice", "date", "amount", "account", "transaction", "reversal_transaction", "reversed",
                  "created_at"]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_amount(self, payment: InvoicePayment) -> str:
        return money(payment.amount, payment.invoice.currency.precision)

    def get_reversed(self, payment: InvoicePayment) -> bool:
        return payment.reversal_transaction_id is not None


class InvoiceSerializer(LedgerModelSerializer):
    """An invoice with its lines and payments; amounts are decimal strings with the currency's decimals."""

    counterparty = serializers.PrimaryKeyRelatedField(queryset=Counterparty.objects.all())
    counterparty_name = serializers.CharField(source="counterparty.name", read_only=True)
    currency = serializers.PrimaryKeyRelatedField(
        queryset=Currency.objects.filter(is_active=True), help_text=_("ISO code, e.g. RUB.")
    )
    lines = InvoiceLineSerializer(many=True, required=False)
    payments = InvoicePaymentSerializer(many=True, read_only=True)
    total = serializers.SerializerMethodField()
    paid_amount = serializers.SerializerMethodField()
    outstanding = serializers.SerializerMethodField()

    class Meta:
        model = Invoice
        fields = [
            "id",
            "organization",
            "kind",
            "number",
            "reference",
            "counterparty",
            "counterparty_name",
            "currency",
            "issue_date",
            "due_date",
            "status",
            "total",
            "paid_amount",
            "outstanding",
            "notes",
            "lines",
            "payments",
            "issue_transaction",
            "void_transaction",
            "created_at",
            "issued_at",
            "voided_at",
        ]
        read_only_fields = [
            "id",
            "number",
            "status",
            "issue_transaction",
            "void_transaction",
            "created_at",
            "issued_at",
            "voided_at",
        ]

    @extend_schema_field(serializers.CharField())
    def get_total(self, invoice: Invoice) -> str:
        return money(invoice.total, invoice.currency.precision)

    @extend_schema_field(serializers.CharField())
    def get_paid_amount(self, invoice: Invoice) -> str:
        return money(invoice.paid_amount, invoice.currency.precision)

    @extend_schema_field(serializers.CharField())
    def get_outstanding(self, invoice: Invoice) -> str:
        return money(invoice.outstanding, invoice.currency.precision)

    def validate(self, attrs):
        lines = attrs.pop("lines", None)
        attrs = super().validate(attrs)
        if lines is not None:
            attrs["lines"] = lines
        return attrs

    def create(self, validated_data):
        request = self.context["request"]
        return invoice_services.invoice_create(
            organization=validated_data.pop("organization"),
            user=request.user,
            # optional in the schema, as in the model: a receivable unless said otherwise
            kind=validated_data.pop("kind", InvoiceKind.RECEIVABLE),
            lines=[dict(line) for line in validated_data.pop("lines", [])],
            **validated_data,
        )

    def update(self, instance, validated_data):
        request = self.context["request"]
        validated_data.pop("organization", None)
        lines = validated_data.pop("lines", None)
        return invoice_services.invoice_update(
            invoice=instance,
            user=request.user,
            lines=[dict(line) for line in lines] if lines is not None else None,
            **validated_data,
        )


class PaymentInputSerializer(serializers.Serializer):
    amount = DecimalStringField(help_text=_("Decimal string, in the invoice's currency."))
    date = DateField()
    account = IntegerField(help_text=_("The cash or bank account the money moved through."))
    idempotency_key = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=_("Or the Idempotency-Key header.")
    )


class VoidInputSerializer(serializers.Serializer):
    date = DateField(
        required=False, allow_null=True, default=None, help_text=_("Date of the reversal; today when left out.")
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)


class PaymentAnswerSerializer(serializers.Serializer):
    payment = InvoicePaymentSerializer()
    invoice = InvoiceSerializer()


_KEY_PARAMETER = key_parameter(_("A key unique to this payment. Required here or as the idempotency_key field."))


class InvoiceViewSet(TenantModelViewSet):
    """Drafts are edited freely; issuing numbers and posts them, after which only payments and voiding move
    them. Deleting is for drafts; an issued invoice is voided instead."""

    queryset = Invoice.objects.all()
    selector = staticmethod(selectors.invoice_list)
    serializer_class = InvoiceSerializer
    filterset_class = InvoiceFilter
    search_fields = ["number", "reference", "counterparty__name"]
    ordering_fields = ["issue_date", "due_date", "number", "total", "id"]
    ordering = ["-issue_date", "-id"]

    def get_serializer_class(self):
        return {"pay": PaymentInputSerializer, "void": VoidInputSerializer}.get(self.action, InvoiceSerializer)

    def _answer(self, invoice: Invoice, http_status=status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=invoice.pk)
        return Response(InvoiceSerializer(fresh, context=self.get_serializer_context()).data, status=http_status)

    def create(self, request, *args, **kwargs):
        serializer = InvoiceSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return self._answer(serializer.save(), status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        invoice = self.get_object()
        serializer = InvoiceSerializer(
            invoice, data=request.data, partial=kwargs.get("partial", False), context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        return self._answer(serializer.save())

    def perform_destroy(self, instance):
        invoice_services.invoice_delete(invoice=instance, user=self.request.user)

    @extend_schema(
        summary=_("Issue a draft: give it its number and post the receivable or payable"),
        request=None,
        responses={200: InvoiceSerializer, **_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def issue(self, request, pk=None):
        invoice = self.get_object()
        return self._answer(invoice_services.invoice_issue(invoice=invoice, user=request.user))

    @extend_schema(
        summary=_("Record a payment and allocate it to the invoice"),
        description=_("A repeated idempotency key answers 200 with the first payment and posts nothing."),
        parameters=[_KEY_PARAMETER],
        request=PaymentInputSerializer,
        responses={201: PaymentAnswerSerializer, 200: PaymentAnswerSerializer, 409: IDEMPOTENCY_CONFLICT, **_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def pay(self, request, pk=None):
        invoice = self.get_object()
        serializer = PaymentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        key = idempotency_key(request, data)
        payment = invoice_services.invoice_payment_record(
            invoice=invoice, user=request.user, idempotency_key=key, **data
        )
        fresh = self.get_queryset().get(pk=invoice.pk)
        payment.invoice = fresh
        context = self.get_serializer_context()
        return Response(
            {
                "payment": InvoicePaymentSerializer(payment, context=context).data,
                "invoice": InvoiceSerializer(fresh, context=context).data,
            },
            status=created_status(payment),
        )

    @extend_schema(
        summary=_("Void the invoice: post the reversal of its issue (refused while payments stand)"),
        request=VoidInputSerializer,
        responses={200: InvoiceSerializer, **_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def void(self, request, pk=None):
        invoice = self.get_object()
        serializer = VoidInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        voided = invoice_services.invoice_void(invoice=invoice, user=request.user, **serializer.validated_data)
        return self._answer(voided)


class ReverseInputSerializer(serializers.Serializer):
    date = DateField(required=False, allow_null=True, default=None)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)


class InvoicePaymentViewSet(
    TenantScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Payments are recorded through ``POST /invoices/{id}/pay/`` and never changed; a mistake is reversed."""

    queryset = InvoicePayment.objects.all()
    selector = staticmethod(selectors.invoice_payment_list)
    serializer_class = InvoicePaymentSerializer
    filterset_class = InvoicePaymentFilter
    ordering_fields = ["date", "id"]
    ordering = ["-date", "-id"]

    def get_serializer_class(self):
        return ReverseInputSerializer if self.action == "reverse" else InvoicePaymentSerializer

    @extend_schema(
        summary=_("Reverse a payment: post the reversal and take it off the invoice"),
        request=ReverseInputSerializer,
        responses={200: InvoicePaymentSerializer, **_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None):
        payment = self.get_object()
        serializer = ReverseInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reversed_payment = invoice_services.invoice_payment_reverse(
            payment=payment, user=request.user, **serializer.validated_data
        )
        fresh = self.get_queryset().get(pk=reversed_payment.pk)
        return Response(InvoicePaymentSerializer(fresh, context=self.get_serializer_context()).data)


# --- recurring payments -----------------------------------------------------------------------------------


class RecurringLegSerializer(ModelSerializer):
    account = IntegerField()
    amount = DecimalStringField(help_text=_("Signed decimal string: debit positive, credit negative."))
    project = IntegerField(required=False, allow_null=True)
    category = IntegerField(required=False, allow_null=True)
    counterparty = IntegerField(required=False, allow_null=True)

    class Meta:
        model = RecurringPaymentLeg
        fields = ["id", "account", "amount", "project", "category", "counterparty", "memo"]
        read_only_fields = ["id"]

    def to_representation(self, instance):
        return {
            "id": instance.pk,
            "account": instance.account_id,
            "amount": plain(instance.amount),
            "project": instance.project_id,
            "category": instance.category_id,
            "counterparty": instance.counterparty_id,
            "memo": instance.memo,
        }


class RecurringPaymentSerializer(LedgerModelSerializer):
    """A recurring payment: its legs (or from_account, to_account and amount) and its schedule."""

    legs = RecurringLegSerializer(many=True, required=False)
    from_account = IntegerField(write_only=True, required=False, help_text=_("Instead of legs."))
    to_account = IntegerField(write_only=True, required=False, help_text=_("Instead of legs."))
    amount = DecimalStringField(write_only=True, required=False, help_text=_("Instead of legs: what moves each time."))
    schedule = serializers.SerializerMethodField(help_text=_("The schedule in words."))

    class Meta:
        model = RecurringPayment
        fields = [
            "id",
            "organization",
            "name",
            "description",
            "interval_unit",
            "interval_count",
            "day_of_month",
            "start_date",
            "end_date",
            "paused",
            "schedule",
            "next_due_date",
            "last_posted_date",
            "last_error",
            "legs",
            "from_account",
            "to_account",
            "amount",
            "created_at",
        ]
        read_only_fields = ["id", "paused", "next_due_date", "last_posted_date", "last_error", "created_at"]

    def get_schedule(self, recurring: RecurringPayment) -> str:
        return recurring_services.Schedule.of(recurring).describe()

    def validate(self, attrs):
        extra = {name: attrs.pop(name) for name in ("legs", "from_account", "to_account", "amount") if name in attrs}
        attrs = super().validate(attrs)
        attrs.update(extra)
        return attrs

    def create(self, validated_data):
        legs = validated_data.pop("legs", None)
        return recurring_services.recurring_payment_create(
            organization=validated_data.pop("organization"),
            user=self.context["request"].user,
            legs=[dict(leg) for leg in legs] if legs is not None else None,
            **validated_data,
        )

    def update(self, instance, validated_data):
        validated_data.pop("organization", None)
        legs = validated_data.pop("legs", None)
        simple = {name: validated_data.pop(name) for name in ("from_account", "to_account", "amount")
                  if name in validated_data}  # fmt: skip
        if simple:
            if legs is not None or len(simple) != 3:
                raise serializers.ValidationError(
                    {"legs": _("Send either legs, or from_account, to_account and amount together.")}
                )
            legs = recurring_services.simple_legs(**simple)
        return recurring_services.recurring_payment_update(
            recurring_payment=instance,
            user=self.context["request"].user,
            legs=[dict(leg) for leg in legs] if legs is not None else None,
            **validated_data,
        )


class ResumeInputSerializer(serializers.Serializer):
    catch_up = serializers.BooleanField(
        required=False, default=False, help_text=_("Also post what fell due while paused.")
    )


class RunResultSerializer(serializers.Serializer):
    posted = serializers.ListField(child=DateField())
    skipped_closed = serializers.ListField(child=DateField())
    error = serializers.CharField()
    busy = serializers.BooleanField()
    capped = serializers.BooleanField()


class RecurringPaymentViewSet(TenantModelViewSet):
    """Recurring payments: the template and the schedule. The beat task posts what falls due; ``post-due``
    does it now for one."""

    queryset = RecurringPayment.objects.all()
    selector = staticmethod(selectors.recurring_payment_list)
    serializer_class = RecurringPaymentSerializer
    filterset_class = RecurringPaymentFilter
    search_fields = ["name", "description"]
    ordering_fields = ["name", "next_due_date", "id"]
    ordering = ["name", "id"]

    def get_serializer_class(self):
        if self.action == "resume":
            return ResumeInputSerializer
        if self.action == "post_due":
            return RunResultSerializer
        return RecurringPaymentSerializer

    def _answer(self, recurring: RecurringPayment, http_status=status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=recurring.pk)
        return Response(
            RecurringPaymentSerializer(fresh, context=self.get_serializer_context()).data, status=http_status
        )

    def create(self, request, *args, **kwargs):
        serializer = RecurringPaymentSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return self._answer(serializer.save(), status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        recurring = self.get_object()
        serializer = RecurringPaymentSerializer(
            recurring, data=request.data, partial=kwargs.get("partial", False), context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        return self._answer(serializer.save())

    def perform_destroy(self, instance):
        recurring_services.recurring_payment_delete(recurring_payment=instance, user=self.request.user)

    @extend_schema(summary=_("Pause: post nothing until resumed"), request=None,
                   responses={200: RecurringPaymentSerializer, **_ERRORS})  # fmt: skip
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        recurring = self.get_object()
        return self._answer(recurring_services.recurring_payment_pause(recurring_payment=recurring, user=request.user))

    @extend_schema(
        summary=_("Resume: post again from today (what fell due while paused is skipped unless catch_up)"),
        request=ResumeInputSerializer,
        responses={200: RecurringPaymentSerializer, **_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        recurring = self.get_object()
        serializer = ResumeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        resumed = recurring_services.recurring_payment_resume(
            recurring_payment=recurring, user=request.user, **serializer.validated_data
        )
        return self._answer(resumed)

    @extend_schema(
        summary=_("Post what is due now (each occurrence once, as the beat task would)"),
        request=None,
        responses={200: RunResultSerializer, **_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="post-due")
    def post_due(self, request, pk=None):
        recurring = self.get_object()
        result = recurring_services.recurring_payment_post_due(recurring_payment=recurring, user=request.user)
        return Response(RunResultSerializer(result).data)


# --- the aging report -------------------------------------------------------------------------------------


class AgingQuerySerializer(serializers.Serializer):
    organization = serializers.CharField(required=False, help_text=_("Slug; optional if you see only one."))
    kind = serializers.ChoiceField(choices=InvoiceKind.choices, default=InvoiceKind.RECEIVABLE)
    as_of = DateField(required=False, help_text=_("Default: today in the organization's time zone."))
    counterparty = serializers.ListField(child=IntegerField(), required=False)


class AgingView(APIView):
    """Receivables or payables aging per counterparty and currency: current, 1–30, 31–60, 61–90 and over 90
    days past due, as of a date. Amounts are decimal strings; currencies are never added together."""

    queryset = Invoice.objects.none()  # for the permission and the schema: this view reads invoices

    @extend_schema(
        summary=_("Aging report of receivables or payables"),
        parameters=[AgingQuerySerializer],
        responses={200: OpenApiResponse(description=_("Rows per counterparty and currency, totals per currency."))},
    )
    def get(self, request):
        query = AgingQuerySerializer(
            data={**request.query_params.dict(), "counterparty": request.query_params.getlist("counterparty")}
        )
        query.is_valid(raise_exception=True)
        organization = organization_for(request, query.validated_data.get("organization"))
        as_of: dt.date = query.validated_data.get("as_of") or organization.today()
        counterparties = query.validated_data.get("counterparty") or None
        report = aging_report(
            organization=organization, kind=query.validated_data["kind"], as_of=as_of, counterparties=counterparties
        )
        precision = dict(Currency.objects.values_list("code", "precision"))

        def amounts(item) -> dict:
            places = precision.get(item.currency, 2)
            return {
                **{bucket: money(value, places) for bucket, value in item.buckets().items()},
                "total": money(item.total, places),
                "invoices": item.invoices,
            }

        return Response(
            {
                "organization": organization.slug,
                "kind": report.kind,
                "as_of": report.as_of.isoformat(),
                "title": report.title,
                "buckets": [{"key": bucket, "label": str(BUCKET_LABELS[bucket])} for bucket in BUCKETS],
                "rows": [
                    {
                        "counterparty": {"id": row.counterparty_id, "name": row.counterparty},
                        "currency": row.currency,
                        **amounts(row),
                    }
                    for row in report.rows
                ],
                "totals": [{"currency": total.currency, **amounts(total)} for total in report.totals],
            }
        )


def register(router) -> None:
    router.register("invoices", InvoiceViewSet, basename="ledger-invoice")
    router.register("invoice-payments", InvoicePaymentViewSet, basename="ledger-invoice-payment")
    router.register("recurring-payments", RecurringPaymentViewSet, basename="ledger-recurring-payment")


urlpatterns: list = [path("aging/", AgingView.as_view(), name="ledger-aging")]
