"""Billing's API, mounted at /api/v1/billing/:

- ``/payments/``: list (filters: status, provider, gateway, purpose, created_after/before) and read; ``POST``
  starts a payment (an ``Idempotency-Key``; 201 with the ``confirmation_url`` to send the customer to, 200 with
  the same payment on a repeat); ``POST /payments/{id}/refunds/`` refunds it (``GET`` lists its refunds),
  ``…/capture/`` and ``…/cancel/`` a held payment, ``…/sync/`` asks the provider again.
- ``/refunds/``: list and read; ``POST`` refunds the ``payment`` named in the body.
- ``/subscriptions/?current=true&organization=<slug>``: the organization's current subscription (and its
  past ones without ``current``); ``POST /subscriptions/{id}/change-plan/``, ``…/cancel/``, ``…/resume/``.
- ``/plans/``: the public catalogue (no sign-in needed); ``/usage/?organization=<slug>``: usage and limits.

A provider that refuses answers 502 (``provider_refused``), one that cannot be reached 503
(``provider_unavailable``: repeat the request with the same key).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from apps.core.accounts.tenancy import scope
from apps.core.api.errors import IDEMPOTENCY_CONFLICT, ErrorSerializer, error_response
from apps.core.api.idempotency import created_status, idempotency_key, key_parameter
from apps.core.api.viewsets import TenantScopedMixin
from apps.core.selectors import organization_list

from .. import selectors
from ..filters import PaymentFilter, RefundFilter, SubscriptionFilter
from ..models import GatewayAccount, Payment, Plan, Refund, Subscription, UsageCounter
from ..providers import ProviderError
from ..services.payments import payment_cancel, payment_capture, payment_start, payment_sync, require_billing_power
from ..services.refunds import refund_create
from ..services.subscriptions import subscription_cancel, subscription_change_plan, subscription_resume
from .serializers import (
    CaptureSerializer,
    PaymentCreateSerializer,
    PaymentSerializer,
    PlanChangeInputSerializer,
    PlanChangeSerializer,
    PlanSerializer,
    RefundCreateSerializer,
    RefundSerializer,
    SubscriptionSerializer,
    UsageSerializer,
)

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description=gettext_lazy("Invalid fields, or a billing rule refused it.")),
    403: OpenApiResponse(ErrorSerializer, description=gettext_lazy("Your role may not change billing records.")),
    404: OpenApiResponse(ErrorSerializer, description=gettext_lazy("Not found in your organizations.")),
}
PROVIDER_ERRORS = {
    502: OpenApiResponse(ErrorSerializer, description=gettext_lazy("The provider refused.")),
    503: OpenApiResponse(
        ErrorSerializer, description=gettext_lazy("The provider could not be reached: repeat with the same key.")
    ),
}
ORGANIZATION = OpenApiParameter(
    "organization", str, description=gettext_lazy("The organization's slug; needed when you belong to several.")
)
PAYMENT_EXAMPLE = OpenApiExample(
    "A payment through YooKassa",
    request_only=True,
    value={
        "gateway": 3,
        "amount": "1500.00",
        "currency": "RUB",
        "description": "Order 1042",
        "return_url": "https://shop.example.com/orders/1042",
        "customer_email": "buyer@example.com",
        "receipt_items": [{"description": "Consultation", "quantity": "1", "amount": "1500.00", "vat_code": 1}],
    },
)
PAYMENT_ANSWER = OpenApiExample(
    "Started: send the customer to confirmation_url",
    response_only=True,
    status_codes=["201", "200"],
    value={
        "id": 17, "organization": "acme", "gateway": 3, "provider": "yookassa", "status": "pending",
        "amount": "1500.00", "currency": "RUB", "captured_amount": "0.00", "fee": None, "net": None,
        "provider_payment_id": "2f4e0a6c-000f-5000-8000-1b68e7b15f3f", "purpose_type": "", "purpose_id": "",
        "description": "Order 1042", "confirmation_url": "https://yoomoney.ru/checkout/payments/v2/contract?orderId=2f4e0a6c",
        "return_url": "https://shop.example.com/orders/1042", "capture_mode": "one_stage",
        "customer_email": "buyer@example.com", "receipt": {}, "amount_mismatch": False, "failure_reason": "",
        "created_at": "2026-12-05T08:00:00Z", "succeeded_at": None,
    },
)  # fmt: skip
REFUND_EXAMPLE = OpenApiExample("Part of a payment", request_only=True, value={"amount": "500.00", "reason": "damaged"})


def provider_failure(error: ProviderError) -> Response:
    if error.temporary:
        return error_response(
            "provider_unavailable",
            _("The payment provider could not be reached; repeat the request with the same key."),
            status.HTTP_503_SERVICE_UNAVAILABLE,
        )
    return error_response(
        "provider_refused",
        _("The payment provider refused: {reason}").format(reason=error),
        status.HTTP_502_BAD_GATEWAY,
    )


def _refund(request, payment: Payment, data: dict) -> Response:
    key = idempotency_key(request, data)
    amount = data.get("amount")
    if amount is None:
        amount = payment.captured_amount - selectors.payment_refunded_amount(payment=payment)
        if amount <= 0:
            raise ValidationError({"amount": _("Nothing is left to refund of this payment.")})
    try:
        refund = refund_create(
            payment=payment, amount=amount, reason=data.get("reason", ""), idempotency_key=key, user=request.user
        )
    except ProviderError as error:
        return provider_failure(error)
    fresh = selectors.refund_list_detailed(user=request.user).get(pk=refund.pk)
    return Response(RefundSerializer(fresh).data, status=created_status(refund))


class PaymentViewSet(TenantScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Payments are started here and changed only by the provider's word (webhooks, sync) and the actions."""

    queryset = Payment.objects.all()
    selector = staticmethod(selectors.payment_list_detailed)
    serializer_class = PaymentSerializer
    filterset_class = PaymentFilter
    search_fields = ["provider_payment_id", "description"]
    ordering_fields = ["created_at", "amount", "id"]
    ordering = ["-created_at", "-id"]

    def get_serializer_class(self):
        return {
            "create": PaymentCreateSerializer,
            "refunds": RefundCreateSerializer,
            "capture": CaptureSerializer,
        }.get(self.action, PaymentSerializer)

    def _answer(self, payment: Payment, http_status=status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=payment.pk)
        return Response(PaymentSerializer(fresh).data, status=http_status)

    @extend_schema(
        summary=gettext_lazy("Start a payment and get the address to send the customer to"),
        description=gettext_lazy("A repeated idempotency key answers 200 with the first payment."),
        parameters=[key_parameter(gettext_lazy("A key unique to this payment."))],
        request=PaymentCreateSerializer,
        responses={
            201: PaymentSerializer,
            200: PaymentSerializer,
            409: IDEMPOTENCY_CONFLICT,
            **ERRORS,
            **PROVIDER_ERRORS,
        },  # fmt: skip
        examples=[PAYMENT_EXAMPLE, PAYMENT_ANSWER],
    )
    def create(self, request, *args, **kwargs):
        serializer = PaymentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        key = idempotency_key(request, data)
        gateway = scope(GatewayAccount.objects.all(), request.user).filter(pk=data["gateway"]).first()
        if gateway is None:
            raise ValidationError({"gateway": _("There is no such gateway among yours.")})
        require_billing_power(request.user, gateway.organization_id)
        purpose = None
        if data.get("invoice") is not None:
            from apps.ledger.models import Invoice

            invoice = Invoice.objects.filter(pk=data["invoice"], organization_id=gateway.organization_id).first()
            if invoice is None:
                raise ValidationError({"invoice": _("There is no such invoice in the gateway's organization.")})
            purpose = invoice
        items = [dict(item) for item in data.get("receipt_items") or []]
        try:
            payment = payment_start(
                gateway=gateway,
                amount=data["amount"],
                currency=data["currency"].upper(),
                purpose=purpose,
                description=data["description"],
                idempotency_key=key,
                return_url=data["return_url"],
                customer_email=data["customer_email"] or None,
                customer_phone=data["customer_phone"] or None,
                receipt_items=items or None,
                two_stage=data["two_stage"],
                user=request.user,
            )
        except ProviderError as error:
            return provider_failure(error)
        return self._answer(payment, created_status(payment))

    @extend_schema(
        methods=["GET"],
        summary=gettext_lazy("The payment's refunds"),
        request=None,
        responses={200: RefundSerializer(many=True), **ERRORS},
    )
    @extend_schema(
        methods=["POST"],
        summary=gettext_lazy("Refund the payment, all that is left or part of it"),
        parameters=[key_parameter(gettext_lazy("A key unique to this refund."))],
        request=RefundCreateSerializer,
        responses={
            201: RefundSerializer,
            200: RefundSerializer,
            409: IDEMPOTENCY_CONFLICT,
            **ERRORS,
            **PROVIDER_ERRORS,
        },  # fmt: skip
        examples=[REFUND_EXAMPLE],
    )
    @action(detail=True, methods=["get", "post"], filterset_class=None, pagination_class=None)
    def refunds(self, request, pk=None):
        payment = self.get_object()
        if request.method == "GET":
            refunds = selectors.refund_list_detailed(user=request.user).filter(payment=payment).order_by("-created_at")
            return Response(RefundSerializer(refunds, many=True).data)
        serializer = RefundCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return _refund(request, payment, dict(serializer.validated_data))

    @extend_schema(
        summary=gettext_lazy("Capture a held payment (all of it, or less)"),
        request=CaptureSerializer,
        responses={200: PaymentSerializer, **ERRORS, **PROVIDER_ERRORS},
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def capture(self, request, pk=None):
        payment = self.get_object()
        serializer = CaptureSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            payment_capture(payment=payment, amount=serializer.validated_data.get("amount"), user=request.user)
        except ProviderError as error:
            return provider_failure(error)
        return self._answer(payment)

    @extend_schema(
        summary=gettext_lazy("Release a held payment"),
        request=None,
        responses={200: PaymentSerializer, **ERRORS, **PROVIDER_ERRORS},
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def cancel(self, request, pk=None):
        payment = self.get_object()
        try:
            payment_cancel(payment=payment, user=request.user)
        except ProviderError as error:
            return provider_failure(error)
        return self._answer(payment)

    @extend_schema(
        summary=gettext_lazy("Ask the provider for the payment's status and apply it"),
        request=None,
        responses={200: PaymentSerializer, **ERRORS, **PROVIDER_ERRORS},
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def sync(self, request, pk=None):
        payment = self.get_object()
        require_billing_power(request.user, payment.organization_id)
        try:
            payment_sync(payment=payment)
        except ProviderError as error:
            return provider_failure(error)
        return self._answer(payment)


class RefundViewSet(TenantScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Refund.objects.all()
    selector = staticmethod(selectors.refund_list_detailed)
    serializer_class = RefundSerializer
    filterset_class = RefundFilter
    search_fields = ["provider_refund_id", "reason"]
    ordering_fields = ["created_at", "amount", "id"]
    ordering = ["-created_at", "-id"]

    def get_serializer_class(self):
        return RefundCreateSerializer if self.action == "create" else RefundSerializer

    @extend_schema(
        summary=gettext_lazy("Refund a payment named in the body"),
        parameters=[key_parameter(gettext_lazy("A key unique to this refund."))],
        request=RefundCreateSerializer,
        responses={
            201: RefundSerializer,
            200: RefundSerializer,
            409: IDEMPOTENCY_CONFLICT,
            **ERRORS,
            **PROVIDER_ERRORS,
        },  # fmt: skip
        examples=[OpenApiExample("Part of a payment", request_only=True, value={"payment": 17, "amount": "500.00"})],
    )
    def create(self, request, *args, **kwargs):
        serializer = RefundCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if data.get("payment") is None:
            raise ValidationError({"payment": _("Name the payment to refund.")})
        payment = selectors.payment_list_detailed(user=request.user).filter(pk=data["payment"]).first()
        if payment is None:
            raise ValidationError({"payment": _("There is no such payment among yours.")})
        return _refund(request, payment, data)


class PlanViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The public catalogue of plans with their prices and limits."""

    queryset = Plan.objects.all()
    serializer_class = PlanSerializer
    permission_classes = [AllowAny]
    authentication_classes = []
    pagination_class = None
    filter_backends = []

    def get_queryset(self):
        return selectors.plan_list(public_only=True)

    @extend_schema(summary=gettext_lazy("The plans on offer"), responses={200: PlanSerializer(many=True)})
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


class SubscriptionViewSet(TenantScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Your organizations' subscriptions (``?current=true``: the one whose plan applies now) and the changes an
    owner may ask for on the current one."""

    queryset = Subscription.objects.all()
    serializer_class = SubscriptionSerializer
    filterset_class = SubscriptionFilter
    ordering_fields = ["started_at", "id"]
    ordering = ["-started_at", "-id"]

    def get_queryset(self):
        return selectors.subscription_list(user=self.request.user).select_related(
            "scheduled_plan", "pending_plan", "pending_price__currency"
        )

    def get_serializer_class(self):
        return PlanChangeInputSerializer if self.action == "change_plan" else SubscriptionSerializer

    def _answer(self, subscription: Subscription) -> Response:
        return Response(SubscriptionSerializer(self.get_queryset().get(pk=subscription.pk)).data)

    @extend_schema(
        summary=gettext_lazy("Move to another plan: a dearer one now (after paying the difference), a cheaper one "
                             "from the next period"),
        request=PlanChangeInputSerializer,
        responses={200: PlanChangeSerializer, **ERRORS},
        examples=[OpenApiExample("To the Pro plan", request_only=True, value={"plan": "pro"})],
    )  # fmt: skip
    @action(detail=True, methods=["post"], url_path="change-plan", filterset_class=None)
    def change_plan(self, request, pk=None):
        subscription = self.get_object()
        serializer = PlanChangeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        code = serializer.validated_data["plan"]
        plan = Plan.objects.filter(code=code, is_active=True).first()
        if plan is None:
            raise ValidationError({"plan": _("There is no plan {code} on offer.").format(code=code)})
        change = subscription_change_plan(subscription=subscription, plan=plan, user=request.user)
        body = self._answer(change.subscription).data
        return Response({"kind": change.kind, "amount_due": str(change.amount_due), "subscription": body})

    @extend_schema(
        summary=gettext_lazy("Cancel when the period ends (resume undoes it)"),
        request=None,
        responses={200: SubscriptionSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def cancel(self, request, pk=None):
        subscription = self.get_object()
        return self._answer(subscription_cancel(subscription=subscription, at_period_end=True, user=request.user))

    @extend_schema(
        summary=gettext_lazy("Undo a cancel or a downgrade scheduled for the period end"),
        request=None,
        responses={200: SubscriptionSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def resume(self, request, pk=None):
        subscription = self.get_object()
        return self._answer(subscription_resume(subscription=subscription, user=request.user))


class UsageViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """For each of your organizations (``?organization=<slug>`` for one): its plan and what it has used of
    each limited resource against the plan's limits."""

    queryset = UsageCounter.objects.all()
    serializer_class = UsageSerializer
    pagination_class = None
    filter_backends = []

    @extend_schema(
        summary=gettext_lazy("Usage and limits"), parameters=[ORGANIZATION], responses={200: UsageSerializer(many=True)}
    )
    def list(self, request, *args, **kwargs):
        organizations = organization_list(user=request.user).order_by("name")
        slug = request.query_params.get("organization")
        if slug:
            organizations = organizations.filter(slug=slug)
        answer = []
        for organization in organizations[:50]:
            plan = selectors.plan_of(organization=organization)
            lines = selectors.usage_summary(organization=organization)
            answer.append({"organization": organization.slug, "plan": plan.code if plan else None, "usage": lines})
        return Response(UsageSerializer(answer, many=True).data)


def register(router) -> None:
    router.register("payments", PaymentViewSet, basename="billing-payment")
    router.register("refunds", RefundViewSet, basename="billing-refund")
    router.register("plans", PlanViewSet, basename="billing-plan")
    router.register("subscriptions", SubscriptionViewSet, basename="billing-subscription")
    router.register("usage", UsageViewSet, basename="billing-usage")
