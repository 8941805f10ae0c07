"""What billing's API reads and writes. Amounts leave as decimal strings with the currency's decimals and come
in as decimal strings (``DecimalStringField``), handed to the services as they came."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.api.fields import DecimalStringField, IntegerField, money

from ..models import Payment, PaymentStatus, Plan, Refund, Subscription


def _amount(value, currency) -> str | None:
    return money(value, currency.precision)


class PaymentSerializer(serializers.ModelSerializer):
    organization = serializers.CharField(source="organization.slug", read_only=True)
    provider = serializers.CharField(source="gateway.provider", read_only=True)
    amount = serializers.SerializerMethodField()
    captured_amount = serializers.SerializerMethodField()
    fee = serializers.SerializerMethodField(help_text=_("The provider's fee, once it says."))
    net = serializers.SerializerMethodField(help_text=_("What the provider pays out, once it says."))
    # Blank until the provider gives one (a payment made with a saved method has none): a URI or "".
    confirmation_url = serializers.CharField(
        read_only=True, help_text=_("Where to send the customer to pay; empty when the provider gave none.")
    )
    return_url = serializers.CharField(read_only=True, help_text=_("Where the provider sends the customer back."))

    class Meta:
        model = Payment
        fields = [
            "id", "organization", "gateway", "provider", "status", "amount", "currency", "captured_amount", "fee",
            "net", "provider_payment_id", "purpose_type", "purpose_id", "description", "confirmation_url",
            "return_url", "capture_mode", "customer_email", "receipt", "amount_mismatch", "failure_reason",
            "created_at", "succeeded_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_amount(self, payment: Payment) -> str:
        return _amount(payment.amount, payment.currency)

    @extend_schema_field(serializers.CharField())
    def get_captured_amount(self, payment: Payment) -> str:
        return _amount(payment.captured_amount, payment.currency)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_fee(self, payment: Payment) -> str | None:
        return _amount(payment.fee, payment.currency)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_net(self, payment: Payment) -> str | None:
        return _amount(payment.net, payment.currency)


class ReceiptItemSerializer(serializers.Serializer):
    description = serializers.CharField(max_length=128)
    quantity = DecimalStringField(max_digits=20, decimal_places=6)
    amount = DecimalStringField(help_text=_("The price of one unit."))
    vat_code = serializers.IntegerField(min_value=1, max_value=12, required=False)


class PaymentCreateSerializer(serializers.Serializer):
    gateway = IntegerField(help_text=_("The id of one of your organizations' gateways."))
    amount = DecimalStringField(help_text=_("Decimal string, within the currency's decimals."))
    currency = serializers.CharField(max_length=10, help_text=_("ISO code, e.g. RUB."))
    description = serializers.CharField(max_length=250, required=False, allow_blank=True, default="")
    return_url = serializers.URLField(max_length=2000, help_text=_("Where the provider sends the customer back."))
    customer_email = serializers.EmailField(required=False, allow_blank=True, default="")
    customer_phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    two_stage = serializers.BooleanField(
        required=False, default=False, help_text=_("Hold the money and take it only when captured.")
    )
    invoice = IntegerField(
        required=False, allow_null=True, default=None, help_text=_("The invoice this payment pays, if any.")
    )
    receipt_items = ReceiptItemSerializer(
        many=True, required=False, help_text=_("54-FZ receipt lines; they must add up to the amount.")
    )
    idempotency_key = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=128, help_text=_("Or the Idempotency-Key header.")
    )


class CaptureSerializer(serializers.Serializer):
    amount = DecimalStringField(required=False, help_text=_("Less than held to take part of it; all when left out."))


class RefundSerializer(serializers.ModelSerializer):
    organization = serializers.CharField(source="organization.slug", read_only=True)
    amount = serializers.SerializerMethodField()
    currency = serializers.CharField(source="payment.currency_id", read_only=True)

    class Meta:
        model = Refund
        fields = [
            "id", "organization", "payment", "status", "amount", "currency", "provider_refund_id", "reason",
            "failure_reason", "receipt", "created_at", "succeeded_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_amount(self, refund: Refund) -> str:
        return _amount(refund.amount, refund.payment.currency)


class RefundCreateSerializer(serializers.Serializer):
    payment = IntegerField(required=False, help_text=_("The payment to refund (not needed under /payments/{id}/)."))
    amount = DecimalStringField(required=False, help_text=_("Decimal string; what is left to refund when left out."))
    reason = serializers.CharField(max_length=250, required=False, allow_blank=True, default="")
    idempotency_key = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=128, help_text=_("Or the Idempotency-Key header.")
    )


class PlanSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    prices = serializers.SerializerMethodField()
    limits = serializers.SerializerMethodField(help_text=_("Resource → amount; null is unlimited."))

    class Meta:
        model = Plan
        fields = ["code", "name", "description", "trial_days", "is_free", "prices", "limits"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.DictField(child=serializers.CharField())))
    def get_prices(self, plan: Plan) -> list[dict]:
        return [
            {"currency": p.currency_id, "period": p.period, "amount": money(p.amount, p.currency.precision)}
            for p in plan.prices.all()
        ]

    @extend_schema_field(serializers.DictField(child=serializers.IntegerField(allow_null=True)))
    def get_limits(self, plan: Plan) -> dict:
        return {limit.resource: limit.amount for limit in plan.plan_limits.all()}


class SubscriptionSerializer(serializers.ModelSerializer):
    organization = serializers.CharField(source="organization.slug", read_only=True)
    plan = serializers.CharField(source="plan.code", read_only=True)
    price = serializers.SerializerMethodField()
    scheduled_plan = serializers.CharField(source="scheduled_plan.code", read_only=True, allow_null=True)
    pending_plan = serializers.CharField(source="pending_plan.code", read_only=True, allow_null=True)
    pending_amount = serializers.SerializerMethodField()

    class Meta:
        model = Subscription
        fields = [
            "id", "organization", "plan", "price", "status", "started_at", "trial_ends_at", "current_period_start",
            "current_period_end", "cancel_at_period_end", "scheduled_plan", "pending_plan", "pending_amount",
            "canceled_at", "ended_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(serializers.DictField(child=serializers.CharField(), allow_null=True))
    def get_price(self, subscription: Subscription) -> dict | None:
        price = subscription.price
        if price is None:
            return None
        return {
            "currency": price.currency_id,
            "period": price.period,
            "amount": money(price.amount, price.currency.precision),
        }

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_pending_amount(self, subscription: Subscription) -> str | None:
        price = subscription.pending_price
        return money(subscription.pending_amount, price.currency.precision if price else 2)


class PlanChangeInputSerializer(serializers.Serializer):
    plan = serializers.SlugField(help_text=_("The code of the plan to move to."))


class PlanChangeSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["upgrade", "upgrade_pending", "downgrade"])
    amount_due = serializers.CharField(help_text=_("What is to be paid now for an upgrade (0 otherwise)."))
    subscription = SubscriptionSerializer()


class UsageLineSerializer(serializers.Serializer):
    resource = serializers.CharField()
    label = serializers.CharField()
    used = serializers.IntegerField()
    reserved = serializers.IntegerField()
    limit = serializers.IntegerField(allow_null=True, help_text=_("null: unlimited."))
    percent = serializers.DecimalField(max_digits=7, decimal_places=1, allow_null=True, coerce_to_string=True)
    per_period = serializers.BooleanField(help_text=_("Counted per calendar month (else what is in use now)."))


class UsageSerializer(serializers.Serializer):
    organization = serializers.CharField()
    plan = serializers.CharField(allow_null=True)
    usage = UsageLineSerializer(many=True)


PAYMENT_STATUSES = PaymentStatus.values
