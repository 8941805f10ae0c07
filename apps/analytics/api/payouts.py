"""Affiliate payouts: ``GET/POST /payouts/`` lists and records pending payouts; ``approve``, ``pay`` (with the
cash account), ``reverse`` and ``reject`` call the payout services, which post to the books once per payout
however often they are called."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.core.accounts.tenancy import scope
from apps.core.api.errors import ErrorSerializer
from apps.core.api.fields import DateField, DecimalStringField, money
from apps.core.api.viewsets import TenantScopedMixin
from apps.core.models import Organization
from apps.ledger.models import Account

from ..filters import PayoutFilter
from ..models import AffiliateProgram, Offer, Payout
from ..services import payout_approve, payout_create, payout_pay, payout_reject, payout_reverse

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description=_("Invalid fields, or the payout's state refused it.")),
    403: OpenApiResponse(ErrorSerializer, description=_("Your role may not change payouts.")),
    404: OpenApiResponse(ErrorSerializer, description=_("Not found in your organizations.")),
}


class PayoutSerializer(serializers.ModelSerializer):
    organization = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    amount = serializers.SerializerMethodField()
    program_name = serializers.CharField(source="program.name", read_only=True)

    class Meta:
        model = Payout
        fields = [
            "id",
            "organization",
            "program",
            "program_name",
            "offer",
            "period_start",
            "period_end",
            "amount",
            "currency",
            "status",
            "approval_transaction",
            "payment_transaction",
            "reversal_transaction",
            "note",
            "created_at",
            "approved_at",
            "paid_at",
            "reversed_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_amount(self, payout: Payout) -> str:
        return money(payout.amount, payout.currency.precision)


class PayoutCreateSerializer(serializers.Serializer):
    organization = serializers.SlugRelatedField(slug_field="slug", queryset=Organization.objects.all())
    program = serializers.PrimaryKeyRelatedField(queryset=AffiliateProgram.objects.all())
    offer = serializers.PrimaryKeyRelatedField(queryset=Offer.objects.all(), required=False, allow_null=True)
    period_start = DateField()
    period_end = DateField()
    amount = DecimalStringField()
    currency = serializers.CharField(max_length=10)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None:
            fields["organization"].queryset = scope(Organization.objects.all(), request.user)
            fields["program"].queryset = scope(AffiliateProgram.objects.all(), request.user)
            fields["offer"].queryset = scope(Offer.objects.all(), request.user)
        return fields


class PayInputSerializer(serializers.Serializer):
    cash_account = serializers.IntegerField(help_text=_("The cash or bank account the money arrived in."))
    date = DateField(required=False, allow_null=True, default=None)


class DateInputSerializer(serializers.Serializer):
    date = DateField(required=False, allow_null=True, default=None)


class ReasonInputSerializer(serializers.Serializer):
    date = DateField(required=False, allow_null=True, default=None)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)


class PayoutViewSet(
    TenantScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Payout.objects.select_related("program", "currency", "organization")
    serializer_class = PayoutSerializer
    filterset_class = PayoutFilter
    ordering_fields = ["period_end", "id"]
    ordering = ["-period_end", "-id"]

    def get_serializer_class(self):
        return {
            "create": PayoutCreateSerializer,
            "pay": PayInputSerializer,
            "approve": DateInputSerializer,
            "reverse": ReasonInputSerializer,
            "reject": ReasonInputSerializer,
        }.get(self.action, PayoutSerializer)

    def _answer(self, payout: Payout, http_status=status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=payout.pk)
        return Response(PayoutSerializer(fresh, context=self.get_serializer_context()).data, status=http_status)

    def _input(self, serializer_class):
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    @extend_schema(
        summary=_("Record a pending payout of an affiliate program"),
        request=PayoutCreateSerializer,
        responses={201: PayoutSerializer, **ERRORS},
    )
    def create(self, request, *args, **kwargs):
        data = self._input(PayoutCreateSerializer)
        self.check_object_permissions(request, data["program"])
        payout = payout_create(user=request.user, **data)
        return self._answer(payout, status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("Approve the payout: post the receivable against income, once"),
        request=DateInputSerializer,
        responses={200: PayoutSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        payout = self.get_object()
        data = self._input(DateInputSerializer)
        return self._answer(payout_approve(payout=payout, user=request.user, date=data["date"]))

    @extend_schema(
        summary=_("Record the payout as paid into a cash or bank account, once"),
        request=PayInputSerializer,
        responses={200: PayoutSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def pay(self, request, pk=None):
        payout = self.get_object()
        data = self._input(PayInputSerializer)
        account = Account.objects.filter(pk=data["cash_account"], organization_id=payout.organization_id).first()
        if account is None:
            raise serializers.ValidationError({"cash_account": [_("No such account in the payout's organization.")]})
        return self._answer(payout_pay(payout=payout, cash_account=account, user=request.user, date=data["date"]))

    @extend_schema(
        summary=_("Reverse an approved payout: the approval's posting is reversed"),
        request=ReasonInputSerializer,
        responses={200: PayoutSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None):
        payout = self.get_object()
        data = self._input(ReasonInputSerializer)
        return self._answer(payout_reverse(payout=payout, user=request.user, date=data["date"], reason=data["reason"]))

    @extend_schema(
        summary=_("Reject a pending payout"),
        request=ReasonInputSerializer,
        responses={200: PayoutSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        payout = self.get_object()
        data = self._input(ReasonInputSerializer)
        return self._answer(payout_reject(payout=payout, user=request.user, reason=data["reason"]))


def register(router) -> None:
    router.register("payouts", PayoutViewSet, basename="analytics-payout")
