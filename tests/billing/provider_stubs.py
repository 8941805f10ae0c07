"""The payment providers, stubbed at the HTTP transport: a requests adapter answers Stripe's and YooKassa's
SDKs, an httpx transport answers T-Bank. Each stub keeps the objects it made and honours idempotency keys
the way its provider documents (the same key → the same object), and records every request it saw, so tests
can check what reached the provider.

Payloads are shaped as the providers' API references show them: Stripe's Checkout Session, PaymentIntent
(with ``latest_charge.balance_transaction`` expanded), Refund; YooKassa's payment (``amount: {value,
currency}``, ``confirmation.confirmation_url``, ``income_amount``) and refund; T-Bank's Init, GetState,
Confirm and Cancel answers (``Success``, ``ErrorCode``, ``Status``, ``PaymentId``, amounts in kopecks).
"""

from __future__ import annotations

import itertools
import json
import uuid
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

import httpx
import requests
from requests.adapters import BaseAdapter

from apps.billing.providers import tbank as tbank_module

_counter = itertools.count(1)


@dataclass
class Seen:
    method: str
    url: str
    headers: dict
    body: dict

    @property
    def path(self) -> str:
        return urlsplit(self.url).path


class Crash(Exception):
    """A worker dying: raised by a test where the process would be killed."""


@dataclass
class Failure:
    status: int
    payload: dict


class _Base:
    def __init__(self):
        self.requests: list[Seen] = []
        self.failures: list[Failure] = []

    def fail_next(self, status: int, payload: dict) -> None:
        self.failures.append(Failure(status, payload))

    def keys(self, header: str) -> list[str]:
        return [seen.headers.get(header, "") for seen in self.requests if seen.method == "POST"]


# --- Stripe ------------------------------------------------------------------------------------------------


def _unflatten(pairs) -> dict:
    """Stripe's form encoding (``line_items[0][price_data][unit_amount]=100``) back to nested data."""
    root: dict = {}
    for key, value in pairs:
        parts = key.replace("]", "").split("[")
        node = root
        for part, following in zip(parts, parts[1:] + [None], strict=True):
            if following is None:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return root


class StripeStub(_Base):
    """api.stripe.com/v1: checkout/sessions, payment_intents/<id>/capture|cancel, refunds; and for subscriptions
    Stripe renews: subscriptions (retrieve, update, cancel), prices, invoices and invoice_payments."""

    def __init__(self):
        super().__init__()
        self.sessions: dict[str, dict] = {}
        self.intents: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.subscriptions: dict[str, dict] = {}
        self.prices: dict[str, dict] = {}
        self.invoices: dict[str, dict] = {}
        self.invoice_payments: list[dict] = []
        self.by_key: dict[tuple[str, str], dict] = {}

    # what the customer and Stripe do meanwhile
    def _paid_invoice(self, subscription: dict, amount: int, reason: str, start: int, end: int, fee: int) -> dict:
        """An invoice of ``subscription`` paid by a new PaymentIntent, shaped as API 2025-03-31 and later shape it
        (the subscription under ``parent.subscription_details``, the PaymentIntent only in invoice payments)."""
        invoice_id = f"in_1Q{next(_counter):06d}Kt"
        intent = self._intent(amount, subscription["currency"], "automatic", {}, fee)
        invoice = {
            "id": invoice_id,
            "object": "invoice",
            "amount_due": amount,
            "amount_paid": amount,
            "attempt_count": 1,
            "billing_reason": reason,
            "currency": subscription["currency"],
            "customer": subscription["customer"],
            "livemode": False,
            "parent": {
                "quote_details": None,
                "subscription_details": {"metadata": subscription["metadata"], "subscription": subscription["id"]},
                "type": "subscription_details",
            },
            "lines": {
                "object": "list",
                "data": [
                    {
                        "id": f"il_1Q{next(_counter):06d}Kt",
                        "object": "line_item",
                        "amount": amount,
                        "currency": subscription["currency"],
                        "period": {"start": start, "end": end},
                    }
                ],
                "has_more": False,
            },
            "period_start": start,
            "period_end": start,
            "status": "paid",
        }
        self.invoices[invoice_id] = invoice
        self.invoice_payments.append(
            {
                "id": f"inpay_1Q{next(_counter):06d}Kt",
                "object": "invoice_payment",
                "amount_paid": amount,
                "amount_requested": amount,
                "currency": subscription["currency"],
                "invoice": invoice_id,
                "is_default": True,
                "livemode": False,
                "payment": {"type": "payment_intent", "payment_intent": intent["id"]},
                "status": "paid",
            }
        )
        subscription["latest_invoice"] = invoice_id
        return invoice

    def _intent(self, amount: int, currency: str, capture_method: str, metadata: dict, fee: int) -> dict:
        manual = capture_method == "manual"
        intent = {
            "id": f"pi_3Q{next(_counter):06d}Ab",
            "object": "payment_intent",
            "amount": amount,
            "amount_capturable": amount if manual else 0,
            "amount_received": 0 if manual else amount,
            "capture_method": capture_method,
            "currency": currency,
            "status": "requires_capture" if manual else "succeeded",
            "metadata": metadata,
            "last_payment_error": None,
            "livemode": False,
            "latest_charge": {
                "id": f"ch_3Q{next(_counter):06d}Ab",
                "object": "charge",
                "amount": amount,
                "captured": not manual,
                "balance_transaction": None
                if manual
                else {
                    "id": f"txn_3Q{next(_counter):06d}Ab",
                    "object": "balance_transaction",
                    "amount": amount,
                    "fee": fee,
                    "net": amount - fee,
                    "currency": currency,
                },
            },
        }
        self.intents[intent["id"]] = intent
        return intent

    def subscribe(self, session_id: str, *, start: int, end: int, fee: int = 0) -> dict:
        """The customer pays a subscription-mode Checkout Session: Stripe makes the subscription and pays its
        first invoice. Returns that invoice (what ``invoice.paid`` carries)."""
        session = self.sessions[session_id]
        subscription = {
            "id": f"sub_1Q{next(_counter):06d}Kt",
            "object": "subscription",
            "status": "active",
            "cancel_at_period_end": False,
            "currency": session["currency"],
            "customer": f"cus_Q{next(_counter):06d}Kt",
            "metadata": session["_subscription_metadata"],
            "items": {
                "object": "list",
                "data": [
                    {
                        "id": f"si_Q{next(_counter):06d}Kt",
                        "object": "subscription_item",
                        "price": {"id": f"price_1Q{next(_counter):06d}Kt", "unit_amount": session["amount_total"]},
                        "quantity": 1,
                    }
                ],
            },
        }
        self.subscriptions[subscription["id"]] = subscription
        invoice = self._paid_invoice(subscription, session["amount_total"], "subscription_create", start, end, fee)
        session.update(status="complete", payment_status="paid", subscription=subscription["id"], invoice=invoice["id"])
        return invoice

    def renew(self, subscription_id: str, *, start: int, end: int, fee: int = 0) -> dict:
        """Stripe charges the next period on its own; returns the paid invoice."""
        subscription = self.subscriptions[subscription_id]
        amount = subscription["items"]["data"][0]["price"]["unit_amount"]
        return self._paid_invoice(subscription, amount, "subscription_cycle", start, end, fee)

    def pay(self, session_id: str, *, fee: int = 0) -> dict:
        session = self.sessions[session_id]
        manual = session["_capture_method"] == "manual"
        intent_id = f"pi_3Q{next(_counter):06d}Ab"
        charge_id = f"ch_3Q{next(_counter):06d}Ab"
        intent = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": session["amount_total"],
            "amount_capturable": session["amount_total"] if manual else 0,
            "amount_received": 0 if manual else session["amount_total"],
            "capture_method": session["_capture_method"],
            "currency": session["currency"],
            "status": "requires_capture" if manual else "succeeded",
            "metadata": session["_intent_metadata"],
            "last_payment_error": None,
            "livemode": False,
            "latest_charge": {
                "id": charge_id,
                "object": "charge",
                "amount": session["amount_total"],
                "captured": not manual,
                "balance_transaction": None
                if manual
                else {
                    "id": f"txn_3Q{next(_counter):06d}Ab",
                    "object": "balance_transaction",
                    "amount": session["amount_total"],
                    "fee": fee,
                    "net": session["amount_total"] - fee,
                    "currency": session["currency"],
                },
            },
        }
        self.intents[intent_id] = intent
        session.update(status="complete", payment_status="unpaid" if manual else "paid", payment_intent=intent_id)
        return intent

    def _session_view(self, session: dict, expand: bool) -> dict:
        data = {k: v for k, v in session.items() if not k.startswith("_")}
        if expand and data.get("payment_intent"):
            data["payment_intent"] = self.intents[data["payment_intent"]]
        return data

    def handle(self, seen: Seen) -> tuple[int, dict]:
        path, body = seen.path, seen.body
        key = seen.headers.get("Idempotency-Key", "")
        if seen.method == "POST" and (path, key) in self.by_key:
            return 200, self.by_key[(path, key)]  # Stripe replays the first answer to a repeated key
        if seen.method == "POST" and path == "/v1/checkout/sessions":
            session_id = f"cs_test_a1{uuid.uuid4().hex[:40]}"
            item = body["line_items"]["0"]
            amount = int(item["price_data"]["unit_amount"]) * int(item.get("quantity", 1))
            intent_data = body.get("payment_intent_data", {})
            session = {
                "id": session_id,
                "object": "checkout.session",
                "mode": body["mode"],
                "amount_subtotal": amount,
                "amount_total": amount,
                "currency": item["price_data"]["currency"],
                "client_reference_id": body.get("client_reference_id"),
                "customer_email": body.get("customer_email"),
                "livemode": False,
                "metadata": body.get("metadata", {}),
                "payment_intent": None,
                "payment_status": "unpaid",
                "status": "open",
                "success_url": body["success_url"],
                "cancel_url": body.get("cancel_url"),
                "url": f"https://checkout.stripe.com/c/pay/{session_id}#fidkdWxOYHwnPyd1blpxYHZxWjA0",
                "_capture_method": intent_data.get("capture_method", "automatic"),
                "_intent_metadata": intent_data.get("metadata", {}),
                "_subscription_metadata": body.get("subscription_data", {}).get("metadata", {}),
            }
            if body["mode"] == "subscription":
                session.update(subscription=None, invoice=None)
            self.sessions[session_id] = session
            answer = self._session_view(session, False)
        elif seen.method == "GET" and path.startswith("/v1/checkout/sessions/"):
            session = self.sessions.get(path.rsplit("/", 1)[1])
            if session is None:
                return 404, _stripe_error("resource_missing", "No such checkout.session")
            return 200, self._session_view(session, True)
        elif seen.method == "POST" and path.endswith("/expire"):
            session = self.sessions[path.split("/")[4]]
            session["status"] = "expired"
            answer = self._session_view(session, False)
        elif seen.method == "POST" and path.endswith("/capture"):
            intent = self.intents[path.split("/")[3]]
            amount = int(body.get("amount_to_capture", intent["amount"]))
            fee = 0
            intent.update(status="succeeded", amount_received=amount, amount_capturable=0)
            intent["latest_charge"]["captured"] = True
            intent["latest_charge"]["balance_transaction"] = {
                "id": f"txn_3Q{next(_counter):06d}Ab",
                "object": "balance_transaction",
                "amount": amount,
                "fee": fee,
                "net": amount - fee,
                "currency": intent["currency"],
            }
            answer = intent
        elif seen.method == "POST" and path.startswith("/v1/payment_intents/") and path.endswith("/cancel"):
            intent = self.intents[path.split("/")[3]]
            intent.update(status="canceled", amount_capturable=0)
            answer = intent
        elif seen.method == "POST" and path == "/v1/refunds":
            intent = self.intents[body["payment_intent"]]
            refund = {
                "id": f"re_3Q{next(_counter):06d}Ab",
                "object": "refund",
                "amount": int(body["amount"]),
                "currency": intent["currency"],
                "payment_intent": intent["id"],
                "charge": intent["latest_charge"]["id"],
                "metadata": body.get("metadata", {}),
                "reason": None,
                "status": "succeeded",
            }
            self.refunds[refund["id"]] = refund
            answer = refund
        elif seen.method == "GET" and path.startswith("/v1/refunds/"):
            return 200, self.refunds[path.rsplit("/", 1)[1]]
        elif seen.method == "GET" and path.startswith("/v1/payment_intents/"):
            return 200, self.intents[path.split("/")[3]]
        elif seen.method == "GET" and path.startswith("/v1/invoices/"):
            return 200, self.invoices[path.rsplit("/", 1)[1]]
        elif seen.method == "GET" and path == "/v1/invoice_payments":
            invoice_id = dict(parse_qsl(urlsplit(seen.url).query)).get("invoice")
            data = [item for item in self.invoice_payments if item["invoice"] == invoice_id]
            return 200, {"object": "list", "data": data, "has_more": False, "url": "/v1/invoice_payments"}
        elif seen.method == "POST" and path == "/v1/prices":
            price = {
                "id": f"price_1Q{next(_counter):06d}Kt",
                "object": "price",
                "currency": body["currency"],
                "unit_amount": int(body["unit_amount"]),
                "recurring": {"interval": body["recurring"]["interval"]},
            }
            self.prices[price["id"]] = price
            answer = price
        elif path.startswith("/v1/subscriptions/"):
            subscription = self.subscriptions.get(path.split("/")[3])
            if subscription is None:
                return 404, _stripe_error("resource_missing", "No such subscription")
            if seen.method == "GET":
                return 200, subscription
            if seen.method == "DELETE":
                subscription.update(status="canceled")
                answer = subscription
            else:
                answer = self._subscription_update(subscription, body)
        else:
            return 404, _stripe_error("resource_missing", f"Unrecognized request URL ({seen.method}: {path})")
        if key:
            self.by_key[(path, key)] = answer
        return 200, answer

    def _subscription_update(self, subscription: dict, body: dict) -> dict:
        if "cancel_at_period_end" in body:
            subscription["cancel_at_period_end"] = body["cancel_at_period_end"] == "true"
        if "items" in body:
            item = subscription["items"]["data"][0]
            assert body["items"]["0"]["id"] == item["id"], "a plan change names the subscription's item"
            new = self.prices[body["items"]["0"]["price"]]
            old_amount = item["price"]["unit_amount"]
            item["price"] = {"id": new["id"], "unit_amount": new["unit_amount"]}
            if body.get("proration_behavior") == "always_invoice" and new["unit_amount"] > old_amount:
                # The stub's proration: half the difference (a change made half way through the period).
                self._paid_invoice(
                    subscription, (new["unit_amount"] - old_amount) // 2, "subscription_update", 1, 2, fee=0
                )
        return subscription


def _stripe_error(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message, "type": "invalid_request_error"}}


# --- YooKassa ----------------------------------------------------------------------------------------------


class YooKassaStub(_Base):
    """api.yookassa.ru/v3: payments, payments/<id>/capture|cancel, refunds."""

    def __init__(self):
        super().__init__()
        self.payments: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.by_key: dict[tuple[str, str], dict] = {}
        # The answer to the next autopayments (payment_method_id): None charges the saved method, a reason
        # ("insufficient_funds", "permission_revoked"…) declines it.
        self.decline_saved: list[str | None] = []

    def _autopayment(self, payment: dict, method_id: str) -> None:
        """An autopayment succeeds or is canceled at once; the saved method is shown as the answer shows it."""
        reason = self.decline_saved.pop(0) if self.decline_saved else None
        payment.pop("confirmation", None)
        payment["payment_method"] = {"type": "bank_card", "id": method_id, "saved": True, "title": "Bank card *4444"}
        if reason:
            payment.update(status="canceled", cancellation_details={"party": "payment_network", "reason": reason})
        else:
            payment.update(
                status="succeeded",
                paid=True,
                captured_at="2026-12-05T07:30:00.000Z",
                income_amount=payment["amount"],
                refundable=True,
            )

    def pay(self, payment_id: str, *, income: str | None = None) -> dict:
        payment = self.payments[payment_id]
        two_stage = not payment["_capture"]
        payment.update(status="waiting_for_capture" if two_stage else "succeeded", paid=True)
        if not two_stage:
            payment["captured_at"] = "2026-12-05T07:30:00.000Z"
            payment["income_amount"] = {
                "value": income or payment["amount"]["value"],
                "currency": payment["amount"]["currency"],
            }
            payment["refundable"] = True
        payment["payment_method"] = {
            "type": "bank_card",
            "id": payment_id,
            "saved": payment["_save"],
            "title": "Bank card *4444",
        }
        return payment

    @staticmethod
    def view(payment: dict) -> dict:
        return {k: v for k, v in payment.items() if not k.startswith("_")}

    def handle(self, seen: Seen) -> tuple[int, dict]:
        path, body = seen.path.removeprefix("/v3"), seen.body
        key = seen.headers.get("Idempotence-Key", "")
        if seen.method == "POST" and (path, key) in self.by_key:
            return 200, self.by_key[(path, key)]  # YooKassa answers a repeated key with the first result
        if seen.method == "POST" and path == "/payments":
            payment_id = str(uuid.uuid4())[:8] + "-000f-5000-8000-" + uuid.uuid4().hex[:12]
            payment = {
                "id": payment_id,
                "status": "pending",
                "paid": False,
                "amount": body["amount"],
                "confirmation": {
                    "type": "redirect",
                    "return_url": body.get("confirmation", {}).get("return_url", ""),
                    "confirmation_url": f"https://yoomoney.ru/checkout/payments/v2/contract?orderId={payment_id}",
                },
                "created_at": "2026-12-05T07:29:00.000Z",
                "description": body.get("description", ""),
                "metadata": body.get("metadata", {}),
                "recipient": {"account_id": "100500", "gateway_id": "100700"},
                "refundable": False,
                "test": True,
                "_capture": body.get("capture", False),
                "_save": bool(body.get("save_payment_method")),
                "_receipt": body.get("receipt"),
            }
            if body.get("payment_method_id"):
                self._autopayment(payment, body["payment_method_id"])
            self.payments[payment_id] = payment
            answer = self.view(payment)
        elif seen.method == "GET" and path.startswith("/payments/"):
            payment = self.payments.get(path.split("/")[2])
            if payment is None:
                return 404, {
                    "type": "error",
                    "id": str(uuid.uuid4()),
                    "code": "not_found",
                    "description": "Payment not found",
                }
            return 200, self.view(payment)
        elif seen.method == "POST" and path.endswith("/capture"):
            payment = self.payments[path.split("/")[2]]
            payment.update(
                status="succeeded",
                amount=body.get("amount", payment["amount"]),
                captured_at="2026-12-05T07:31:00.000Z",
                income_amount=body.get("amount", payment["amount"]),
                refundable=True,
            )
            answer = self.view(payment)
        elif seen.method == "POST" and path.endswith("/cancel"):
            payment = self.payments[path.split("/")[2]]
            payment.update(
                status="canceled",
                paid=False,
                cancellation_details={"party": "merchant", "reason": "canceled_by_merchant"},
            )
            answer = self.view(payment)
        elif seen.method == "POST" and path == "/refunds":
            refund = {
                "id": str(uuid.uuid4())[:8] + "-0015-5000-9000-" + uuid.uuid4().hex[:12],
                "payment_id": body["payment_id"],
                "status": "succeeded",
                "created_at": "2026-12-05T07:40:00.000Z",
                "amount": body["amount"],
                "description": body.get("description", ""),
            }
            self.refunds[refund["id"]] = {**refund, "_receipt": body.get("receipt")}
            answer = refund
        elif seen.method == "GET" and path.startswith("/refunds/"):
            return 200, self.view(self.refunds[path.split("/")[2]])
        else:
            return 404, {"type": "error", "code": "not_found", "description": path}
        if key:
            self.by_key[(path, key)] = answer
        return 200, answer


# --- T-Bank ------------------------------------------------------------------------------------------------

TBANK_TERMINAL, TBANK_PASSWORD = "1321054611234DEMO", "Dfsfh56dgKl"


class TBankStub(_Base):
    """securepay.tinkoff.ru/v2: Init, Charge, GetState, Confirm, Cancel; every request's Token is checked."""

    def __init__(self):
        super().__init__()
        self.orders: dict[str, dict] = {}  # by OrderId: T-Bank keeps an OrderId unique per terminal
        self.by_payment: dict[str, dict] = {}
        self.cancels: dict[str, dict] = {}  # by ExternalRequestId
        # The answer to the next Charges (RebillId): None charges the card, an error code declines it.
        self.decline_charges: list[tuple[str, str] | None] = []

    def pay(self, payment_id: str) -> dict:
        order = self.by_payment[payment_id]
        order["Status"] = "AUTHORIZED" if order["_pay_type"] == "T" else "CONFIRMED"
        return order

    def _answer(self, order: dict, **extra) -> dict:
        return {
            "Success": True,
            "ErrorCode": "0",
            "TerminalKey": TBANK_TERMINAL,
            "Status": order["Status"],
            "PaymentId": order["PaymentId"],
            "OrderId": order["OrderId"],
            **extra,
        }

    def handle(self, seen: Seen) -> tuple[int, dict]:
        body = seen.body
        method = seen.path.rsplit("/", 1)[1]
        if body.get("Token") != tbank_module.token(body, TBANK_PASSWORD):
            return 200, {
                "Success": False,
                "ErrorCode": "204",
                "Message": "Неверный токен. Проверьте пару TerminalKey/SecretKey.",
            }
        if method == "Init":
            order = self.orders.get(body["OrderId"])
            if order is None:
                payment_id = str(3093639567 + next(_counter))
                order = {
                    "OrderId": body["OrderId"],
                    "PaymentId": payment_id,
                    "Amount": body["Amount"],
                    "Status": "NEW",
                    "_pay_type": body.get("PayType", "O"),
                    "_receipt": body.get("Receipt"),
                    "_refunded": 0,
                }
                self.orders[body["OrderId"]] = order
                self.by_payment[payment_id] = order
            return 200, self._answer(
                order, Amount=order["Amount"], PaymentURL=f"https://securepay.tinkoff.ru/new/{order['PaymentId'][-8:]}"
            )
        order = self.by_payment.get(str(body.get("PaymentId")))
        if order is None:
            return 200, {"Success": False, "ErrorCode": "7", "Message": "Неверный статус транзакции.", "Details": ""}
        if method == "GetState":
            return 200, self._answer(order, Amount=order["Amount"] - order["_refunded"], Message="OK")
        if method == "Charge":
            if order["Status"] != "NEW":
                return 200, {
                    "Success": False,
                    "ErrorCode": "4",
                    "Message": "Запрашиваемое состояние транзакции является неверным.",
                    "Details": "Изменение статуса недопустимо.",
                }
            declined = self.decline_charges.pop(0) if self.decline_charges else None
            if declined:
                order["Status"] = "REJECTED"
                code, message = declined
                return 200, {
                    "Success": False,
                    "ErrorCode": code,
                    "Message": message,
                    "Details": "",
                    **{key: order[key] for key in ("PaymentId", "OrderId")},
                    "Status": "REJECTED",
                    "TerminalKey": TBANK_TERMINAL,
                }
            order["Status"] = "CONFIRMED" if order["_pay_type"] == "O" else "AUTHORIZED"
            order["_rebill"] = body["RebillId"]
            return 200, self._answer(order, Amount=order["Amount"])
        if method == "Confirm":
            order["Status"] = "CONFIRMED"
            order["Amount"] = body.get("Amount", order["Amount"])
            return 200, self._answer(order)
        if method == "Cancel":
            external = body.get("ExternalRequestId")
            if external and external in self.cancels:
                return 200, self.cancels[external]
            original = order["Amount"] - order["_refunded"]
            if order["Status"] in ("NEW", "AUTHORIZED"):
                order["Status"] = "CANCELED" if order["Status"] == "NEW" else "REVERSED"
                answer = self._answer(order, OriginalAmount=original, NewAmount=0)
            else:
                amount = int(body.get("Amount", original))
                order["_refunded"] += amount
                order["Status"] = "REFUNDED" if order["_refunded"] == order["Amount"] else "PARTIAL_REFUNDED"
                answer = self._answer(order, OriginalAmount=original, NewAmount=original - amount)
                if external:
                    answer["ExternalRequestId"] = external
                    self.cancels[external] = answer
            return 200, answer
        return 200, {"Success": False, "ErrorCode": "9999", "Message": f"unknown method {method}"}


# --- the transports ----------------------------------------------------------------------------------------


@dataclass
class Providers:
    stripe: StripeStub = field(default_factory=StripeStub)
    yookassa: YooKassaStub = field(default_factory=YooKassaStub)
    tbank: TBankStub = field(default_factory=TBankStub)

    def route(self, seen: Seen) -> tuple[int, dict]:
        host = urlsplit(seen.url).hostname
        stub = {"api.stripe.com": self.stripe, "api.yookassa.ru": self.yookassa, "securepay.tinkoff.ru": self.tbank}[
            host
        ]
        stub.requests.append(seen)
        if stub.failures:
            failure = stub.failures.pop(0)
            return failure.status, failure.payload
        return stub.handle(seen)


class RequestsTransport(BaseAdapter):
    """A requests adapter that answers from the stubs (Stripe's and YooKassa's SDKs send through requests)."""

    def __init__(self, providers: Providers):
        super().__init__()
        self.providers = providers

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        content_type = request.headers.get("Content-Type", "")
        raw = request.body.decode() if isinstance(request.body, bytes) else (request.body or "")
        if "json" in content_type and raw:
            body = json.loads(raw)
        elif raw:
            body = _unflatten(parse_qsl(raw, keep_blank_values=True))
        else:
            body = _unflatten(parse_qsl(urlsplit(request.url).query))
        seen = Seen(request.method, request.url, dict(request.headers), body)
        status, payload = self.providers.route(seen)
        response = requests.Response()
        response.status_code = status
        response._content = json.dumps(payload).encode()
        response.headers["Content-Type"] = "application/json"
        response.headers["Request-Id"] = f"req_{next(_counter):08d}"
        response.url = request.url
        response.request = request
        response.encoding = "utf-8"
        return response

    def close(self):
        pass


def httpx_transport(providers: Providers) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        seen = Seen(request.method, str(request.url), dict(request.headers), json.loads(request.content or b"{}"))
        status, payload = providers.route(seen)
        return httpx.Response(status, json=payload)

    return httpx.MockTransport(handler)
