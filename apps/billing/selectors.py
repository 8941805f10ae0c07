"""Reads and reports: querysets scoped with apps.core.accounts.tenancy.scope, with the joins their callers need."""

# --- payments (gateways, payments, refunds) ------------------------------------------------------------

from decimal import Decimal

from django.db.models import Q, QuerySet, Sum

from apps.core.accounts.tenancy import scope

from .models import GatewayAccount, Payment, Refund, RefundStatus


def gateway_get_by_endpoint(*, provider: str, endpoint: str) -> GatewayAccount | None:
    """The active gateway a webhook addressed ``/billing/webhooks/<provider>/<endpoint>/`` belongs to, or None.
    Not scoped: a provider's delivery has no user; the random endpoint is what identifies the gateway."""
    return (
        GatewayAccount.objects.select_related("organization")
        .filter(provider=provider, endpoint=endpoint, is_active=True)
        .first()
    )


def gateway_list(*, user) -> QuerySet[GatewayAccount]:
    return scope(GatewayAccount.objects.select_related("organization"), user)


def payment_list(*, user) -> QuerySet[Payment]:
    return scope(Payment.objects.select_related("gateway", "currency", "organization"), user)


def payment_get_by_provider_id(*, gateway: GatewayAccount, provider_payment_id: str) -> Payment | None:
    """The payment the provider names ``provider_payment_id`` (its id, or Stripe's PaymentIntent id)."""
    return (
        Payment.objects.select_related("gateway", "currency")
        .filter(gateway=gateway)
        .filter(Q(provider_payment_id=provider_payment_id) | Q(metadata__provider_reference=provider_payment_id))
        .first()
    )


def payment_get_by_provider_key(*, gateway: GatewayAccount, provider_key: str) -> Payment | None:
    """The payment whose key the provider echoes (T-Bank's OrderId, the ``kontora_key`` metadata)."""
    return (
        Payment.objects.select_related("gateway", "currency").filter(gateway=gateway, provider_key=provider_key).first()
    )


def payments_for_purpose(*, purpose_type: str, purpose_id) -> QuerySet[Payment]:
    return Payment.objects.filter(purpose_type=purpose_type, purpose_id=str(purpose_id)).order_by("created_at")


def payments_unsettled(*, older_than) -> QuerySet[Payment]:
    """Payments still pending or held, started before ``older_than``: what the sweeper re-fetches."""
    return Payment.objects.select_related("gateway").filter(
        status__in=("pending", "waiting_for_capture"), created_at__lt=older_than
    )


def refund_list(*, user) -> QuerySet[Refund]:
    return scope(Refund.objects.select_related("payment", "payment__gateway"), user)


def payment_refunded_amount(*, payment: Payment) -> Decimal:
    """Refunded or being refunded (pending and succeeded refunds)."""
    total = Refund.objects.filter(
        payment_id=payment.pk, status__in=(RefundStatus.PENDING, RefundStatus.SUCCEEDED)
    ).aggregate(total=Sum("amount"))["total"]
    return total or Decimal(0)


def payment_is_fully_refunded(*, payment: Payment) -> bool:
    succeeded = Refund.objects.filter(payment_id=payment.pk, status=RefundStatus.SUCCEEDED).aggregate(
        total=Sum("amount")
    )["total"]
    return payment.captured_amount > 0 and (succeeded or 0) == payment.captured_amount
