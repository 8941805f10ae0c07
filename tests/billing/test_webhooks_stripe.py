"""Stripe's webhooks through the real view and core's inbox: signature and tolerance, exactly-once effects under
concurrent redelivery, order independence, and subscriptions mirrored from invoices."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test import Client

from apps.billing.models import Payment, PaymentStatus, Plan, Refund, RefundStatus, Resource, Subscription
from apps.billing.models.plans import limit_in_force
from apps.core.mechanisms.notifications import notification_send
from apps.core.mechanisms.webhooks import webhook_delivery_process, webhook_delivery_reprocess
from apps.core.models import AuditLog, DomainEvent, Notification, User, WebhookDelivery
from apps.core.tasks import webhook_delivery_process_task
from apps.ledger.models import Transaction
from tests.billing.payment_helpers import process_all, started
from tests.billing.plan_helpers import catalogue
from tests.billing.webhook_payloads import (
    stripe_event,
    stripe_intent,
    stripe_invoice,
    stripe_refund,
    stripe_session,
    stripe_signature,
)
from tests.helpers import assert_nothing_written, run_in_threads

Status = WebhookDelivery.Status


@pytest.fixture
def gateway(gateway_for):
    from tests.billing.webhook_payloads import STRIPE_SECRET

    return gateway_for("stripe", webhook_secret=STRIPE_SECRET)


def url(gateway) -> str:
    return f"/billing/webhooks/stripe/{gateway.endpoint}/"


def post(gateway, body: bytes, *, signature: str | None = None, client: Client | None = None):
    return (client or Client()).post(
        url(gateway),
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature if signature is not None else stripe_signature(body),
    )


def start(gateway, *, email="anna@example.com", amount="100.00") -> Payment:
    return started(
        gateway,
        key=f"order-{time.monotonic_ns()}",
        amount=amount,
        currency="USD",
        description="Order 7",
        customer_email=email,
    )


def ledger_of(payment: Payment):
    return Transaction.objects.filter(organization_id=payment.organization_id, idempotency_key__contains="payment:")


@pytest.mark.django_db(transaction=True)
def test_one_event_delivered_50_times_at_once_then_3_more_has_one_effect_and_every_delivery_is_answered_2xx(
    providers, gateway
):
    payment = start(gateway)
    intent = providers.stripe.pay(payment.provider_payment_id, fee=320)
    body = stripe_event("checkout.session.completed", stripe_session(providers.stripe, payment.provider_payment_id))

    asked = []  # for each request to Stripe: was a database transaction open in the thread that sent it?
    answer = providers.stripe.handle
    providers.stripe.handle = lambda seen: (asked.append((seen.method, connection.in_atomic_block)), answer(seen))[1]

    responses = run_in_threads(lambda _i: post(gateway, body), 50)
    assert [response.status_code for response in responses] == [200] * 50
    ids = list(WebhookDelivery.objects.values_list("pk", flat=True))
    run_in_threads(lambda i: webhook_delivery_process_task.apply(args=[ids[i]]).get(), len(ids))

    later = [post(gateway, body) for _ in range(3)]
    assert [response.status_code for response in later] == [200] * 3
    for pk in WebhookDelivery.objects.values_list("pk", flat=True):
        webhook_delivery_process_task.apply(args=[pk]).get()

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.metadata["provider_reference"] == intent["id"]
    # The event's objects are not expanded, so the fee is asked of Stripe once, after the handling committed:
    # no HTTP call is made while the delivery's lock and transaction are held.
    assert payment.fee == Decimal("3.2")
    assert asked == [("GET", False)]
    statuses = sorted(WebhookDelivery.objects.values_list("status", flat=True))
    assert statuses == [Status.DUPLICATE] * 52 + [Status.PROCESSED]
    states = AuditLog.objects.filter(action="billing.payment.state", object_id=str(payment.pk))
    assert [
        entry.changes["status"] for entry in states if entry.changes["status"][0] != entry.changes["status"][1]
    ] == [["pending", "succeeded"]]
    income = Transaction.objects.filter(idempotency_key__startswith="billing:stripe:payment:")
    fees = Transaction.objects.filter(idempotency_key__startswith="billing:stripe:fee:")
    assert (income.count(), fees.count()) == (1, 1)
    assert DomainEvent.objects.filter(name="billing.payment_succeeded").count() == 1
    receipt = Notification.objects.get(template="billing_payment_receipt")
    notification_send(receipt.pk)
    notification_send(receipt.pk)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["anna@example.com"]
    assert "100" in mail.outbox[0].subject


@pytest.mark.django_db
def test_a_bad_signature_is_refused_with_400_and_nothing_processed(providers, gateway):
    payment = start(gateway)
    providers.stripe.pay(payment.provider_payment_id)
    body = stripe_event("checkout.session.completed", stripe_session(providers.stripe, payment.provider_payment_id))

    with assert_nothing_written("billing", "ledger"):
        wrong_secret = post(gateway, body, signature=stripe_signature(body, secret="whsec_someone_else"))
        tampered = post(gateway, body.replace(b"complete", b"completE"), signature=stripe_signature(body))
        unsigned = post(gateway, body, signature="")

    assert [r.status_code for r in (wrong_secret, tampered, unsigned)] == [400, 400, 400]
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {Status.REJECTED}
    assert "signature" in WebhookDelivery.objects.first().error.lower()
    process_all()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


@pytest.mark.django_db
def test_a_timestamp_older_than_300_seconds_is_refused(providers, gateway):
    payment = start(gateway)
    providers.stripe.pay(payment.provider_payment_id)
    body = stripe_event("checkout.session.completed", stripe_session(providers.stripe, payment.provider_payment_id))

    response = post(gateway, body, signature=stripe_signature(body, timestamp=int(time.time()) - 301))

    assert response.status_code == 400
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == Status.REJECTED
    assert "tolerance" in delivery.error.lower()
    assert not DomainEvent.objects.exists()


@pytest.mark.django_db
def test_an_unknown_endpoint_and_a_live_event_at_a_test_gateway_are_refused(providers, gateway):
    body = stripe_event("checkout.session.completed", {"id": "cs_test_x"}, livemode=True)

    assert post(gateway, body).status_code == 400
    assert (
        Client().post("/billing/webhooks/stripe/not-a-gateway/", data=body, content_type="application/json").status_code
        == 400
    )


@pytest.mark.django_db
def test_a_refund_before_its_payment_is_kept_and_applied_when_the_payment_succeeds(providers, gateway):
    payment = start(gateway)
    intent = providers.stripe.pay(payment.provider_payment_id)
    refund = stripe_refund(intent["id"], 3000, refund_id="re_3QEarly000001")

    post(gateway, stripe_event("refund.created", refund))
    process_all()
    assert not Refund.objects.exists()

    post(gateway, stripe_event("payment_intent.succeeded", stripe_intent(providers.stripe, intent["id"])))
    process_all()

    refund_row = Refund.objects.get()
    assert (refund_row.status, refund_row.amount, refund_row.payment_id) == (
        RefundStatus.SUCCEEDED,
        Decimal("30"),
        payment.pk,
    )
    assert DomainEvent.objects.filter(name="billing.refund_succeeded").count() == 1
    assert Transaction.objects.filter(idempotency_key="billing:stripe:refund:re_3QEarly000001").count() == 1


@pytest.mark.django_db
def test_a_stale_status_after_a_final_one_changes_nothing(providers, gateway):
    payment = start(gateway)
    intent = providers.stripe.pay(payment.provider_payment_id)
    post(gateway, stripe_event("payment_intent.succeeded", stripe_intent(providers.stripe, intent["id"])))
    process_all()

    late = stripe_intent(providers.stripe, intent["id"], status="canceled", amount_received=0)
    post(gateway, stripe_event("payment_intent.canceled", late))
    expired = {**stripe_session(providers.stripe, payment.provider_payment_id), "status": "expired"}
    post(gateway, stripe_event("checkout.session.expired", expired))
    process_all()

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {Status.PROCESSED}
    assert not DomainEvent.objects.filter(name="billing.payment_failed").exists()


@pytest.mark.django_db
def test_an_amount_other_than_asked_is_flagged_and_not_applied(providers, gateway):
    payment = start(gateway)
    intent = providers.stripe.pay(payment.provider_payment_id)
    wrong = stripe_intent(providers.stripe, intent["id"], amount=100, amount_received=100)

    post(gateway, stripe_event("payment_intent.succeeded", wrong))
    process_all()

    payment.refresh_from_db()
    assert (payment.status, payment.amount_mismatch) == (PaymentStatus.PENDING, True)
    assert not ledger_of(payment).exists()
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_an_unhandled_event_type_is_processed_and_changes_nothing(providers, gateway):
    post(gateway, stripe_event("customer.created", {"id": "cus_QKontora", "object": "customer"}))
    process_all()

    assert WebhookDelivery.objects.get().status == Status.PROCESSED


@pytest.mark.django_db
def test_a_payment_a_rule_refuses_fails_its_delivery_with_the_reason_and_is_applied_once_the_cause_is_fixed(
    providers, gateway
):
    # The code the gateway's clearing account would get is taken by an account in another currency: booking
    # the payment is refused. The delivery must not pass for processed with nothing applied.
    from apps.ledger.models import Account

    taken = Account.objects.create(
        organization=gateway.organization, code=f"PSP{gateway.pk}-USD", name="Old", type="asset", currency_id="EUR"
    )
    payment = start(gateway)
    providers.stripe.pay(payment.provider_payment_id, fee=320)
    post(
        gateway,
        stripe_event("checkout.session.completed", stripe_session(providers.stripe, payment.provider_payment_id)),
    )

    process_all()

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == Status.FAILED
    assert f"PSP{gateway.pk}-USD" in delivery.error
    assert delivery.next_attempt_at is not None  # tried again with the inbox's backoff
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert not ledger_of(payment).exists()

    taken.code = "OLD-EUR"  # what the bookkeeper does, told by the error
    taken.save(update_fields=["code"])
    assert webhook_delivery_process(delivery_id=delivery.pk).status == Status.PROCESSED
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert ledger_of(payment).count() == 1


@pytest.mark.django_db
def test_invoice_paid_activates_the_subscription_and_a_replay_does_not_extend_it_twice(
    providers, gateway_for, organization, other_organization
):
    from tests.billing.webhook_payloads import STRIPE_SECRET

    catalogue()
    platform = gateway_for("stripe", organization=other_organization, webhook_secret=STRIPE_SECRET, is_platform=True)
    plan = Plan.objects.get(code="pro")
    subscription = Subscription.objects.create(
        organization=organization,
        plan=plan,
        price=plan.prices.get(currency_id="USD", period="month"),
        status="incomplete",
        started_at=dt.datetime(2026, 12, 5, tzinfo=dt.UTC),
    )
    free_seats = limit_in_force(organization, Resource.SEATS)
    start_at = int(dt.datetime(2026, 12, 5, tzinfo=dt.UTC).timestamp())
    end_at = int(dt.datetime(2027, 1, 5, tzinfo=dt.UTC).timestamp())
    invoice = stripe_invoice(
        invoice_id="in_1QKontora0001",
        subscription_id="sub_1QKontora0001",
        metadata={"kontora_subscription": str(subscription.pk)},
        start=start_at,
        end=end_at,
    )

    assert post(platform, stripe_event("invoice.paid", invoice)).status_code == 200
    process_all()

    subscription.refresh_from_db()
    assert subscription.status == "active"
    assert subscription.provider_subscription_id == "sub_1QKontora0001"
    assert subscription.current_period_end == dt.datetime(2027, 1, 5, tzinfo=dt.UTC)
    assert limit_in_force(organization, Resource.SEATS) == plan.limits()[Resource.SEATS] != free_seats
    assert DomainEvent.objects.filter(name="billing.subscription_changed", organization=organization).count() == 1

    # The same invoice again under another event id, and the processed delivery run again by an operator.
    post(platform, stripe_event("invoice.paid", invoice))
    process_all()
    superuser = User.objects.create_superuser(email="root@example.com", password="x")
    first = WebhookDelivery.objects.order_by("pk").first()
    webhook_delivery_reprocess(delivery=first, user=superuser)
    process_all()

    subscription.refresh_from_db()
    assert subscription.current_period_end == dt.datetime(2027, 1, 5, tzinfo=dt.UTC)
    assert AuditLog.objects.filter(action="billing.subscription.activate").count() == 1
    assert DomainEvent.objects.filter(name="billing.subscription_changed", organization=organization).count() == 1


@pytest.mark.django_db
def test_an_organization_s_own_stripe_account_cannot_change_a_plan(providers, gateway, organization):
    catalogue()
    plan = Plan.objects.get(code="pro")
    subscription = Subscription.objects.create(
        organization=organization,
        plan=plan,
        price=plan.prices.get(currency_id="USD", period="month"),
        status="incomplete",
        started_at=dt.datetime(2026, 12, 5, tzinfo=dt.UTC),
    )
    invoice = stripe_invoice(
        invoice_id="in_1QForged0001",
        subscription_id="sub_1QForged0001",
        metadata={"kontora_subscription": str(subscription.pk)},
        start=1_796_000_000,
        end=1_798_600_000,
    )

    post(gateway, stripe_event("invoice.paid", invoice))
    process_all()

    subscription.refresh_from_db()
    assert subscription.status == "incomplete"


@pytest.fixture
def stripe_subscription(gateway_for, organization, other_organization):
    """An organization subscribed to «pro» through the platform's Stripe account, and that gateway."""
    from tests.billing.plan_helpers import subscribed
    from tests.billing.webhook_payloads import STRIPE_SECRET

    catalogue()
    platform = gateway_for("stripe", organization=other_organization, webhook_secret=STRIPE_SECRET, is_platform=True)
    subscription = subscribed(
        organization,
        "pro",
        currency="USD",
        start=dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
        provider="stripe",
        provider_subscription_id="sub_1QKontoraPro01",
    )
    return platform, subscription


@pytest.mark.django_db
def test_a_failed_subscription_invoice_makes_it_past_due_once_per_attempt(providers, stripe_subscription):
    platform, subscription = stripe_subscription
    invoice = stripe_invoice(
        invoice_id="in_1QKontoraFail1", subscription_id="sub_1QKontoraPro01", metadata={}, start=1, end=2
    )
    invoice.update(status="open", amount_paid=0, attempt_count=1)

    post(platform, stripe_event("invoice.payment_failed", invoice))
    post(platform, stripe_event("invoice.payment_failed", invoice))  # Stripe's same attempt, told twice
    process_all()

    subscription.refresh_from_db()
    assert (subscription.status, subscription.renewal_attempts) == ("past_due", 1)
    assert AuditLog.objects.filter(action="billing.subscription.renewal_failed").count() == 1


@pytest.mark.django_db
def test_a_deleted_stripe_subscription_ends_ours_and_the_organization_is_on_the_free_plan(
    providers, stripe_subscription, organization
):
    platform, subscription = stripe_subscription
    data = {
        "id": "sub_1QKontoraPro01",
        "object": "subscription",
        "status": "canceled",
        "cancel_at_period_end": False,
        "customer": "cus_QKontoraTest01",
        "metadata": {},
    }

    post(platform, stripe_event("customer.subscription.deleted", data))
    # A late "updated" saying it will cancel at the period end comes after the end: nothing more happens.
    post(
        platform,
        stripe_event("customer.subscription.updated", {**data, "status": "active", "cancel_at_period_end": True}),
    )
    process_all()

    subscription.refresh_from_db()
    assert subscription.status == "canceled"
    assert Subscription.objects.current().get(organization=organization).plan.code == "free"
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {Status.PROCESSED}
    changes = DomainEvent.objects.filter(name="billing.subscription_changed", organization=organization)
    assert [event.payload["change"] for event in changes] == ["cancel"]
