"""The provider's fee of a Stripe payment, asked for after the payment succeeded (Stripe's events never carry
it): right after the handling's commit, outside its transaction; then, while Stripe is out of reach or has not
settled the charge, by a task of its own that waits longer each time; then by the sweeper, when the task's
message was lost or it gave up. The fee is booked once however often it is asked for. Stripe is stubbed at its
HTTP transport."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from celery.exceptions import MaxRetriesExceededError
from django.db import connection, transaction
from django.utils import timezone

from apps.billing.models import Payment, PaymentStatus
from apps.billing.providers import PaymentState
from apps.billing.services.payments import (
    PAYMENT_FEE_FETCH_TASK,
    fee_retry_delay,
    payment_apply_state,
    payment_fee_fetch_later,
)
from apps.billing.services.sweeper import FEE_AFTER, FEE_GIVE_UP, payments_sweep
from apps.billing.tasks import FEE_RETRIES, payment_fee_fetch_task
from apps.ledger.models import Transaction
from tests.billing.payment_helpers import started as started_at
from tests.helpers import run_queued_tasks

pytestmark = pytest.mark.django_db

OUTAGE = {"error": {"type": "api_error", "message": "Service unavailable"}}


def started(gateway, *, key: str, currency: str = "USD", **fields) -> Payment:
    return started_at(gateway, key=key, currency=currency, **fields)


def applied_success(payment: Payment) -> Payment:
    """The provider says the payment succeeded, as a webhook's handling applies it: nothing said of the fee."""
    payment_apply_state(
        payment=payment,
        state=PaymentState(
            provider_id=payment.provider_payment_id,
            status=PaymentStatus.SUCCEEDED,
            amount=payment.amount,
            currency=payment.currency_id,
            captured_amount=payment.amount,
        ),
    )
    payment.refresh_from_db()
    assert (payment.status, payment.fee) == (PaymentStatus.SUCCEEDED, None)
    return payment


def succeeded(providers, gateway, *, fee: int = 320, key: str = "order-1") -> Payment:
    """A payment the customer paid on Stripe's Checkout (its charge carries the fee), applied as the event's
    session says: succeeded, the fee unknown."""
    payment = started(gateway, key=key)
    providers.stripe.pay(payment.provider_payment_id, fee=fee)
    return applied_success(payment)


def fee_postings(payment: Payment) -> int:
    return Transaction.objects.filter(
        organization_id=payment.organization_id, idempotency_key__startswith="billing:stripe:fee:"
    ).count()


def stripe_gets(providers) -> int:
    return len([seen for seen in providers.stripe.requests if seen.method == "GET"])


def unsettle(providers, payment: Payment) -> dict:
    """Stripe has not settled the charge yet: its balance transaction, which carries the fee, is still null."""
    intent = providers.stripe.intents[providers.stripe.sessions[payment.provider_payment_id]["payment_intent"]]
    balance = intent["latest_charge"]["balance_transaction"]
    intent["latest_charge"]["balance_transaction"] = None
    return balance


@pytest.mark.django_db(transaction=True)
def test_the_fee_is_asked_for_after_the_commit_and_by_a_task_when_stripe_is_away_then(providers, gateway_for):
    payment = succeeded(providers, gateway_for("stripe"))
    asked = []  # for each request to Stripe: was a transaction open when it was sent?
    answer = providers.stripe.handle
    providers.stripe.handle = lambda seen: (asked.append(connection.in_atomic_block), answer(seen))[1]
    providers.stripe.fail_next(503, OUTAGE)

    with transaction.atomic():  # the caller's transaction (a webhook's handling)
        payment_fee_fetch_later(payment=payment)
        assert stripe_gets(providers) == 0  # nothing is asked before the commit

    assert stripe_gets(providers) == 1  # asked once the caller committed, and Stripe was away
    payment.refresh_from_db()
    assert payment.fee is None
    # The task queued for later (in half a minute) asks again, and books the fee.
    assert run_queued_tasks(PAYMENT_FEE_FETCH_TASK) == ["known"]
    payment.refresh_from_db()
    assert payment.fee == Decimal("3.2")
    assert fee_postings(payment) == 1
    assert asked == [False]  # the request that was answered; the outage was answered before the stub


def test_the_fee_task_asks_again_while_stripe_is_out_of_reach_and_books_the_fee_once(providers, gateway_for):
    payment = succeeded(providers, gateway_for("stripe"))
    providers.stripe.fail_next(503, OUTAGE)
    providers.stripe.fail_next(503, OUTAGE)

    assert payment_fee_fetch_task.apply(args=[payment.pk]).get() == "known"

    payment.refresh_from_db()
    assert (payment.fee, payment.net) == (Decimal("3.2"), Decimal("96.8"))
    assert stripe_gets(providers) == 3  # two outages, then the answer
    assert fee_postings(payment) == 1
    # Asked for again (a second message, the sweeper): the fee is known, so Stripe is not asked, nothing booked.
    assert payment_fee_fetch_task.apply(args=[payment.pk]).get() == "known"
    assert (stripe_gets(providers), fee_postings(payment)) == (3, 1)


def test_a_charge_stripe_has_not_settled_is_asked_about_again_then_left_to_the_sweeper(providers, gateway_for):
    payment = succeeded(providers, gateway_for("stripe"))
    balance = unsettle(providers, payment)

    with pytest.raises(MaxRetriesExceededError):
        payment_fee_fetch_task.apply(args=[payment.pk]).get()

    assert stripe_gets(providers) == 1 + FEE_RETRIES
    payment.refresh_from_db()
    assert payment.fee is None
    assert fee_postings(payment) == 0
    # The task's first run waits half a minute, each retry longer, up to an hour: about three hours in all
    # before the sweeper takes over.
    waits = [fee_retry_delay(n) for n in range(FEE_RETRIES + 1)]
    assert waits == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]

    # Stripe settles the charge; the sweeper's next run, four hours after the payment, books the fee.
    providers.stripe.intents[providers.stripe.sessions[payment.provider_payment_id]["payment_intent"]]["latest_charge"][
        "balance_transaction"
    ] = balance
    summary = payments_sweep(now=payment.succeeded_at + FEE_AFTER + dt.timedelta(minutes=1))
    assert summary.fees == 1
    payment.refresh_from_db()
    assert payment.fee == Decimal("3.2")
    assert fee_postings(payment) == 1
    assert payments_sweep(now=timezone.now() + FEE_AFTER).fees == 0


def test_the_sweeper_asks_only_for_fees_stripe_tells_within_three_days(providers, gateway_for, organization):
    stripe_gateway = gateway_for("stripe")
    fresh = succeeded(providers, stripe_gateway, key="fresh")
    old = succeeded(providers, stripe_gateway, key="old")
    Payment.objects.filter(pk=old.pk).update(succeeded_at=timezone.now() - FEE_GIVE_UP - dt.timedelta(hours=1))
    # A YooKassa notification without income_amount: its fee is not Stripe's to be asked for later.
    yookassa = applied_success(started(gateway_for("yookassa"), key="order-2", amount="1000.00", currency="RUB"))
    gets_before = stripe_gets(providers)

    # Within four hours of the payment the fee task may still be at work: the sweeper leaves it.
    assert payments_sweep(now=fresh.succeeded_at + FEE_AFTER - dt.timedelta(minutes=1)).fees == 0
    assert stripe_gets(providers) == gets_before

    summary = payments_sweep(now=fresh.succeeded_at + FEE_AFTER + dt.timedelta(minutes=1))

    assert (summary.fees, summary.unreachable) == (1, 0)
    assert stripe_gets(providers) == gets_before + 1  # the fresh Stripe payment only
    fresh.refresh_from_db()
    old.refresh_from_db()
    yookassa.refresh_from_db()
    assert (fresh.fee, old.fee, yookassa.fee) == (Decimal("3.2"), None, None)
