"""Payments and refunds through the services, with the provider stubbed at its transport: retries reach the
same provider object, provider states apply once and in any order, money is never refunded twice, and the
books receive each event exactly once."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction

from apps.billing.models import Payment, PaymentStatus, Refund, RefundStatus, UnmatchedRefund
from apps.billing.providers import PaymentState, ProviderError, RefundState
from apps.billing.selectors import payment_is_fully_refunded, payment_refunded_amount
from apps.billing.services import payments as payments_module
from apps.billing.services.payments import payment_apply_state, payment_sync
from apps.billing.services.refunds import refund_apply_state, refund_create
from apps.core.mechanisms.idempotency import is_replay
from apps.ledger.models import AccountBalance, InvoiceStatus, Transaction
from tests.billing.payment_helpers import started
from tests.billing.provider_stubs import Crash
from tests.helpers import assert_nothing_written, run_in_threads
from tests.ledger.factories import InvoiceFactory

pytestmark = pytest.mark.django_db


def _paid(providers, gateway, **extra) -> Payment:
    payment = started(gateway, **extra)
    getattr(providers, gateway.provider).pay(payment.provider_payment_id)
    payment_sync(payment=payment)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    return payment


def _state(payment: Payment, **changes) -> PaymentState:
    base = PaymentState(
        provider_id=payment.provider_payment_id,
        status=PaymentStatus.SUCCEEDED,
        amount=payment.amount,
        currency=payment.currency_id,
        captured_amount=payment.amount,
    )
    return dataclasses.replace(base, **changes)


def _balances(gateway) -> dict[str, Decimal]:
    gateway.refresh_from_db()
    rows = AccountBalance.objects.filter(organization_id=gateway.organization_id).select_related("account")
    return {row.account.code: row.balance for row in rows}


# --- retries reach the same provider object -------------------------------------------------------------


def test_a_repeated_start_returns_the_first_payment_and_asks_the_provider_nothing(providers, gateway_for):
    gateway = gateway_for("yookassa")
    first = started(gateway)

    again = started(gateway)

    assert again.pk == first.pk
    assert is_replay(again)
    assert len(providers.yookassa.requests) == 1


def test_a_key_reused_for_another_amount_is_refused(providers, gateway_for):
    gateway = gateway_for("yookassa")
    started(gateway)

    with pytest.raises(ValidationError, match="already used for a different request"):
        started(gateway, amount="150.00")


@pytest.mark.parametrize("provider", ["yookassa", "stripe", "tbank"])
def test_a_worker_killed_after_the_provider_answered_is_retried_with_the_same_key(
    providers, gateway_for, provider, monkeypatch
):
    gateway = gateway_for(provider)
    apply_for_real = payments_module.payment_apply_state

    def killed_before_commit(**kwargs):
        apply_for_real(**kwargs)  # the provider's answer written, in the transaction that never commits
        raise Crash("worker killed")

    monkeypatch.setattr(payments_module, "payment_apply_state", killed_before_commit)
    with pytest.raises(Crash):
        started(gateway)
    stored = Payment.objects.get(organization=gateway.organization)
    assert stored.provider_payment_id == ""  # the answer was lost with the worker
    monkeypatch.setattr(payments_module, "payment_apply_state", apply_for_real)

    payment = started(gateway)

    stub = getattr(providers, provider)
    if provider == "tbank":
        sent = [seen.body["OrderId"] for seen in stub.requests]
        made = len(stub.orders)
    else:
        header = {"stripe": "Idempotency-Key", "yookassa": "Idempotence-Key"}[provider]
        sent = stub.keys(header)
        made = len(stub.sessions if provider == "stripe" else stub.payments)
    assert sent == [payment.provider_key, payment.provider_key]
    assert made == 1  # one provider object, whatever the retries
    assert payment.pk == stored.pk
    assert payment.provider_payment_id


def test_a_provider_refusal_fails_the_payment(providers, gateway_for):
    gateway = gateway_for("yookassa")
    providers.yookassa.fail_next(
        400,
        {
            "type": "error",
            "id": "ab1",
            "code": "invalid_request",
            "description": "Invalid amount",
            "parameter": "amount",
        },
    )

    with pytest.raises(ProviderError, match="invalid_request"):
        started(gateway)

    payment = Payment.objects.get(organization=gateway.organization)
    assert payment.status == PaymentStatus.FAILED
    assert "Invalid amount" in payment.failure_reason


def test_an_unreachable_provider_leaves_the_payment_pending_for_a_retry(providers, gateway_for):
    gateway = gateway_for("yookassa")
    providers.yookassa.fail_next(500, {"type": "error", "code": "internal_server_error", "description": "Try later"})

    with pytest.raises(ProviderError, match="internal_server_error") as error:
        started(gateway)
    assert error.value.temporary
    assert Payment.objects.get(organization=gateway.organization).status == PaymentStatus.PENDING

    payment = started(gateway)
    assert payment.provider_payment_id


# --- provider states ------------------------------------------------------------------------------------


def test_an_amount_other_than_the_one_asked_is_flagged_not_applied(providers, gateway_for):
    payment = started(gateway_for("yookassa"))

    changed = payment_apply_state(
        payment=payment, state=_state(payment, amount=Decimal("10.00"), captured_amount=Decimal("10.00"))
    )

    payment.refresh_from_db()
    assert "amount_mismatch" in changed
    assert payment.amount_mismatch
    assert "10.00" in payment.mismatch_note
    assert payment.status == PaymentStatus.PENDING
    assert not Transaction.objects.filter(organization=payment.organization).exists()


def test_a_stale_status_after_a_final_one_is_ignored(providers, gateway_for):
    payment = started(gateway_for("yookassa"), two_stage=True)
    payment_apply_state(payment=payment, state=_state(payment))

    stale = payment_apply_state(
        payment=payment, state=_state(payment, status=PaymentStatus.WAITING_FOR_CAPTURE, captured_amount=None)
    )
    late_cancel = payment_apply_state(payment=payment, state=_state(payment, status=PaymentStatus.CANCELED))

    payment.refresh_from_db()
    assert stale == late_cancel == []
    assert payment.status == PaymentStatus.SUCCEEDED


def test_states_arriving_out_of_order_end_right(providers, gateway_for):
    payment = started(gateway_for("yookassa"), two_stage=True)

    payment_apply_state(payment=payment, state=_state(payment))  # succeeded arrives first
    payment_apply_state(payment=payment, state=_state(payment, status=PaymentStatus.WAITING_FOR_CAPTURE))

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED


def test_the_database_refuses_a_final_status_going_back(providers, gateway_for):
    payment = started(gateway_for("yookassa"))
    payment_apply_state(payment=payment, state=_state(payment))

    with (
        pytest.raises(IntegrityError, match="cannot go from succeeded to pending"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE billing_payment SET status = 'pending' WHERE id = %s", [payment.pk])


# --- books ----------------------------------------------------------------------------------------------


def test_a_succeeded_payment_and_its_fee_are_posted_exactly_once(providers, gateway_for):
    payment = started(gateway_for("yookassa"))
    state = _state(payment, fee=Decimal("3.50"))

    payment_apply_state(payment=payment, state=state)
    payment_apply_state(payment=payment, state=state)
    payment_sync(payment=payment)  # the provider's word once more

    payment.refresh_from_db()
    keys = sorted(
        Transaction.objects.filter(organization=payment.organization).values_list("idempotency_key", flat=True)
    )
    assert keys == [
        f"billing:yookassa:fee:{payment.provider_payment_id}",
        f"billing:yookassa:payment:{payment.provider_payment_id}",
    ]
    assert (payment.fee, payment.net) == (Decimal("3.50"), Decimal("96.50"))
    balances = _balances(payment.gateway)
    assert balances[f"PSP{payment.gateway_id}-RUB"] == Decimal("96.50")
    assert balances["SALES-RUB"] == Decimal("-100")
    assert balances["PSPFEE-RUB"] == Decimal("3.50")


def test_an_invoice_is_paid_when_its_payment_succeeds(providers, gateway_for, organization):
    invoice = InvoiceFactory(organization=organization, issued=True)  # 2 × 500
    gateway = gateway_for("yookassa")

    payment = _paid(providers, gateway, amount="1000.00", purpose=invoice)

    invoice.refresh_from_db()
    assert payment.purpose_type == "ledger.invoice"
    assert invoice.status == InvoiceStatus.PAID
    assert invoice.paid_amount == Decimal("1000")
    assert _balances(gateway)[f"PSP{gateway.pk}-RUB"] == Decimal("1000")
    assert _balances(gateway)["AR-RUB"] == 0  # the receivable the invoice opened is settled


# --- refunds --------------------------------------------------------------------------------------------


def test_refunds_of_30_30_and_40_refund_a_payment_of_100_and_the_books_net_to_zero(providers, gateway_for):
    gateway = gateway_for("yookassa")
    payment = _paid(providers, gateway)

    for n, amount in enumerate(["30.00", "30.00", "40.00"]):
        refund_create(payment=payment, amount=amount, reason="returned", idempotency_key=f"r{n}", user=None)

    assert payment_refunded_amount(payment=payment) == Decimal("100")
    assert payment_is_fully_refunded(payment=payment)
    assert set(Refund.objects.filter(payment=payment).values_list("status", flat=True)) == {RefundStatus.SUCCEEDED}
    balances = _balances(gateway)
    assert balances[f"PSP{gateway.pk}-RUB"] == 0
    assert balances["SALES-RUB"] == 0


def test_a_refund_beyond_what_is_left_is_refused_and_writes_nothing(providers, gateway_for, english):
    payment = _paid(providers, gateway_for("yookassa"))
    for n, amount in enumerate(["30.00", "30.00", "40.00"]):
        refund_create(payment=payment, amount=amount, reason="", idempotency_key=f"r{n}", user=None)
    sent = len(providers.yookassa.requests)

    with assert_nothing_written("billing", "ledger"), pytest.raises(ValidationError) as error:
        refund_create(payment=payment, amount="0.01", reason="", idempotency_key="r4", user=None)

    assert "0.01" in str(error.value)
    assert "0.00" in str(error.value)  # what is left
    assert len(providers.yookassa.requests) == sent


def test_a_repeated_refund_key_refunds_once(providers, gateway_for):
    payment = _paid(providers, gateway_for("stripe"))

    first = refund_create(payment=payment, amount="25.00", reason="", idempotency_key="r1", user=None)
    again = refund_create(payment=payment, amount="25.00", reason="", idempotency_key="r1", user=None)

    assert again.pk == first.pk
    assert is_replay(again)
    assert len(providers.stripe.refunds) == 1


def test_the_database_refuses_an_over_refund_written_by_raw_sql(providers, gateway_for):
    payment = _paid(providers, gateway_for("yookassa"))
    refund_create(payment=payment, amount="70.00", reason="", idempotency_key="r1", user=None)

    with (
        pytest.raises(IntegrityError, match="more than the 100.00000000 captured"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            """INSERT INTO billing_refund (organization_id, payment_id, amount, status, provider_refund_id,
                   idempotency_key, provider_key, reason, receipt, failure_reason, created_at, updated_at)
                   VALUES (%s, %s, 30.01, 'pending', '', 'raw', '', '', '{}', '', now(), now())""",
            [payment.organization_id, payment.pk],
        )


def test_a_refund_reported_before_its_payment_is_known_is_applied_when_it_is(providers, gateway_for):
    gateway = gateway_for("yookassa")
    payment = started(gateway)
    early = RefundState(
        provider_id="2f1f7d2e-0015-5000-9000-1d4e3c2b1a00",
        provider_payment_id=payment.provider_payment_id,
        status=RefundStatus.SUCCEEDED,
        amount=Decimal("20.00"),
        currency="RUB",
    )

    assert refund_apply_state(gateway=gateway, state=early) == ["unmatched"]
    assert not Refund.objects.exists()
    payment_apply_state(payment=payment, state=_state(payment))

    refund = Refund.objects.get(payment=payment)
    assert (refund.amount, refund.status, refund.provider_refund_id) == (
        Decimal("20.00"),
        RefundStatus.SUCCEEDED,
        early.provider_id,
    )
    assert UnmatchedRefund.objects.get().applied_at is not None
    assert refund_apply_state(gateway=gateway, state=early) == []  # a repeat changes nothing
    assert _balances(gateway)[f"PSP{gateway.pk}-RUB"] == Decimal("80")


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_refunds_of_60_from_100_only_one_goes_through(providers, gateway_for):
    payment = _paid(providers, gateway_for("yookassa"))

    results = run_in_threads(
        lambda i: refund_create(payment=payment, amount="60.00", reason="", idempotency_key=f"race-{i}", user=None),
        2,
        raises=False,
    )

    made = [result for result in results if isinstance(result, Refund)]
    refused = [result for result in results if isinstance(result, ValidationError)]
    assert len(made) == 1
    assert len(refused) == 1
    assert Refund.objects.filter(payment=payment).count() == 1
    assert len(providers.yookassa.refunds) == 1


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_starts_with_one_key_make_one_payment_and_one_provider_object(providers, gateway_for):
    gateway = gateway_for("yookassa")

    results = run_in_threads(lambda i: started(gateway, key="double-click"), 2)

    assert results[0].pk == results[1].pk
    assert Payment.objects.count() == 1
    assert len(providers.yookassa.payments) == 1


def test_a_refund_the_provider_refuses_is_canceled_and_frees_its_amount(providers, gateway_for):
    payment = _paid(providers, gateway_for("yookassa"))
    providers.yookassa.fail_next(
        400, {"type": "error", "id": "e1", "code": "invalid_request", "description": "Refund is not allowed"}
    )

    with pytest.raises(ProviderError, match="invalid_request"):
        refund_create(payment=payment, amount="100.00", reason="", idempotency_key="r1", user=None)

    assert Refund.objects.get(payment=payment).status == RefundStatus.CANCELED
    assert payment_refunded_amount(payment=payment) == 0
    refund_create(payment=payment, amount="100.00", reason="", idempotency_key="r2", user=None)
    assert payment_is_fully_refunded(payment=payment)


def test_a_refund_carries_a_receipt_when_its_payment_had_one(providers, gateway_for):
    items = [{"description": "Тариф «Старт»", "quantity": Decimal(1), "amount": Decimal("100.00"), "vat_code": 1}]
    payment = _paid(providers, gateway_for("yookassa"), receipt_items=items, customer_email="buyer@example.com")

    refund_create(payment=payment, amount="40.00", reason="", idempotency_key="r1", user=None)

    sent = providers.yookassa.requests[-1]
    assert sent.path == "/v3/refunds"
    assert sent.body["receipt"]["customer"] == {"email": "buyer@example.com"}
    assert sent.body["receipt"]["items"][0]["amount"] == {"value": "40.00", "currency": "RUB"}


def test_a_viewer_may_not_refund(providers, gateway_for, member_of):
    payment = _paid(providers, gateway_for("yookassa"))
    viewer = member_of(payment.organization, role="viewer")

    with assert_nothing_written("billing"), pytest.raises(PermissionDenied):
        refund_create(payment=payment, amount="10.00", reason="", idempotency_key="r1", user=viewer)


def test_a_payment_for_an_invoice_that_cannot_take_it_is_booked_as_income_with_a_note(
    providers, gateway_for, organization, english
):
    invoice = InvoiceFactory(organization=organization, issued=True)  # 1000 due
    gateway = gateway_for("yookassa")

    payment = _paid(providers, gateway, amount="1500.00", purpose=invoice)

    invoice.refresh_from_db()
    assert invoice.paid_amount == 0
    assert "still due on INV-2026-000001" in payment.metadata["books_note"]
    assert _balances(gateway)[f"PSP{gateway.pk}-RUB"] == Decimal("1500")


def test_the_database_refuses_an_amount_finer_than_its_currency(gateway_for):
    gateway = gateway_for("yookassa")

    with (
        pytest.raises(IntegrityError, match="more decimals than RUB allows"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            """INSERT INTO billing_payment (organization_id, gateway_id, amount, currency_id, status,
               provider_payment_id, purpose_type, purpose_id, description, idempotency_key, provider_key,
               confirmation_url, return_url, capture_mode, captured_amount, receipt, customer_email,
               customer_phone, amount_mismatch, mismatch_note, metadata, failure_reason, created_at, updated_at)
               VALUES (%s, %s, 10.001, 'RUB', 'pending', '', '', '', '', 'raw', '', '', '', 'one_stage', 0, '{}',
               '', '', false, '', '{}', '', now(), now())""",
            [gateway.organization_id, gateway.pk],
        )


def test_the_service_refuses_an_amount_finer_than_its_currency(providers, gateway_for, english):
    gateway = gateway_for("yookassa")

    with assert_nothing_written("billing"), pytest.raises(ValidationError, match="more decimals than RUB allows"):
        started(gateway, amount="10.001")

    assert providers.yookassa.requests == []
