"""What the three providers' verifiers and handlers share: the gateway a delivery is addressed to, its body
as JSON, and the payment a provider's ids name."""

from __future__ import annotations

import json
import logging

from django.utils.translation import gettext as _

from apps.core.mechanisms.webhooks import WebhookRejected

from ..models import GatewayAccount, Payment
from ..selectors import gateway_get_by_endpoint, payment_get_by_provider_id, payment_get_by_provider_key

logger = logging.getLogger("apps.billing.webhooks")


def gateway_of(provider: str, endpoint: str) -> GatewayAccount:
    """The active gateway of ``provider`` whose webhook address ends in ``endpoint``; rejected otherwise."""
    gateway = gateway_get_by_endpoint(provider=provider, endpoint=endpoint) if endpoint else None
    if gateway is None:
        raise WebhookRejected(_("No active {provider} gateway has this webhook address.").format(provider=provider))
    return gateway


def json_body(body: bytes) -> dict:
    """The body as a JSON object; rejected when it is not one."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise WebhookRejected(_("The body is not JSON.")) from None
    if not isinstance(data, dict):
        raise WebhookRejected(_("The body is not a JSON object."))
    return data


def delivery_gateway(delivery) -> GatewayAccount:
    """The gateway the verifier found for a delivery (its id is in the verified payload)."""
    return GatewayAccount.objects.select_related("organization").get(pk=delivery.payload["gateway"])


def delivery_json(delivery) -> dict:
    """The delivery's body, already verified, as JSON."""
    return json.loads(bytes(delivery.body))


def payment_named(gateway: GatewayAccount, *, provider_id: str = "", key: str = "") -> Payment | None:
    """Our payment that the provider names by its id (or Stripe's PaymentIntent id), or by the key we sent it
    (``kontora_key`` metadata, T-Bank's OrderId). None for a payment that is not ours (the shop's other
    sales): such an event is recorded and changes nothing."""
    payment = payment_get_by_provider_id(gateway=gateway, provider_payment_id=provider_id) if provider_id else None
    if payment is None and key:
        payment = payment_get_by_provider_key(gateway=gateway, provider_key=key)
    if payment is None:
        logger.info("billing webhooks: %s names no payment of gateway %s (%s)", provider_id, gateway.pk, key)
    return payment
