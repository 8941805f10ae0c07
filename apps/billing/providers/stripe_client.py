"""Stripe through its SDK: a Checkout Session for the customer's redirect, its PaymentIntent to capture or
cancel, Refunds. Every writing call carries ``idempotency_key`` (Stripe's Idempotency-Key header).

Our payment's provider id is the Checkout Session's id (``cs_…``, known at once); its PaymentIntent (``pi_…``,
known once the customer pays) is the state's ``reference``: refunds and PaymentIntent events name it.

Subscriptions that Stripe renews itself: the first payment is a Checkout Session in ``subscription`` mode
(``PaymentRequest.recurring``); Stripe then invoices each period (and each prorated plan change) on its own, and
each paid invoice (``in_…``) is one of our payments. Since API version 2025-03-31 an invoice names its
PaymentIntent only through its invoice payments (``/v1/invoice_payments?invoice=…``), which is where refunds
and fees of such payments are looked up. Plan changes, cancellations and resumptions are made on Stripe's
subscription (:meth:`StripeProvider.subscription_update`), and come back as webhooks.
"""

from __future__ import annotations

from decimal import Decimal

import stripe

from . import http
from .base import (
    NotConfigured,
    PaymentRequest,
    PaymentState,
    ProviderError,
    RecurringPrice,
    RefundRequest,
    RefundState,
    from_minor,
    to_minor,
)

PROVIDER = "stripe"
_EXPAND = ["payment_intent.latest_charge.balance_transaction"]
_REFUND_STATUS = {
    "pending": "pending",
    "requires_action": "pending",
    "succeeded": "succeeded",
    "failed": "canceled",
    "canceled": "canceled",
}
_INTENT_STATUS = {"requires_capture": "waiting_for_capture", "succeeded": "succeeded", "canceled": "canceled"}
_INTERVAL = {"month": "month", "year": "year"}
# Proration of a plan change: an upgrade is invoiced (and charged) at once, a downgrade takes effect from the
# next invoice with no credit (https://docs.stripe.com/billing/subscriptions/prorations).
PRORATE_NOW = "always_invoice"
PRORATE_NONE = "none"


def _error(error: stripe.StripeError) -> ProviderError:
    temporary = isinstance(error, stripe.APIConnectionError | stripe.RateLimitError) or (
        isinstance(error, stripe.APIError) and not isinstance(error, stripe.InvalidRequestError)
    )
    if error.http_status is not None and error.http_status >= 500:
        temporary = True
    return ProviderError(
        f"Stripe: {error.user_message or error.code or type(error).__name__}",
        temporary=temporary,
        code=error.code or "",
        provider=PROVIDER,
    )


def _get(obj, name, default=None):
    try:
        return obj[name] if obj is not None else default
    except (KeyError, TypeError):
        return default


class StripeProvider:
    provider = PROVIDER

    def __init__(self, *, secret_key: str):
        if not secret_key:
            raise NotConfigured("Stripe: the gateway has no secret key (sk_…).", provider=PROVIDER)
        self._client = stripe.StripeClient(
            secret_key,
            http_client=stripe.RequestsClient(session=http.requests_session(), timeout=http.TIMEOUT_SECONDS),
            # Our own retries (tasks, the sweeper) repeat with the same key; the SDK's would hide the failure.
            max_network_retries=0,
        )

    # --- states ---------------------------------------------------------------------------------------

    def _intent_state(self, session, intent) -> PaymentState:
        if intent is None and _get(session, "mode") == "subscription" and _get(session, "invoice"):
            intent = self._invoice_intent(_id(_get(session, "invoice")))
        currency = str(_get(session, "currency") or _get(intent, "currency") or "").upper()
        amount = from_minor(_get(session, "amount_total") or _get(intent, "amount") or 0, currency)
        status, captured, fee = "pending", None, None
        if intent is not None and not isinstance(intent, str):
            status = _INTENT_STATUS.get(_get(intent, "status"), "pending")
            if status == "succeeded":
                captured = from_minor(_get(intent, "amount_received") or 0, currency)
            charge = _get(intent, "latest_charge")
            balance = _get(charge, "balance_transaction") if not isinstance(charge, str) else None
            if balance is not None and not isinstance(balance, str):
                fee = from_minor(_get(balance, "fee") or 0, str(_get(balance, "currency") or currency).upper())
        elif _get(session, "status") == "complete" and _get(session, "payment_status") == "paid":
            status, captured = "succeeded", amount
        if _get(session, "status") == "expired" and status == "pending":
            status = "canceled"
        metadata = _get(session, "metadata") or _get(intent, "metadata") or {}
        last_error = _get(intent, "last_payment_error")
        return PaymentState(
            provider_id=_get(session, "id") or "",
            reference=_get(intent, "id") if not isinstance(intent, str) else intent,
            status=status,
            amount=amount,
            currency=currency,
            captured_amount=captured,
            fee=fee,
            confirmation_url=_get(session, "url") or "",
            key=_get(metadata, "kontora_key") or _get(session, "client_reference_id") or "",
            failure_reason=str(_get(last_error, "message") or ""),
            raw=session.to_dict() if hasattr(session, "to_dict") else dict(session or {}),
        )

    def _session(self, session_id: str):
        try:
            return self._client.v1.checkout.sessions.retrieve(session_id, params={"expand": _EXPAND})
        except stripe.StripeError as error:
            raise _error(error) from error

    def _invoice_intent(self, invoice_id: str):
        """The PaymentIntent that paid an invoice (with its charge's balance transaction, for the fee), or None
        while the invoice has no payment."""
        try:
            payments = self._client.v1.invoice_payments.list(params={"invoice": invoice_id, "limit": 10})
            paid = [item for item in _get(payments, "data") or [] if _get(item, "status") == "paid"]
            intent_id = _id(_get(_get(paid[0], "payment"), "payment_intent")) if paid else ""
            if not intent_id:
                return None
            return self._client.v1.payment_intents.retrieve(
                intent_id, params={"expand": ["latest_charge.balance_transaction"]}
            )
        except stripe.StripeError as error:
            raise _error(error) from error

    def _invoice_state(self, invoice_id: str) -> PaymentState:
        try:
            invoice = self._client.v1.invoices.retrieve(invoice_id)
        except stripe.StripeError as error:
            raise _error(error) from error
        currency = str(_get(invoice, "currency") or "").upper()
        paid = _get(invoice, "status") == "paid"
        intent = self._invoice_intent(invoice_id) if paid else None
        state = self._intent_state({"id": invoice_id, "currency": currency}, intent) if intent is not None else None
        status = (
            "succeeded" if paid else ("canceled" if _get(invoice, "status") in ("void", "uncollectible") else "pending")
        )
        return PaymentState(
            provider_id=invoice_id,
            reference=state.reference if state else "",
            status=status,
            amount=from_minor(_get(invoice, "amount_paid") if paid else _get(invoice, "amount_due") or 0, currency),
            currency=currency,
            captured_amount=from_minor(_get(invoice, "amount_paid") or 0, currency) if paid else None,
            fee=state.fee if state else None,
            raw=invoice.to_dict() if hasattr(invoice, "to_dict") else dict(invoice),
        )

    def _intent_id(self, session) -> str:
        intent = _get(session, "payment_intent")
        intent_id = intent if isinstance(intent, str) else _get(intent, "id")
        if not intent_id and _get(session, "invoice"):
            intent_id = _id(self._invoice_intent(_id(_get(session, "invoice"))))
        if not intent_id:
            raise ProviderError(
                f"Stripe: checkout session {_get(session, 'id')} has no payment yet.",
                temporary=False,
                code="no_payment_intent",
                provider=PROVIDER,
            )
        return intent_id

    # --- the interface --------------------------------------------------------------------------------

    def create_payment(self, request: PaymentRequest) -> PaymentState:
        metadata = {**{k: str(v) for k, v in request.metadata.items()}, "kontora_key": request.key}
        price_data = {
            "currency": request.currency.lower(),
            "unit_amount": to_minor(request.amount, request.currency),
            "product_data": {"name": request.description or request.key},
        }
        params = {
            "mode": "payment",
            "line_items": [{"quantity": 1, "price_data": price_data}],
            "success_url": request.return_url,
            "cancel_url": request.return_url,
            "client_reference_id": request.key,
            "metadata": metadata,
        }
        if request.recurring:
            if request.two_stage or request.recurring not in _INTERVAL:
                raise ValueError(f"Stripe subscriptions are one-stage and monthly or yearly, not {request.recurring!r}")
            # Stripe makes the subscription and charges its first invoice; the subscription carries our key and
            # metadata, so that its invoices' events find our payment and our subscription.
            price_data["recurring"] = {"interval": _INTERVAL[request.recurring]}
            params.update(mode="subscription", subscription_data={"metadata": metadata})
        else:
            params["payment_intent_data"] = {
                "capture_method": "manual" if request.two_stage else "automatic",
                "metadata": {"kontora_key": request.key},
            }
        if request.customer_email:
            params["customer_email"] = request.customer_email
        try:
            session = self._client.v1.checkout.sessions.create(params=params, options={"idempotency_key": request.key})
        except stripe.StripeError as error:
            raise _error(error) from error
        return self._intent_state(session, _get(session, "payment_intent"))

    def fetch_payment(self, provider_payment_id: str) -> PaymentState:
        if provider_payment_id.startswith("in_"):
            return self._invoice_state(provider_payment_id)
        session = self._session(provider_payment_id)
        return self._intent_state(session, _get(session, "payment_intent"))

    def capture(self, *, provider_payment_id: str, amount: Decimal, currency: str, key: str) -> PaymentState:
        session = self._session(provider_payment_id)
        try:
            intent = self._client.v1.payment_intents.capture(
                self._intent_id(session),
                params={
                    "amount_to_capture": to_minor(amount, currency),
                    "expand": ["latest_charge.balance_transaction"],
                },
                options={"idempotency_key": key},
            )
        except stripe.StripeError as error:
            raise _error(error) from error
        return self._intent_state(session, intent)

    def cancel(self, *, provider_payment_id: str, key: str) -> PaymentState:
        session = self._session(provider_payment_id)
        try:
            if _get(session, "status") == "open":
                session = self._client.v1.checkout.sessions.expire(
                    provider_payment_id, options={"idempotency_key": key}
                )
                return self._intent_state(session, _get(session, "payment_intent"))
            intent = self._client.v1.payment_intents.cancel(self._intent_id(session), options={"idempotency_key": key})
        except stripe.StripeError as error:
            raise _error(error) from error
        return self._intent_state(session, intent)

    def _refund_state(self, refund) -> RefundState:
        currency = str(_get(refund, "currency") or "").upper()
        return RefundState(
            provider_id=_get(refund, "id"),
            provider_payment_id=_get(refund, "payment_intent") or "",
            status=_REFUND_STATUS.get(_get(refund, "status"), "pending"),
            amount=from_minor(_get(refund, "amount") or 0, currency),
            currency=currency,
            failure_reason=str(_get(refund, "failure_reason") or ""),
            raw=refund.to_dict() if hasattr(refund, "to_dict") else dict(refund),
        )

    def create_refund(self, request: RefundRequest) -> RefundState:
        intent_id = request.provider_payment_id
        if intent_id.startswith("in_"):
            intent_id = _id(self._invoice_intent(intent_id))
            if not intent_id:
                raise ProviderError(
                    f"Stripe: invoice {request.provider_payment_id} has no payment to refund.",
                    temporary=False,
                    code="no_payment_intent",
                    provider=PROVIDER,
                )
        elif not intent_id.startswith("pi_"):
            intent_id = self._intent_id(self._session(intent_id))
        params = {
            "payment_intent": intent_id,
            "amount": to_minor(request.amount, request.currency),
            "metadata": {"kontora_key": request.key},
        }
        try:
            refund = self._client.v1.refunds.create(params=params, options={"idempotency_key": request.key})
        except stripe.StripeError as error:
            raise _error(error) from error
        return self._refund_state(refund)

    def fetch_refund(self, provider_refund_id: str, *, provider_payment_id: str = "") -> RefundState:
        try:
            refund = self._client.v1.refunds.retrieve(provider_refund_id)
        except stripe.StripeError as error:
            raise _error(error) from error
        return self._refund_state(refund)

    # --- subscriptions Stripe renews ------------------------------------------------------------------

    def subscription_update(
        self,
        subscription_id: str,
        *,
        key: str,
        cancel_at_period_end: bool | None = None,
        price: RecurringPrice | None = None,
        proration: str = PRORATE_NONE,
    ) -> dict:
        """Change Stripe's subscription: schedule or withdraw its cancellation at the period end, or move it to
        a new price (``proration``: :data:`PRORATE_NOW` invoices the difference at once, :data:`PRORATE_NONE`
        charges the new price from the next period). ``key`` is the idempotency key of the writing calls."""
        params: dict = {}
        try:
            if cancel_at_period_end is not None:
                params["cancel_at_period_end"] = cancel_at_period_end
            if price is not None:
                current = self._client.v1.subscriptions.retrieve(subscription_id)
                items = _get(_get(current, "items"), "data") or []
                if len(items) != 1:
                    raise ProviderError(
                        f"Stripe: subscription {subscription_id} has {len(items)} items, not the one of a plan.",
                        temporary=False,
                        code="subscription_items",
                        provider=PROVIDER,
                    )
                new_price = self._client.v1.prices.create(
                    params={
                        "currency": price.currency.lower(),
                        "unit_amount": to_minor(price.amount, price.currency),
                        "recurring": {"interval": _INTERVAL[price.period]},
                        "product_data": {"name": price.name[:250]},
                    },
                    options={"idempotency_key": f"{key}:price"},
                )
                params["items"] = [{"id": _get(items[0], "id"), "price": _get(new_price, "id")}]
                params["proration_behavior"] = proration
                if proration == PRORATE_NOW:
                    # The upgrade applies only once its invoice is paid (limits follow verified payments):
                    # a declined charge leaves Stripe's subscription on the old price.
                    params["payment_behavior"] = "pending_if_incomplete"
            answer = self._client.v1.subscriptions.update(
                subscription_id, params=params, options={"idempotency_key": key}
            )
        except stripe.StripeError as error:
            raise _error(error) from error
        return answer.to_dict() if hasattr(answer, "to_dict") else dict(answer)

    def subscription_cancel_now(self, subscription_id: str, *, key: str) -> dict:
        """End Stripe's subscription at once (no more invoices)."""
        try:
            answer = self._client.v1.subscriptions.cancel(subscription_id, options={"idempotency_key": key})
        except stripe.StripeError as error:
            raise _error(error) from error
        return answer.to_dict() if hasattr(answer, "to_dict") else dict(answer)


def _id(value) -> str:
    """An object's id, whether Stripe sent the object (expanded) or only its id."""
    if value is None:
        return ""
    return value if isinstance(value, str) else str(_get(value, "id") or "")
