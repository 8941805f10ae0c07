"""Stripe through its SDK: a Checkout Session for the customer's redirect, its PaymentIntent to capture or
cancel, Refunds. Every writing call carries ``idempotency_key`` (Stripe's Idempotency-Key header).

Our payment's provider id is the Checkout Session's id (``cs_…``, known at once); its PaymentIntent (``pi_…``,
known once the customer pays) is the state's ``reference``: refunds and PaymentIntent events name it.
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

    def _intent_id(self, session) -> str:
        intent = _get(session, "payment_intent")
        intent_id = intent if isinstance(intent, str) else _get(intent, "id")
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
        params = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": request.currency.lower(),
                        "unit_amount": to_minor(request.amount, request.currency),
                        "product_data": {"name": request.description or request.key},
                    },
                }
            ],
            "success_url": request.return_url,
            "cancel_url": request.return_url,
            "client_reference_id": request.key,
            "metadata": {**{k: str(v) for k, v in request.metadata.items()}, "kontora_key": request.key},
            "payment_intent_data": {
                "capture_method": "manual" if request.two_stage else "automatic",
                "metadata": {"kontora_key": request.key},
            },
        }
        if request.customer_email:
            params["customer_email"] = request.customer_email
        try:
            session = self._client.v1.checkout.sessions.create(params=params, options={"idempotency_key": request.key})
        except stripe.StripeError as error:
            raise _error(error) from error
        return self._intent_state(session, _get(session, "payment_intent"))

    def fetch_payment(self, provider_payment_id: str) -> PaymentState:
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
        if not intent_id.startswith("pi_"):
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
