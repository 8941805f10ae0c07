"""A payment's life at each provider through the services: started with a key the provider sees, paid by the
customer, captured or canceled, refunded; the provider stubbed at its HTTP transport."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apps.billing.models import PaymentStatus, RefundStatus
from apps.billing.providers import derived_key
from apps.billing.services.payments import payment_cancel, payment_capture, payment_sync
from apps.billing.services.refunds import refund_create
from tests.billing.payment_helpers import started

pytestmark = pytest.mark.django_db

HEADER = {"stripe": "Idempotency-Key", "yookassa": "Idempotence-Key"}


def _pay(providers, payment, **extra):
    stub = getattr(providers, payment.gateway.provider)
    stub.pay(payment.provider_payment_id, **extra)


def _keys_seen(providers, provider: str) -> list[str]:
    stub = getattr(providers, provider)
    if provider == "tbank":
        return [
            seen.body.get("OrderId") or seen.body.get("ExternalRequestId")
            for seen in stub.requests
            if seen.method == "POST" and seen.path.endswith(("Init", "Cancel"))
        ]
    return [key for key in stub.keys(HEADER[provider]) if key]


@pytest.mark.parametrize("provider", ["stripe", "yookassa", "tbank"])
def test_a_payment_starts_with_our_key_and_a_confirmation_url(providers, gateway_for, provider):
    payment = started(gateway_for(provider))

    assert payment.status == PaymentStatus.PENDING
    assert payment.provider_payment_id
    assert payment.confirmation_url.startswith("https://")
    assert _keys_seen(providers, provider) == [payment.provider_key]


@pytest.mark.parametrize("provider", ["stripe", "yookassa", "tbank"])
def test_a_paid_payment_succeeds_and_is_refunded(providers, gateway_for, provider):
    payment = started(gateway_for(provider))
    _pay(providers, payment)

    payment_sync(payment=payment)
    payment.refresh_from_db()
    refund = refund_create(payment=payment, amount="40.00", reason="damaged", idempotency_key="refund-1", user=None)

    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.captured_amount == Decimal("100")
    assert refund.status == RefundStatus.SUCCEEDED
    assert refund.provider_refund_id
    assert _keys_seen(providers, provider)[-1] == refund.provider_key


@pytest.mark.parametrize("provider", ["stripe", "yookassa", "tbank"])
def test_a_two_stage_payment_is_held_then_captured(providers, gateway_for, provider):
    payment = started(gateway_for(provider), two_stage=True)
    _pay(providers, payment)
    payment_sync(payment=payment)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.WAITING_FOR_CAPTURE

    captured = payment_capture(payment=payment)

    assert captured.status == PaymentStatus.SUCCEEDED
    assert captured.captured_amount == Decimal("100")
    last = getattr(providers, provider).requests[-1]
    if provider == "tbank":  # Confirm takes no key: T-Bank confirms a payment once whatever the repeats
        assert (last.path, last.body["PaymentId"]) == ("/v2/Confirm", payment.provider_payment_id)
    else:
        assert last.path.endswith("/capture")
        assert last.headers[HEADER[provider]] == derived_key(payment.provider_key, "capture")


@pytest.mark.parametrize("provider", ["stripe", "yookassa", "tbank"])
def test_a_held_payment_is_canceled(providers, gateway_for, provider):
    payment = started(gateway_for(provider), two_stage=True)
    _pay(providers, payment)
    payment_sync(payment=payment)

    canceled = payment_cancel(payment=payment)

    assert canceled.status == PaymentStatus.CANCELED
    assert canceled.captured_amount == 0
    last = getattr(providers, provider).requests[-1]
    assert last.path.endswith(("/cancel", "/Cancel"))
    if provider != "tbank":
        assert last.headers[HEADER[provider]] == derived_key(payment.provider_key, "cancel")


def test_a_tbank_payment_synced_after_a_partial_refund_stays_as_it_was(providers, gateway_for):
    payment = started(gateway_for("tbank"))
    _pay(providers, payment)
    payment_sync(payment=payment)
    refund_create(payment=payment, amount="40.00", reason="", idempotency_key="r1", user=None)

    changed = payment_sync(payment=payment)  # GetState now says PARTIAL_REFUNDED, Amount 6000

    payment.refresh_from_db()
    assert changed == []
    assert (payment.status, payment.captured_amount, payment.amount_mismatch) == (
        PaymentStatus.SUCCEEDED,
        Decimal("100"),
        False,
    )
