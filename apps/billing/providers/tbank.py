"""T-Bank (Tinkoff) internet acquiring over its HTTP API (no maintained SDK): Init, Charge, Confirm, Cancel,
GetState at https://securepay.tinkoff.ru/v2/. Amounts are kopecks; our provider key is the OrderId, which T-Bank keeps
unique per terminal, so a repeated Init reaches the same order.

Every request is signed with ``Token``: the values of the request's root scalar parameters (nested objects
such as Receipt and DATA left out) plus ``Password``, sorted by parameter name, concatenated and hashed with
SHA-256 (https://developer.tbank.ru/eacq/intro/developer/token). A refund is a Cancel of a confirmed payment
with an Amount; ``ExternalRequestId`` (our refund's provider key) makes it repeatable.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

import httpx

from . import http
from .base import NotConfigured, PaymentRequest, PaymentState, ProviderError, RefundRequest, RefundState
from .receipts import tbank_receipt

PROVIDER = "tbank"
API_URL = "https://securepay.tinkoff.ru/v2/"

# T-Bank's payment statuses → ours. Everything not listed (NEW, FORM_SHOWED, AUTHORIZING, 3DS_CHECKING…)
# is still pending.
_PAYMENT_STATUS = {
    "AUTHORIZED": "waiting_for_capture",
    "CONFIRMING": "waiting_for_capture",
    "CONFIRMED": "succeeded",
    # A refunded payment was taken first; its refunds are Refund rows.
    "REFUNDING": "succeeded",
    "PARTIAL_REFUNDED": "succeeded",
    "REFUNDED": "succeeded",
    "PARTIAL_REVERSED": "waiting_for_capture",
    "REVERSING": "waiting_for_capture",
    "REVERSED": "canceled",
    "CANCELED": "canceled",
    "DEADLINE_EXPIRED": "canceled",
    "REJECTED": "failed",
    "AUTH_FAIL": "failed",
}
_REFUND_STATUS = {"REFUNDING": "pending", "PARTIAL_REFUNDED": "succeeded", "REFUNDED": "succeeded"}


def token(params: dict, password: str) -> str:
    """The request's signature: root scalars only, plus Password, sorted by key, values concatenated, SHA-256."""
    pairs = {key: value for key, value in params.items() if key != "Token" and not isinstance(value, dict | list)}
    pairs["Password"] = password
    text = "".join(_scalar(pairs[key]) for key in sorted(pairs))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _scalar(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _kopecks(amount: Decimal) -> int:
    value = amount * 100
    if value != value.to_integral_value():
        raise ValueError(f"{amount} is not a whole number of kopecks")
    return int(value)


def _rubles(kopecks) -> Decimal:
    return Decimal(int(kopecks)).scaleb(-2)


class TBankProvider:
    provider = PROVIDER

    def __init__(self, *, terminal_key: str, password: str):
        if not (terminal_key and password):
            raise NotConfigured("T-Bank: the gateway needs its terminal_key and password.", provider=PROVIDER)
        self.terminal_key = terminal_key
        self._password = password

    def _call(self, method: str, params: dict) -> dict:
        body = {"TerminalKey": self.terminal_key, **params}
        body["Token"] = token(body, self._password)
        try:
            with http.httpx_client() as client:
                response = client.post(API_URL + method, json=body)
        except httpx.HTTPError as error:
            raise ProviderError(
                f"T-Bank {method}: {type(error).__name__}", temporary=True, provider=PROVIDER
            ) from error
        if response.status_code >= 500 or response.status_code == 429:
            raise ProviderError(f"T-Bank {method}: HTTP {response.status_code}", temporary=True, provider=PROVIDER)
        try:
            data = response.json()
        except ValueError:
            raise ProviderError(f"T-Bank {method}: not JSON", temporary=True, provider=PROVIDER) from None
        if not data.get("Success") or str(data.get("ErrorCode", "0")) != "0":
            raise ProviderError(
                "T-Bank {method}: {code} {message} {details}".format(
                    method=method,
                    code=data.get("ErrorCode", ""),
                    message=data.get("Message", ""),
                    details=data.get("Details", ""),
                ).strip(),
                temporary=False,
                code=str(data.get("ErrorCode", "")),
                provider=PROVIDER,
            )
        return data

    @staticmethod
    def _payment_state(data: dict, *, amount: Decimal | None = None, url: str = "") -> PaymentState:
        status = _PAYMENT_STATUS.get(data.get("Status", ""), "pending")
        total = _rubles(data["Amount"]) if data.get("Amount") is not None else amount
        if data.get("Status") in _REFUND_STATUS:
            # After a refund T-Bank reports what is left, not what was paid: no amount to compare or apply.
            total = None
        return PaymentState(
            provider_id=str(data["PaymentId"]),
            status=status,
            amount=total,
            currency="RUB",
            captured_amount=total if status == "succeeded" else None,
            confirmation_url=url or data.get("PaymentURL", ""),
            key=str(data.get("OrderId", "")),
            failure_reason=data.get("Message", "") if status in ("failed", "canceled") else "",
            saved_method=str(data.get("RebillId") or ""),
            raw=data,
        )

    def create_payment(self, request: PaymentRequest) -> PaymentState:
        if request.currency != "RUB":
            raise ProviderError(
                f"T-Bank takes payments in RUB only, not {request.currency}.", temporary=False, provider=PROVIDER
            )
        params = {
            "Amount": _kopecks(request.amount),
            "OrderId": request.key,
            "Description": request.description[:140],
            "PayType": "T" if request.two_stage else "O",
        }
        if request.save_method_for:  # a parent payment: T-Bank saves the card and reports its RebillId
            params.update(Recurrent="Y", CustomerKey=request.save_method_for[:36])
        if request.return_url:  # none for a charge of a saved card: the customer is not sent anywhere
            params.update(SuccessURL=request.return_url, FailURL=request.return_url)
        data = {
            key: value for key, value in (("Email", request.customer_email), ("Phone", request.customer_phone)) if value
        }
        if data:
            params["DATA"] = data
        if request.receipt is not None:
            params["Receipt"] = tbank_receipt(request.receipt)
        init = self._call("Init", params)
        if not request.saved_method:
            return self._payment_state(init, amount=request.amount)
        # A charge of the saved card: Init, then Charge with the RebillId instead of sending the customer to
        # PaymentURL (https://developer.tbank.ru/eacq/api/charge). Init with the same OrderId returns the same
        # order, so a retry charges only an order that is still NEW; one already charged is only read.
        if init.get("Status") != "NEW":
            return self._payment_state(self._call("GetState", {"PaymentId": init["PaymentId"]}), amount=request.amount)
        charged = self._call("Charge", {"PaymentId": init["PaymentId"], "RebillId": request.saved_method})
        return self._payment_state({"Amount": init.get("Amount"), **charged}, amount=request.amount)

    def fetch_payment(self, provider_payment_id: str) -> PaymentState:
        return self._payment_state(self._call("GetState", {"PaymentId": provider_payment_id}))

    def capture(self, *, provider_payment_id: str, amount: Decimal, currency: str, key: str) -> PaymentState:
        # Confirm takes no key: confirming a confirmed payment changes nothing, so a repeat is harmless.
        data = self._call("Confirm", {"PaymentId": provider_payment_id, "Amount": _kopecks(amount)})
        return self._payment_state({"Amount": _kopecks(amount), **data})

    def cancel(self, *, provider_payment_id: str, key: str) -> PaymentState:
        data = self._call("Cancel", {"PaymentId": provider_payment_id})
        return self._payment_state({"Amount": data.get("OriginalAmount"), **data})

    def create_refund(self, request: RefundRequest) -> RefundState:
        params = {
            "PaymentId": request.provider_payment_id,
            "Amount": _kopecks(request.amount),
            "ExternalRequestId": request.key,
        }
        if request.receipt is not None:
            params["Receipt"] = tbank_receipt(request.receipt)
        data = self._call("Cancel", params)
        return RefundState(
            provider_id=str(data.get("ExternalRequestId") or request.key),
            provider_payment_id=str(data["PaymentId"]),
            status=_REFUND_STATUS.get(data.get("Status", ""), "pending"),
            amount=request.amount,
            currency="RUB",
            raw=data,
        )

    def fetch_refund(self, provider_refund_id: str, *, provider_payment_id: str = "") -> RefundState:
        """T-Bank keeps no refund objects: the payment's state says whether its refunds went through (the
        amount of one refund is not given; the caller keeps the one it asked for)."""
        data = self._call("GetState", {"PaymentId": provider_payment_id})
        return RefundState(
            provider_id=provider_refund_id,
            provider_payment_id=str(data["PaymentId"]),
            status=_REFUND_STATUS.get(data.get("Status", ""), "pending"),
            amount=None,
            currency="RUB",
            raw=data,
        )


# A payment as T-Bank describes it (an answer or a notification: the same fields), to our state.
payment_state = TBankProvider._payment_state
REFUND_STATUSES = frozenset(_REFUND_STATUS)
