"""YooKassa through its SDK's API client (its authentication, user agent and error classes), one client per
gateway: the SDK's own ``Payment.create`` reads a process-wide Configuration, which two organizations'
shops cannot share. Every writing call carries the ``Idempotence-Key`` header.

Payloads are YooKassa's (https://yookassa.ru/developers/api): ``amount: {value, currency}`` with value a
decimal string, ``confirmation: {type: redirect, confirmation_url}``, ``income_amount`` (what the shop
receives after the fee), ``cancellation_details: {party, reason}``.
"""

from __future__ import annotations

from decimal import Decimal

import requests
from yookassa.client import ApiClient
from yookassa.domain.common import HttpVerb, UserAgent
from yookassa.domain.exceptions import (
    ApiError,
    BadRequestError,
    ForbiddenError,
    GoneError,
    InternalServerError,
    NotFoundError,
    ResponseProcessingError,
    TooManyRequestsError,
    UnauthorizedError,
)

from . import http
from .base import NotConfigured, PaymentRequest, PaymentState, ProviderError, RefundRequest, RefundState
from .receipts import yookassa_receipt

PROVIDER = "yookassa"
API_URL = "https://api.yookassa.ru/v3"
_ERRORS = {
    cls.HTTP_CODE: cls
    for cls in (
        BadRequestError,
        ForbiddenError,
        NotFoundError,
        TooManyRequestsError,
        UnauthorizedError,
        ResponseProcessingError,
        InternalServerError,
        GoneError,
    )
}
# 202: YooKassa is still processing the request and asks to repeat it (with the same key) later.
_TEMPORARY = {202, 429, 500, 502, 503, 504}


def _value(amount: Decimal) -> str:
    return f"{amount.quantize(Decimal('0.01')):f}"


class _ShopClient(ApiClient):
    """The SDK's client bound to one shop, sending through the transport of ``http``."""

    def __init__(self, shop_id: str, secret_key: str):  # the SDK's __init__ reads the global Configuration
        self.endpoint = API_URL
        self.shop_id = shop_id
        self.shop_password = secret_key
        self.auth_token = None
        self.timeout = http.TIMEOUT_SECONDS * 1000
        self.max_attempts = 1
        self.user_agent = UserAgent()

    def call(self, method: str, path: str, body: dict | None = None, key: str | None = None) -> dict:
        headers = self.prepare_request_headers({"Idempotence-Key": key} if key else None)
        try:
            with http.requests_session() as session:
                response = session.request(
                    method, self.endpoint + path, headers=headers, json=body, timeout=http.TIMEOUT_SECONDS
                )
        except requests.RequestException as error:
            raise ProviderError(f"YooKassa: {type(error).__name__}", temporary=True, provider=PROVIDER) from error
        if response.status_code == 200:
            return response.json()
        try:
            content = response.json()
        except ValueError:
            content = {}
        error = _ERRORS.get(response.status_code, ApiError)(content)
        raise ProviderError(
            "YooKassa: {code} {description}".format(
                code=content.get("code", response.status_code), description=content.get("description", "")
            ).strip(),
            temporary=response.status_code in _TEMPORARY,
            code=str(content.get("code", "")),
            provider=PROVIDER,
        ) from error


def _amount(data) -> Decimal | None:
    return Decimal(str(data["value"])) if data and data.get("value") is not None else None


class YooKassaProvider:
    provider = PROVIDER

    def __init__(self, *, shop_id: str, secret_key: str):
        if not (shop_id and secret_key):
            raise NotConfigured("YooKassa: the gateway needs its shop_id and secret_key.", provider=PROVIDER)
        self._api = _ShopClient(str(shop_id), secret_key)

    @staticmethod
    def _payment_state(data: dict) -> PaymentState:
        amount = _amount(data["amount"])
        status = data["status"]
        captured = fee = None
        if status == "succeeded":
            captured = amount
            income = _amount(data.get("income_amount"))
            if income is not None:
                fee = amount - income
        details = data.get("cancellation_details") or {}
        method = data.get("payment_method") or {}
        return PaymentState(
            provider_id=data["id"],
            status=status,  # YooKassa's statuses are ours: pending, waiting_for_capture, succeeded, canceled
            amount=amount,
            currency=data["amount"]["currency"],
            captured_amount=captured,
            fee=fee,
            confirmation_url=(data.get("confirmation") or {}).get("confirmation_url", ""),
            key=(data.get("metadata") or {}).get("kontora_key", ""),
            failure_reason=" / ".join(filter(None, [details.get("party"), details.get("reason")])),
            saved_method=str(method.get("id", "")) if method.get("saved") else "",
            raw=data,
        )

    @staticmethod
    def _refund_state(data: dict) -> RefundState:
        details = data.get("cancellation_details") or {}
        return RefundState(
            provider_id=data["id"],
            provider_payment_id=data["payment_id"],
            status=data["status"],  # pending, succeeded, canceled
            amount=_amount(data["amount"]),
            currency=data["amount"]["currency"],
            failure_reason=details.get("reason", ""),
            raw=data,
        )

    def create_payment(self, request: PaymentRequest) -> PaymentState:
        body = {
            "amount": {"value": _value(request.amount), "currency": request.currency},
            "capture": not request.two_stage,
            "confirmation": {"type": "redirect", "return_url": request.return_url},
            "description": request.description[:128],
            "metadata": {**{k: str(v) for k, v in request.metadata.items()}, "kontora_key": request.key},
        }
        if request.save_method_for:
            body["save_payment_method"] = True
        if request.saved_method:
            # An autopayment: the saved method's id and no confirmation (the customer is not there to confirm);
            # YooKassa answers succeeded or canceled at once (pending while a 54-FZ receipt is registered).
            del body["confirmation"]
            body["payment_method_id"] = request.saved_method
        if request.receipt is not None:
            body["receipt"] = yookassa_receipt(request.receipt, request.currency)
        return self._payment_state(self._api.call(HttpVerb.POST, "/payments", body, key=request.key))

    def fetch_payment(self, provider_payment_id: str) -> PaymentState:
        return self._payment_state(self._api.call(HttpVerb.GET, f"/payments/{provider_payment_id}"))

    def capture(self, *, provider_payment_id: str, amount: Decimal, currency: str, key: str) -> PaymentState:
        body = {"amount": {"value": _value(amount), "currency": currency}}
        return self._payment_state(
            self._api.call(HttpVerb.POST, f"/payments/{provider_payment_id}/capture", body, key=key)
        )

    def cancel(self, *, provider_payment_id: str, key: str) -> PaymentState:
        return self._payment_state(
            self._api.call(HttpVerb.POST, f"/payments/{provider_payment_id}/cancel", {}, key=key)
        )

    def create_refund(self, request: RefundRequest) -> RefundState:
        body = {
            "payment_id": request.provider_payment_id,
            "amount": {"value": _value(request.amount), "currency": request.currency},
        }
        if request.reason:
            body["description"] = request.reason[:250]
        if request.receipt is not None:
            body["receipt"] = yookassa_receipt(request.receipt, request.currency)
        return self._refund_state(self._api.call(HttpVerb.POST, "/refunds", body, key=request.key))

    def fetch_refund(self, provider_refund_id: str, *, provider_payment_id: str = "") -> RefundState:
        return self._refund_state(self._api.call(HttpVerb.GET, f"/refunds/{provider_refund_id}"))


# A payment or refund as YooKassa's API describes it, to our state (webhooks apply the object they re-fetched).
payment_state = YooKassaProvider._payment_state
refund_state = YooKassaProvider._refund_state
