"""What the payment tests share: a payment started through the service, and the webhooks received so far
handled as the worker handles them."""

from __future__ import annotations

from apps.billing.models import Payment
from apps.billing.services.payments import payment_start
from apps.core.mechanisms.webhooks import webhook_delivery_process
from apps.core.models import WebhookDelivery

RETURN_URL = "https://shop.example.com/paid"


def started(
    gateway,
    *,
    key: str = "order-1",
    amount: str = "100.00",
    currency: str = "RUB",
    purpose=None,
    description: str = "Order 1",
    **extra,
) -> Payment:
    """A payment of ``amount`` started at ``gateway`` under the client's key ``key`` (pending at the provider
    stub until a test pays it)."""
    return payment_start(
        gateway=gateway,
        amount=amount,
        currency=currency,
        purpose=purpose,
        description=description,
        idempotency_key=key,
        return_url=RETURN_URL,
        **extra,
    )


def process_all() -> None:
    """Handle every verified webhook delivery, oldest first, as the worker's task would."""
    verified = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.VERIFIED).order_by("pk")
    for pk in verified.values_list("pk", flat=True):
        webhook_delivery_process(delivery_id=pk)
