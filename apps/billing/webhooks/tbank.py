"""T-Bank's notifications (https://developer.tbank.ru/eacq/intro/developer/notification): a JSON POST to the
terminal's NotificationURL with ``TerminalKey``, ``OrderId``, ``Success``, ``Status``, ``PaymentId``,
``ErrorCode``, ``Amount`` (kopecks), card fields and ``Token``.

Verified by ``Token``: SHA-256 of the root scalar values (nested objects such as ``DATA`` and ``Receipt`` left
out, ``Token`` itself too) with ``Password`` added, sorted by name and concatenated, the same signature as a
request's (:func:`apps.billing.providers.tbank.token`); ``TerminalKey`` must be the gateway's own. T-Bank
wants the body ``OK`` with status 200 for a notification it may stop sending, so :func:`tbank_webhook_view`
answers that for a verified or duplicate one (a rejected one gets 400, and T-Bank keeps trying).

Event id: ``<PaymentId>:<Status>``: a payment reaches each status once, and a notification sent again is a
duplicate. Refund statuses (``PARTIAL_REFUNDED`` can be reached more than once) add the ``Amount`` T-Bank
reports with them. A refund notification names no refund of ours (T-Bank keeps no refund objects), so the
payment's pending refunds are re-fetched (``refund_sync``) and applied as T-Bank reports them.
"""

from __future__ import annotations

import hmac

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from apps.core.mechanisms.webhooks import Incoming, Verified, WebhookRejected, webhook_receive

from ..models import Refund, RefundStatus
from ..providers.tbank import REFUND_STATUSES, payment_state, token
from ..services.payments import payment_apply_state
from ..services.refunds import refund_sync
from .common import delivery_gateway, delivery_json, gateway_of, json_body, payment_named

PROVIDER = "tbank"
SOURCE = "billing.tbank"


def verify(incoming: Incoming) -> Verified:
    gateway = gateway_of(PROVIDER, incoming.endpoint)
    data = json_body(incoming.body)
    credentials = gateway.credentials or {}
    terminal, password = credentials.get("terminal_key", ""), credentials.get("password", "")
    if not (terminal and password):
        raise WebhookRejected(_("The gateway has no terminal key and password to check the token with."))
    if str(data.get("TerminalKey", "")) != terminal:
        raise WebhookRejected(_("The notification is for another terminal."))
    if not hmac.compare_digest(str(data.get("Token", "")), token(data, password)):
        raise WebhookRejected(_("The T-Bank token does not match."))
    payment_id, status = str(data.get("PaymentId") or ""), str(data.get("Status") or "")
    if not payment_id or not status:
        raise WebhookRejected(_("The notification names no payment or status."))
    event_id = f"{payment_id}:{status}"
    if status in REFUND_STATUSES:
        event_id += f":{data.get('Amount', '')}"
    return Verified(
        event_id=event_id, event_type=status, organization=gateway.organization_id, payload={"gateway": gateway.pk}
    )


def handle(delivery) -> None:
    gateway = delivery_gateway(delivery)
    data = delivery_json(delivery)
    state = payment_state(data)
    payment = payment_named(gateway, provider_id=state.provider_id, key=state.key)
    if payment is None:
        return
    payment_apply_state(payment=payment, state=state)
    if data.get("Status") in REFUND_STATUSES:
        pending = Refund.objects.filter(payment=payment, status=RefundStatus.PENDING).exclude(provider_refund_id="")
        for refund in pending.order_by("pk"):
            refund_sync(refund=refund)


@csrf_exempt
@require_POST
@transaction.non_atomic_requests
def tbank_webhook_view(request: HttpRequest, endpoint: str) -> HttpResponse:
    """The inbox's intake, answering ``OK`` (T-Bank's required answer) where the inbox answers 200."""
    response = webhook_receive(request, source=SOURCE, endpoint=endpoint)
    if response.status_code == 200:
        return HttpResponse("OK", content_type="text/plain")
    return response
