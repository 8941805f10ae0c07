"""Stripe's webhooks (https://docs.stripe.com/webhooks): verified by the ``Stripe-Signature`` header, handled
by event type.

Verification: the header is ``t=<unix time>,v1=<hex>[,v1=…]``; ``v1`` is HMAC-SHA256 of ``"<t>.<raw body>"``
with the endpoint's signing secret (``whsec_…``, the gateway's ``webhook_secret``), and ``t`` must be within
300 seconds of now (the SDK's ``WebhookSignature.verify_header`` checks both). The event id (``evt_…``) is
the inbox's event id: Stripe resends an event with the same id.

Payments (our payment's provider id is its Checkout Session ``cs_…``; its PaymentIntent ``pi_…`` is the
reference PaymentIntent and refund events name):

- ``checkout.session.completed`` / ``async_payment_succeeded`` / ``async_payment_failed`` / ``expired``;
- ``payment_intent.succeeded`` / ``payment_failed`` / ``canceled`` / ``amount_capturable_updated``.
  ``payment_failed`` is an attempt that failed: Checkout lets the customer try again in the same session, so
  it does not end our payment (the session's expiry does);
- the provider's fee comes from the charge's balance transaction: an event's objects are never expanded, so
  once a payment has succeeded without a known fee, the session is fetched (expanded) for it by a task queued
  when the handling commits (an HTTP call to Stripe never holds the delivery's lock or transaction open).

Refunds: ``refund.created`` / ``refund.updated`` / ``refund.failed`` / ``charge.refund.updated`` (a Refund
object) and ``charge.refunded`` (the refunds the charge lists), applied by refund id.

Subscriptions (Kontora's own plans, so only from the platform's gateway): ``invoice.paid`` books the money
(the first invoice settles the checkout's payment; each later one, a renewal or an upgrade's difference, is
recorded as a payment keyed by the invoice) and activates or renews (the invoice line's period) or pays a
pending upgrade; ``invoice.payment_failed`` is a failed renewal;
``customer.subscription.updated`` / ``deleted`` mirror a cancel, a resume, an end. Our subscription is found
by its ``provider_subscription_id`` (``sub_…``) or, before the first activation, by the ``kontora_subscription``
metadata the checkout put on Stripe's subscription.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import stripe
from django.utils.translation import gettext as _

from apps.core.mechanisms.idempotency import product_key
from apps.core.mechanisms.webhooks import Incoming, Verified, WebhookRejected

from ..models import GatewayMode, Payment, PaymentStatus, Subscription
from ..providers import PaymentState, RefundState
from ..providers.base import from_minor
from ..services.checkout import SUBSCRIPTION_METADATA, SUBSCRIPTION_PURPOSE, plan_line
from ..services.payments import payment_apply_state, payment_fee_fetch_later, payment_record_received
from ..services.refunds import refund_apply_state
from ..services.subscriptions import (
    subscription_activate,
    subscription_cancel,
    subscription_renewal_failed,
    subscription_resume,
    subscription_upgrade_paid,
)
from .common import delivery_gateway, delivery_json, gateway_of, json_body, logger, payment_named

PROVIDER = "stripe"
TOLERANCE_SECONDS = 300
SIGNATURE_HEADER = "Stripe-Signature"

_INTENT_STATUS = {
    "succeeded": PaymentStatus.SUCCEEDED,
    "requires_capture": PaymentStatus.WAITING_FOR_CAPTURE,
    "canceled": PaymentStatus.CANCELED,
}
_REFUND_STATUS = {"pending": "pending", "requires_action": "pending", "succeeded": "succeeded"}


# --- verification -----------------------------------------------------------------------------------------


def verify(incoming: Incoming) -> Verified:
    gateway = gateway_of(PROVIDER, incoming.endpoint)
    if not gateway.webhook_secret:
        raise WebhookRejected(_("The gateway has no webhook signing secret (whsec_…) to check the signature with."))
    header = incoming.header(SIGNATURE_HEADER)
    if not header:
        raise WebhookRejected(_("The Stripe-Signature header is missing."))
    try:
        stripe.WebhookSignature.verify_header(incoming.body, header, gateway.webhook_secret, TOLERANCE_SECONDS)
    except stripe.SignatureVerificationError as error:
        # The SDK says which: no signature matches, or the timestamp is outside the tolerance.
        raise WebhookRejected(_("The Stripe signature does not verify: {reason}").format(reason=error)) from None
    event = json_body(incoming.body)
    event_id, event_type = str(event.get("id") or ""), str(event.get("type") or "")
    if event.get("object") != "event" or not event_id.startswith("evt_") or not event_type:
        raise WebhookRejected(_("The body is not a Stripe event."))
    if bool(event.get("livemode")) != (gateway.mode == GatewayMode.LIVE):
        raise WebhookRejected(_("A live event reached a test gateway, or a test event a live one."))
    return Verified(
        event_id=event_id, event_type=event_type, organization=gateway.organization_id, payload={"gateway": gateway.pk}
    )


# --- handling ---------------------------------------------------------------------------------------------


def handle(delivery) -> None:
    gateway = delivery_gateway(delivery)
    event = delivery_json(delivery)
    handler = _HANDLERS.get(event["type"])
    if handler is None:
        return  # an event we do not act on: recorded, processed, nothing changed
    # A refusal by a service's rule fails the delivery, as YooKassa's and T-Bank's do: it is retried with the
    # inbox's backoff (a refusal that came of a race then succeeds) and, if it never does, stays failed with
    # its reason in the admin for a person to look at, rather than passing for processed with nothing applied.
    handler(gateway, event, event["data"]["object"])


def _get(data, *path, default=None):
    for name in path:
        if not isinstance(data, dict):
            return default
        data = data.get(name)
    return default if data is None else data


def _id(value) -> str:
    return value if isinstance(value, str) else str(_get(value, "id", default=""))


def _apply(payment: Payment | None, state: PaymentState) -> None:
    if payment is None:
        return
    payment_apply_state(payment=payment, state=state)
    payment_fee_fetch_later(payment=payment)


def _session(gateway, event, session) -> None:
    if session.get("mode") != "payment":
        return  # subscription mode: the subscription's invoice events carry the payment
    payment = payment_named(
        gateway, provider_id=session["id"], key=_get(session, "metadata", "kontora_key", default="")
    )
    if payment is None:
        return
    currency = str(session["currency"]).upper()
    amount = from_minor(session["amount_total"], currency)
    status, captured = PaymentStatus.PENDING, None
    if session.get("status") == "complete" and session.get("payment_status") in ("paid", "no_payment_required"):
        status, captured = PaymentStatus.SUCCEEDED, amount
    elif session.get("status") == "expired":
        status = PaymentStatus.CANCELED
    if event["type"] == "checkout.session.async_payment_failed":
        status = PaymentStatus.FAILED
    _apply(
        payment,
        PaymentState(
            provider_id=session["id"],
            reference=_id(session.get("payment_intent")) or "",
            status=status,
            amount=amount,
            currency=currency,
            captured_amount=captured,
            raw=session,
        ),
    )


def _intent(gateway, event, intent) -> None:
    payment = payment_named(gateway, provider_id=intent["id"], key=_get(intent, "metadata", "kontora_key", default=""))
    if payment is None or not payment.provider_payment_id:
        return
    currency = str(intent["currency"]).upper()
    status = _INTENT_STATUS.get(intent.get("status"), PaymentStatus.PENDING)
    captured = from_minor(intent.get("amount_received") or 0, currency) if status == PaymentStatus.SUCCEEDED else None
    balance = _get(intent, "latest_charge", "balance_transaction")
    fee = (
        from_minor(balance["fee"], str(balance.get("currency") or currency).upper())
        if isinstance(balance, dict)
        else None
    )
    _apply(
        payment,
        PaymentState(
            provider_id=payment.provider_payment_id,
            reference=intent["id"],
            status=status,
            amount=from_minor(intent["amount"], currency),
            currency=currency,
            captured_amount=captured,
            fee=fee,
            failure_reason=str(_get(intent, "last_payment_error", "message", default="")),
            raw=intent,
        ),
    )


def refund_state(refund: dict) -> RefundState:
    currency = str(refund["currency"]).upper()
    return RefundState(
        provider_id=refund["id"],
        provider_payment_id=_id(refund.get("payment_intent")),
        status=_REFUND_STATUS.get(refund.get("status"), "canceled"),  # failed, canceled
        amount=from_minor(refund["amount"], currency),
        currency=currency,
        failure_reason=str(refund.get("failure_reason") or ""),
        raw=refund,
    )


def _refund(gateway, event, refund) -> None:
    if not _id(refund.get("payment_intent")):
        return  # a refund of a charge made without a PaymentIntent: not one of ours
    refund_apply_state(gateway=gateway, state=refund_state(refund))


def _charge_refunded(gateway, event, charge) -> None:
    # The charge lists its refunds only in older API versions; newer ones send refund.* events as well.
    for refund in _get(charge, "refunds", "data", default=[]):
        _refund(gateway, event, {"payment_intent": charge.get("payment_intent"), **refund})


# --- subscriptions ----------------------------------------------------------------------------------------


def _subscription_details(invoice: dict) -> dict:
    # API versions before 2025-03-31 put them on the invoice, later ones under parent.subscription_details.
    details = _get(invoice, "parent", "subscription_details", default=None)
    if details is not None:
        return details
    return {"subscription": invoice.get("subscription"), "metadata": _get(invoice, "subscription_details", "metadata")}


def _our_subscription(gateway, stripe_id: str, metadata: dict | None) -> Subscription | None:
    if not gateway.is_platform:
        # Plans are paid to the platform: an organization's own Stripe account cannot change anyone's plan.
        logger.warning("billing webhooks: subscription event on gateway %s, which is not the platform's", gateway.pk)
        return None
    subscription = Subscription.objects.filter(provider_subscription_id=stripe_id).first() if stripe_id else None
    ours = str((metadata or {}).get(SUBSCRIPTION_METADATA) or "")
    if subscription is None and ours.isdigit():
        subscription = Subscription.objects.filter(pk=int(ours), provider_subscription_id__in=("", stripe_id)).first()
    if subscription is None:
        logger.info("billing webhooks: Stripe subscription %s is none of ours", stripe_id)
    return subscription


def _moment(value) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(value), tz=dt.UTC)


def _invoice_money(gateway, invoice, subscription: Subscription, metadata: dict) -> None:
    """Book what a paid invoice of Stripe's subscription took. The first invoice (``subscription_create``) is
    the payment our checkout started (found by the ``kontora_key`` Stripe's subscription carries): its state
    is applied. Every later one (a period's renewal, an upgrade's prorated difference) is a payment Stripe took
    on its own: recorded once, keyed by the invoice."""
    currency = str(invoice.get("currency") or "").upper()
    paid = from_minor(invoice.get("amount_paid") or 0, currency)
    if paid <= 0:
        return  # a trial's or a fully credited invoice: no money moved
    state = PaymentState(
        provider_id=invoice["id"], status=PaymentStatus.SUCCEEDED, amount=paid, currency=currency, captured_amount=paid
    )
    first = payment_named(gateway, key=str(metadata.get("kontora_key") or "")) if metadata else None
    if invoice.get("billing_reason") == "subscription_create" and first is not None:
        if first.status == PaymentStatus.SUCCEEDED:
            return
        # The checkout's payment is named by its session (cs_…); the invoice's amount settles it.
        _apply(first, replace(state, provider_id=first.provider_payment_id))
        return
    price = subscription.price
    payment = payment_record_received(
        gateway=gateway,
        state=state,
        purpose=(SUBSCRIPTION_PURPOSE, subscription.pk),
        description=plan_line(subscription.plan, price.period if price else "month"),
        idempotency_key=product_key("billing-stripe-invoice", invoice["id"]),
    )
    payment_fee_fetch_later(payment=payment)


def _invoice_paid(gateway, event, invoice) -> None:
    details = _subscription_details(invoice)
    stripe_id = _id(details.get("subscription"))
    subscription = _our_subscription(gateway, stripe_id, details.get("metadata"))
    if subscription is None:
        return
    # The money first: it was taken whatever becomes of the subscription (an ended one is the operator's to
    # refund; the sweeper flags payments whose purpose is gone).
    _invoice_money(gateway, invoice, subscription, details.get("metadata") or {})
    key = f"stripe:{invoice['id']}:paid"
    if invoice.get("billing_reason") == "subscription_update" and subscription.pending_plan_id:
        subscription_upgrade_paid(subscription=subscription, event_key=key)
        return
    periods = [line["period"] for line in _get(invoice, "lines", "data", default=[]) if line.get("period")]
    if not periods:
        logger.warning("billing webhooks: Stripe invoice %s has no period to activate", invoice["id"])
        return
    subscription_activate(
        subscription=subscription,
        period_start=_moment(min(period["start"] for period in periods)),
        period_end=_moment(max(period["end"] for period in periods)),
        provider=PROVIDER,
        provider_subscription_id=stripe_id,
        payment_method=_id(invoice.get("default_payment_method")) if invoice.get("default_payment_method") else "",
        event_key=key,
    )


def _invoice_failed(gateway, event, invoice) -> None:
    details = _subscription_details(invoice)
    subscription = _our_subscription(gateway, _id(details.get("subscription")), details.get("metadata"))
    if subscription is None:
        return
    # Each of Stripe's attempts at the invoice is one failed renewal, counted once.
    key = f"stripe:{invoice['id']}:failed:{invoice.get('attempt_count') or 0}"
    subscription_renewal_failed(subscription=subscription, event_key=key)


def _subscription_updated(gateway, event, data) -> None:
    subscription = _our_subscription(gateway, data["id"], data.get("metadata"))
    if subscription is None:
        return
    ended = event["type"] == "customer.subscription.deleted" or data.get("status") in ("canceled", "incomplete_expired")
    if ended:
        subscription_cancel(subscription=subscription, at_period_end=False, mirror=True)
    elif data.get("cancel_at_period_end") and not subscription.cancel_at_period_end:
        subscription_cancel(subscription=subscription, at_period_end=True, mirror=True)
    elif not data.get("cancel_at_period_end") and subscription.cancel_at_period_end and subscription.is_current:
        subscription_resume(subscription=subscription, mirror=True)


_HANDLERS = {
    "checkout.session.completed": _session,
    "checkout.session.async_payment_succeeded": _session,
    "checkout.session.async_payment_failed": _session,
    "checkout.session.expired": _session,
    "payment_intent.succeeded": _intent,
    "payment_intent.payment_failed": _intent,
    "payment_intent.canceled": _intent,
    "payment_intent.amount_capturable_updated": _intent,
    "refund.created": _refund,
    "refund.updated": _refund,
    "refund.failed": _refund,
    "charge.refund.updated": _refund,
    "charge.refunded": _charge_refunded,
    "invoice.paid": _invoice_paid,
    "invoice.payment_failed": _invoice_failed,
    "customer.subscription.updated": _subscription_updated,
    "customer.subscription.deleted": _subscription_updated,
}
