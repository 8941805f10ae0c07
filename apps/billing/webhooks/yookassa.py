"""YooKassa's notifications (https://yookassa.ru/developers/using-api/webhooks): ``{"type": "notification",
"event": "payment.succeeded", "object": {…the payment or refund…}}``.

YooKassa signs nothing, so a notification is believed in two ways:

1. its sender's address (the client address as the inbox reads it, through ``KONTORA_TRUSTED_PROXIES``) is
   in the ranges YooKassa publishes for its notifications (:data:`YOOKASSA_NETWORKS`);
2. the object is fetched again from YooKassa's API with the gateway's credentials, and **what the API says is
   what is applied**: a notification that contradicts the API (a forged or a stale one) is applied as the API
   says. An object the API does not know is rejected; an API that cannot be reached makes the delivery fail
   with 503, so YooKassa sends it again.

Event id: YooKassa's notifications carry no id of their own. An event is one status an object reached, so
its id is ``<object id>:<event>`` (``2d9a…:payment.succeeded``; the event's name holds the status): the same
notification sent again is a duplicate, and each status of one payment is an event of its own.
"""

from __future__ import annotations

import ipaddress

from django.utils.translation import gettext as _

from apps.core.mechanisms.webhooks import Incoming, Verified, WebhookRejected

from ..providers import ProviderError, client_for
from ..providers.yookassa_client import payment_state, refund_state
from ..services.payments import payment_apply_state
from ..services.refunds import refund_apply_state
from .common import delivery_gateway, gateway_of, json_body, payment_named

PROVIDER = "yookassa"

# https://yookassa.ru/developers/using-api/webhooks#ip: the addresses YooKassa sends notifications from.
YOOKASSA_NETWORKS = tuple(
    ipaddress.ip_network(network)
    for network in (
        "185.71.76.0/27",
        "185.71.77.0/27",
        "77.75.153.0/25",
        "77.75.156.11/32",
        "77.75.156.35/32",
        "77.75.154.128/25",
        "2a02:5180::/32",
    )
)


def sender_is_yookassa(address: str | None) -> bool:
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return False
    return any(ip in network for network in YOOKASSA_NETWORKS)


def verify(incoming: Incoming) -> Verified:
    if not sender_is_yookassa(incoming.remote_address):
        raise WebhookRejected(
            _("The notification came from {address}, which is not one of YooKassa's addresses.").format(
                address=incoming.remote_address or "?"
            )
        )
    gateway = gateway_of(PROVIDER, incoming.endpoint)
    data = json_body(incoming.body)
    event, obj = data.get("event"), data.get("object")
    if (
        data.get("type") != "notification"
        or not isinstance(event, str)
        or not isinstance(obj, dict)
        or not obj.get("id")
    ):
        raise WebhookRejected(_("The body is not a YooKassa notification."))
    object_id = str(obj["id"])
    kind = event.split(".", 1)[0]
    fetched = None
    if kind in ("payment", "refund"):
        client = client_for(gateway)
        try:
            state = client.fetch_payment(object_id) if kind == "payment" else client.fetch_refund(object_id)
        except ProviderError as error:
            if error.temporary:
                raise  # the inbox answers 503 and YooKassa sends it again
            raise WebhookRejected(
                _("YooKassa's API does not confirm {kind} {id}: {reason}").format(kind=kind, id=object_id, reason=error)
            ) from None
        fetched = state.raw
    return Verified(
        event_id=f"{object_id}:{event}",
        event_type=event,
        organization=gateway.organization_id,
        payload={"gateway": gateway.pk, "kind": kind, "object": fetched},
    )


def handle(delivery) -> None:
    gateway = delivery_gateway(delivery)
    kind, fetched = delivery.payload.get("kind"), delivery.payload.get("object")
    if not fetched:
        return  # an event we do not act on (payment_method.*, payout.*, deal.*)
    if kind == "refund":
        refund_apply_state(gateway=gateway, state=refund_state(fetched))
        return
    state = payment_state(fetched)
    payment = payment_named(gateway, provider_id=state.provider_id, key=state.key)
    if payment is not None:
        payment_apply_state(payment=payment, state=state)
