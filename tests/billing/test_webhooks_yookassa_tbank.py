"""YooKassa's notifications through the real view: believed only from YooKassa's addresses and as its API
describes the object; T-Bank's through its own view, by its Token, answered ``OK``."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from django.test import Client

from apps.billing.models import Payment, PaymentStatus, Refund, RefundStatus
from apps.billing.services.refunds import refund_create
from apps.core.models import DomainEvent, Notification, WebhookDelivery
from tests.billing.payment_helpers import process_all, started
from tests.billing.provider_stubs import TBANK_PASSWORD, TBANK_TERMINAL
from tests.billing.webhook_payloads import YOOKASSA_ADDRESS, tbank_notification, yookassa_notification
from tests.helpers import assert_nothing_written

pytestmark = pytest.mark.django_db
Status = WebhookDelivery.Status


def start(gateway, **extra) -> Payment:
    return started(
        gateway,
        key=f"order-{time.monotonic_ns()}",
        amount="990.00",
        description="Subscription «Start»",
        customer_email="anna@example.com",
        **extra,
    )


# --- YooKassa ----------------------------------------------------------------------------------------------


def post_yookassa(gateway, body: bytes, *, address: str = YOOKASSA_ADDRESS, **headers):
    return Client(REMOTE_ADDR=address).post(
        f"/billing/webhooks/yookassa/{gateway.endpoint}/", data=body, content_type="application/json", **headers
    )


def test_a_yookassa_notification_from_its_address_is_applied_once(providers, gateway_for):
    gateway = gateway_for("yookassa")
    payment = start(gateway)
    paid = providers.yookassa.pay(payment.provider_payment_id, income="955.35")
    body = yookassa_notification("payment.succeeded", providers.yookassa.view(paid))

    answers = [post_yookassa(gateway, body).status_code for _ in range(3)]
    process_all()

    assert answers == [200, 200, 200]
    payment.refresh_from_db()
    assert (payment.status, payment.fee) == (PaymentStatus.SUCCEEDED, Decimal("34.65"))
    delivery = WebhookDelivery.objects.get(status=Status.PROCESSED)
    assert delivery.event_id == f"{payment.provider_payment_id}:payment.succeeded"
    assert DomainEvent.objects.filter(name="billing.payment_succeeded").count() == 1
    assert Notification.objects.filter(template="billing_payment_receipt").count() == 1


def test_a_notification_from_a_foreign_address_is_refused_and_nothing_processed(providers, gateway_for):
    gateway = gateway_for("yookassa")
    payment = start(gateway)
    paid = providers.yookassa.pay(payment.provider_payment_id)
    body = yookassa_notification("payment.succeeded", providers.yookassa.view(paid))
    fetched_before = len(providers.yookassa.requests)

    with assert_nothing_written("billing", "ledger"):
        response = post_yookassa(gateway, body, address="203.0.113.7")
        # A forwarded header from a peer that is not a trusted proxy is not believed.
        forged = post_yookassa(gateway, body, address="203.0.113.7", HTTP_X_FORWARDED_FOR=YOOKASSA_ADDRESS)

    assert (response.status_code, forged.status_code) == (400, 400)
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {Status.REJECTED}
    assert len(providers.yookassa.requests) == fetched_before  # not even asked
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


def test_behind_a_trusted_proxy_the_forwarded_address_is_checked(providers, gateway_for, settings):
    settings.KONTORA_TRUSTED_PROXIES = ["10.0.0.0/8"]
    gateway = gateway_for("yookassa")
    payment = start(gateway)
    paid = providers.yookassa.pay(payment.provider_payment_id)
    body = yookassa_notification("payment.succeeded", providers.yookassa.view(paid))

    ok = post_yookassa(gateway, body, address="10.1.2.3", HTTP_X_FORWARDED_FOR=YOOKASSA_ADDRESS)
    refused = post_yookassa(gateway, body, address="10.1.2.3", HTTP_X_FORWARDED_FOR="198.51.100.4")

    assert (ok.status_code, refused.status_code) == (200, 400)


def test_a_notification_contradicting_the_api_is_applied_as_the_api_says(providers, gateway_for):
    gateway = gateway_for("yookassa")
    payment = start(gateway)
    claimed = {**providers.yookassa.view(providers.yookassa.payments[payment.provider_payment_id])}
    claimed.update(status="succeeded", paid=True, income_amount={"value": "990.00", "currency": "RUB"})
    # Meanwhile, at YooKassa, the payment was canceled.
    providers.yookassa.payments[payment.provider_payment_id].update(
        status="canceled", cancellation_details={"party": "payment_network", "reason": "insufficient_funds"}
    )

    assert post_yookassa(gateway, yookassa_notification("payment.succeeded", claimed)).status_code == 200
    process_all()

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELED
    assert payment.failure_reason == "payment_network / insufficient_funds"
    assert not DomainEvent.objects.filter(name="billing.payment_succeeded").exists()
    assert DomainEvent.objects.filter(name="billing.payment_failed").count() == 1
    assert Notification.objects.get().template == "billing_payment_failed"


def test_an_object_the_api_does_not_know_is_refused(providers, gateway_for):
    gateway = gateway_for("yookassa")
    forged = {"id": "2dbd4e3c-000f-5000-8000-1f5c64d9e0aa", "status": "succeeded", "amount": {"value": "1.00"}}

    response = post_yookassa(gateway, yookassa_notification("payment.succeeded", forged))

    assert response.status_code == 400
    assert "does not confirm" in WebhookDelivery.objects.get().error


def test_an_unreachable_api_answers_503_so_yookassa_sends_again(providers, gateway_for):
    gateway = gateway_for("yookassa")
    payment = start(gateway)
    providers.yookassa.fail_next(500, {"type": "error", "code": "internal_server_error"})

    body = yookassa_notification(
        "payment.waiting_for_capture", providers.yookassa.view(providers.yookassa.pay(payment.provider_payment_id))
    )
    assert post_yookassa(gateway, body).status_code == 503


def test_a_yookassa_refund_notification_is_applied_from_the_api(providers, gateway_for):
    gateway = gateway_for("yookassa")
    payment = start(gateway)
    providers.yookassa.pay(payment.provider_payment_id)
    post_yookassa(
        gateway,
        yookassa_notification(
            "payment.succeeded", providers.yookassa.view(providers.yookassa.payments[payment.provider_payment_id])
        ),
    )
    process_all()
    refund = refund_create(
        payment=Payment.objects.get(pk=payment.pk), amount="300.00", reason="", idempotency_key="r-1", user=None
    )
    stored = providers.yookassa.refunds[refund.provider_refund_id]

    post_yookassa(gateway, yookassa_notification("refund.succeeded", providers.yookassa.view(stored)))
    process_all()

    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED
    assert DomainEvent.objects.filter(name="billing.refund_succeeded").count() == 1
    assert WebhookDelivery.objects.filter(status=Status.PROCESSED).count() == 2


# --- T-Bank ------------------------------------------------------------------------------------------------


def post_tbank(gateway, body: bytes):
    return Client().post(f"/billing/webhooks/tbank/{gateway.endpoint}/", data=body, content_type="application/json")


def test_a_tbank_notification_is_answered_ok_and_applied_once(providers, gateway_for):
    gateway = gateway_for("tbank")
    payment = start(gateway)
    order = providers.tbank.pay(payment.provider_payment_id)
    body = tbank_notification(order)

    first, again = post_tbank(gateway, body), post_tbank(gateway, body)
    process_all()

    assert (first.status_code, first.content, again.status_code, again.content) == (200, b"OK", 200, b"OK")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert WebhookDelivery.objects.get(status=Status.PROCESSED).event_id == f"{order['PaymentId']}:CONFIRMED"
    assert DomainEvent.objects.filter(name="billing.payment_succeeded").count() == 1


def test_a_wrong_tbank_token_or_terminal_is_refused_and_nothing_processed(providers, gateway_for):
    gateway = gateway_for("tbank")
    payment = start(gateway)
    order = providers.tbank.pay(payment.provider_payment_id)

    with assert_nothing_written("billing", "ledger"):
        wrong_password = post_tbank(gateway, tbank_notification(order, password=TBANK_PASSWORD + "x"))
        body = tbank_notification(order).replace(b'"Amount": 99000', b'"Amount": 100')
        assert body != tbank_notification(order)
        tampered = post_tbank(gateway, body)

    assert (wrong_password.status_code, tampered.status_code) == (400, 400)
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {Status.REJECTED}
    process_all()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


def test_a_tbank_rejection_fails_the_payment_and_tells_the_customer(providers, gateway_for):
    gateway = gateway_for("tbank")
    payment = start(gateway)
    order = providers.tbank.by_payment[payment.provider_payment_id]

    post_tbank(gateway, tbank_notification(order, status="REJECTED"))
    process_all()

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED
    assert Notification.objects.get().template == "billing_payment_failed"
    # A stale AUTHORIZED after the final REJECTED changes nothing.
    post_tbank(gateway, tbank_notification(order, status="AUTHORIZED"))
    process_all()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED


def test_a_tbank_refund_notification_settles_the_pending_refund(providers, gateway_for):
    gateway = gateway_for("tbank")
    payment = start(gateway)
    order = providers.tbank.pay(payment.provider_payment_id)
    post_tbank(gateway, tbank_notification(order))
    process_all()
    # T-Bank answers the refund as still in progress; its notification tells the end.
    providers.tbank.fail_next(
        200,
        {
            "Success": True,
            "ErrorCode": "0",
            "TerminalKey": TBANK_TERMINAL,
            "Status": "REFUNDING",
            "PaymentId": order["PaymentId"],
            "OrderId": order["OrderId"],
            "ExternalRequestId": "",
        },
    )
    refund = refund_create(
        payment=Payment.objects.get(pk=payment.pk), amount="990.00", reason="", idempotency_key="r-1", user=None
    )
    assert refund.status == RefundStatus.PENDING
    order["Status"], order["_refunded"] = "REFUNDED", order["Amount"]

    post_tbank(gateway, tbank_notification(order, status="REFUNDED", amount=0))
    process_all()

    assert Refund.objects.get().status == RefundStatus.SUCCEEDED
