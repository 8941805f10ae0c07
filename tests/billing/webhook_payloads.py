"""Webhook deliveries as the providers send them, built from the objects the provider stubs
(tests/billing/provider_stubs.py) hold, so that a delivery and what the API answers describe the same object.

- Stripe: an Event (https://docs.stripe.com/api/events/object) ``{"id": "evt_…", "object": "event",
  "api_version", "created", "data": {"object": …}, "livemode", "pending_webhooks", "request", "type"}``
  whose objects are never expanded (``payment_intent`` and ``balance_transaction`` are ids), signed in the
  ``Stripe-Signature`` header as ``t=<unix>,v1=<HMAC-SHA256 of "t.body">``
  (https://docs.stripe.com/webhooks#verify-manually).
- YooKassa: ``{"type": "notification", "event": "payment.succeeded", "object": {…the payment…}}``
  (https://yookassa.ru/developers/using-api/webhooks).
- T-Bank: the notification's root fields (TerminalKey, OrderId, Success, Status, PaymentId, ErrorCode, Amount,
  CardId, Pan, ExpDate) and its Token (https://developer.tbank.ru/eacq/intro/developer/notification).
"""

from __future__ import annotations

import itertools
import json
import time

import stripe

from apps.billing.providers import tbank as tbank_module
from tests.billing.provider_stubs import TBANK_PASSWORD, TBANK_TERMINAL

STRIPE_SECRET = "whsec_Kontora0test0signing0secret0000000000"
STRIPE_API_VERSION = "2025-03-31.basil"
YOOKASSA_ADDRESS = "185.71.76.17"  # inside 185.71.76.0/27

_events = itertools.count(1)


# --- Stripe ------------------------------------------------------------------------------------------------


def stripe_event(event_type: str, obj: dict, *, event_id: str | None = None, livemode: bool = False) -> bytes:
    event = {
        "id": event_id or f"evt_1Q{next(_events):08d}KontoraTest",
        "object": "event",
        "api_version": STRIPE_API_VERSION,
        "created": int(time.time()),
        "data": {"object": obj},
        "livemode": livemode,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }
    return json.dumps(event).encode()


def stripe_signature(body: bytes, *, secret: str = STRIPE_SECRET, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    signature = stripe.WebhookSignature._compute_signature(f"{timestamp}.{body.decode()}", secret)
    return f"t={timestamp},v1={signature}"


def stripe_session(stub, session_id: str) -> dict:
    """The Checkout Session as an event carries it (``payment_intent`` an id)."""
    return stub._session_view(stub.sessions[session_id], False)


def stripe_intent(stub, intent_id: str, **changes) -> dict:
    """The PaymentIntent as an event carries it (``latest_charge`` an id, nothing expanded)."""
    intent = {**stub.intents[intent_id], **changes}
    intent["latest_charge"] = intent["latest_charge"]["id"]
    return intent


def stripe_refund(intent_id: str, amount: int, *, refund_id: str, currency: str = "usd", status="succeeded") -> dict:
    return {
        "id": refund_id,
        "object": "refund",
        "amount": amount,
        "balance_transaction": "txn_3QRefund0000001",
        "charge": "ch_3QRefundCharge01",
        "created": int(time.time()),
        "currency": currency,
        "metadata": {},
        "payment_intent": intent_id,
        "reason": "requested_by_customer",
        "status": status,
    }


def stripe_invoice(
    *, invoice_id: str, subscription_id: str, metadata: dict, start: int, end: int, amount: int = 3900
) -> dict:
    """A subscription's invoice as API version 2025-03-31 shapes it (the subscription under
    ``parent.subscription_details``, the period on the line)."""
    return {
        "id": invoice_id,
        "object": "invoice",
        "amount_due": amount,
        "amount_paid": amount,
        "attempt_count": 1,
        "billing_reason": "subscription_cycle",
        "currency": "usd",
        "customer": "cus_QKontoraTest01",
        "livemode": False,
        "parent": {
            "quote_details": None,
            "subscription_details": {"metadata": metadata, "subscription": subscription_id},
            "type": "subscription_details",
        },
        "lines": {
            "object": "list",
            "data": [
                {
                    "id": "il_1QKontoraLine01",
                    "object": "line_item",
                    "amount": amount,
                    "currency": "usd",
                    "period": {"start": start, "end": end},
                }
            ],
            "has_more": False,
        },
        "period_start": start,
        "period_end": start,
        "status": "paid",
    }


# --- YooKassa ----------------------------------------------------------------------------------------------


def yookassa_notification(event: str, obj: dict) -> bytes:
    return json.dumps({"type": "notification", "event": event, "object": obj}).encode()


# --- T-Bank ------------------------------------------------------------------------------------------------


def tbank_notification(order: dict, *, status: str | None = None, amount: int | None = None, password=TBANK_PASSWORD):
    data = {
        "TerminalKey": TBANK_TERMINAL,
        "OrderId": order["OrderId"],
        "Success": True,
        "Status": status or order["Status"],
        "PaymentId": int(order["PaymentId"]),
        "ErrorCode": "0",
        "Amount": order["Amount"] if amount is None else amount,
        "CardId": 322264,
        "Pan": "430000******0777",
        "ExpDate": "1230",
    }
    data["Token"] = tbank_module.token(data, password)
    return json.dumps(data).encode()
