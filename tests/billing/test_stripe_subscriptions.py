"""Subscriptions Stripe renews itself: Checkout in subscription mode, renewals mirrored from ``invoice.paid`` and
booked once each, and the changes a person makes here (cancel, resume, upgrade, downgrade) made on Stripe's
subscription first. Stripe is stubbed at its HTTP transport (tests/billing/provider_stubs.py); webhooks arrive
signed through the real view and core's inbox."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client, TestCase

from apps.billing.models import Payment, Plan, Refund, Subscription
from apps.billing.services.checkout import SUBSCRIPTION_PURPOSE, checkout_start
from apps.billing.services.gateways import platform_gateway
from apps.billing.services.refunds import refund_create
from apps.billing.services.subscriptions import subscription_cancel, subscription_change_plan, subscription_resume
from apps.core.mechanisms.webhooks import webhook_delivery_process
from apps.core.models import WebhookDelivery
from apps.ledger.models import Transaction
from tests.billing.conftest import CREDENTIALS
from tests.billing.plan_helpers import catalogue
from tests.billing.webhook_payloads import STRIPE_SECRET, stripe_event, stripe_signature
from tests.core.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

DEC_5 = int(dt.datetime(2026, 12, 5, tzinfo=dt.UTC).timestamp())
JAN_5 = int(dt.datetime(2027, 1, 5, tzinfo=dt.UTC).timestamp())
FEB_5 = int(dt.datetime(2027, 2, 5, tzinfo=dt.UTC).timestamp())


@pytest.fixture
def platform(settings, providers):
    operator = OrganizationFactory(slug="kontora-operator")
    settings.KONTORA_PLATFORM_ORGANIZATION = "kontora-operator"
    settings.KONTORA_STRIPE_SECRET_KEY = CREDENTIALS["stripe"]["secret_key"]
    settings.KONTORA_STRIPE_WEBHOOK_SECRET = STRIPE_SECRET
    return operator


@pytest.fixture
def owner(organization, member_of):
    catalogue()
    Plan.objects.update(trial_days=0)  # straight to paying: the trial is the subscriptions tests' subject
    return member_of(organization, role="owner", email="owner@example.com", language="en")


def deliver(event_type: str, obj: dict) -> None:
    """Stripe posts one signed event to the platform's endpoint; the inbox's task then handles it."""
    gateway = platform_gateway("stripe")
    body = stripe_event(event_type, obj)
    response = Client().post(
        f"/billing/webhooks/stripe/{gateway.endpoint}/",
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=stripe_signature(body),
    )
    assert response.status_code == 200
    with TestCase.captureOnCommitCallbacks(execute=True):  # after its commit, the handling asks for the fee
        for pk in WebhookDelivery.objects.filter(status=WebhookDelivery.Status.VERIFIED).values_list("pk", flat=True):
            webhook_delivery_process(delivery_id=pk)


def subscribe(providers, organization, owner, plan="pro", *, fee=0) -> tuple[Subscription, Payment, dict]:
    """Choose ``plan`` on the pricing page, pay on Stripe's Checkout, and let Stripe's webhooks arrive."""
    checkout = checkout_start(
        organization=organization,
        plan=Plan.objects.get(code=plan),
        currency="USD",
        period="month",
        user=owner,
        return_url="https://kontora.example.com/en/billing/return/",
    )
    session_id = checkout.payment.provider_payment_id
    invoice = providers.stripe.subscribe(session_id, start=DEC_5, end=JAN_5, fee=fee)
    deliver("checkout.session.completed", providers.stripe._session_view(providers.stripe.sessions[session_id], False))
    deliver("invoice.paid", invoice)
    checkout.subscription.refresh_from_db()
    checkout.payment.refresh_from_db()
    return checkout.subscription, checkout.payment, invoice


def books_of(payment: Payment) -> int:
    """The ledger postings of a payment and of its fee (keyed by the provider's id of the payment)."""
    keys = [f"billing:stripe:{event}:{payment.provider_payment_id}" for event in ("payment", "fee")]
    return Transaction.objects.filter(organization_id=payment.organization_id, idempotency_key__in=keys).count()


def stripe_calls(providers, path_start: str) -> list:
    return [seen for seen in providers.stripe.requests if seen.method == "POST" and seen.path.startswith(path_start)]


def test_the_checkout_asks_stripe_for_a_monthly_subscription_that_names_ours(providers, platform, organization, owner):
    checkout = checkout_start(
        organization=organization,
        plan=Plan.objects.get(code="pro"),
        currency="USD",
        period="month",
        user=owner,
        return_url="https://kontora.example.com/en/billing/return/",
    )

    [created] = stripe_calls(providers, "/v1/checkout/sessions")
    assert created.body["mode"] == "subscription"
    assert created.body["line_items"]["0"]["price_data"]["recurring"] == {"interval": "month"}
    assert created.body["line_items"]["0"]["price_data"]["unit_amount"] == "3900"
    assert created.body["subscription_data"]["metadata"]["kontora_subscription"] == str(checkout.subscription.pk)
    assert "payment_intent_data" not in created.body  # not allowed in subscription mode
    assert checkout.payment.confirmation_url.startswith("https://checkout.stripe.com/")
    assert checkout.subscription.status == "incomplete"


def test_the_first_invoice_activates_the_subscription_for_stripe_s_period_and_books_the_checkout_once(
    providers, platform, organization, owner
):
    subscription, payment, invoice = subscribe(providers, organization, owner, fee=143)

    assert subscription.status == "active"
    assert subscription.provider == "stripe"
    assert subscription.provider_subscription_id == invoice["parent"]["subscription_details"]["subscription"]
    assert subscription.current_period_end == dt.datetime(2027, 1, 5, tzinfo=dt.UTC)
    # One payment, the checkout's, succeeded with Stripe's fee (looked up through the invoice's payment).
    assert Payment.objects.filter(purpose_type=SUBSCRIPTION_PURPOSE).count() == 1
    assert (payment.status, payment.captured_amount, payment.fee) == ("succeeded", Decimal("39.00"), Decimal("1.43"))
    assert payment.organization_id == platform.pk
    postings = books_of(payment)
    assert postings == 2  # the payment and its fee

    deliver("invoice.paid", invoice)  # Stripe's retry under another event id

    assert Payment.objects.filter(purpose_type=SUBSCRIPTION_PURPOSE).count() == 1
    assert books_of(payment) == postings


def test_stripe_s_renewal_extends_the_period_and_is_booked_once_as_a_payment_of_its_own(
    providers, platform, organization, owner
):
    subscription, first, _invoice = subscribe(providers, organization, owner)
    renewal = providers.stripe.renew(subscription.provider_subscription_id, start=JAN_5, end=FEB_5, fee=143)

    deliver("invoice.paid", renewal)
    deliver("invoice.paid", renewal)

    subscription.refresh_from_db()
    assert subscription.current_period_end == dt.datetime(2027, 2, 5, tzinfo=dt.UTC)
    received = Payment.objects.get(provider_payment_id=renewal["id"])
    assert (received.status, received.amount, received.fee) == ("succeeded", Decimal("39.00"), Decimal("1.43"))
    assert (received.organization_id, received.purpose_type, received.purpose_id) == (
        platform.pk,
        SUBSCRIPTION_PURPOSE,
        str(subscription.pk),
    )
    assert books_of(received) == 2
    assert Payment.objects.filter(purpose_type=SUBSCRIPTION_PURPOSE).count() == 2


def test_a_renewal_payment_is_refunded_through_the_invoice_s_payment_intent(providers, platform, organization, owner):
    subscription, _first, _invoice = subscribe(providers, organization, owner)
    renewal = providers.stripe.renew(subscription.provider_subscription_id, start=JAN_5, end=FEB_5)
    deliver("invoice.paid", renewal)
    received = Payment.objects.get(provider_payment_id=renewal["id"])

    refund = refund_create(
        payment=received, amount=Decimal("10.00"), reason="goodwill", idempotency_key="r-1", user=None
    )

    [asked] = stripe_calls(providers, "/v1/refunds")
    intent = next(item for item in providers.stripe.invoice_payments if item["invoice"] == renewal["id"])
    assert asked.body["payment_intent"] == intent["payment"]["payment_intent"]
    assert asked.body["amount"] == "1000"
    assert Refund.objects.get(pk=refund.pk).status == "succeeded"


def test_cancel_and_resume_are_made_on_stripe_s_subscription_first(providers, platform, organization, owner):
    subscription, _payment, _invoice = subscribe(providers, organization, owner)
    at_stripe = providers.stripe.subscriptions[subscription.provider_subscription_id]

    subscription_cancel(subscription=subscription, at_period_end=True, user=owner)
    subscription.refresh_from_db()
    assert at_stripe["cancel_at_period_end"] is True
    assert subscription.cancel_at_period_end is True

    subscription_resume(subscription=subscription, user=owner)
    subscription.refresh_from_db()
    assert at_stripe["cancel_at_period_end"] is False
    assert subscription.cancel_at_period_end is False

    # Stripe's webhook about the same change (it sends one for each) changes nothing more here.
    deliver("customer.subscription.updated", dict(at_stripe))
    subscription.refresh_from_db()
    assert subscription.cancel_at_period_end is False


def test_when_stripe_refuses_a_cancel_nothing_changes_here(providers, platform, organization, owner):
    subscription, _payment, _invoice = subscribe(providers, organization, owner)
    providers.stripe.fail_next(500, {"error": {"type": "api_error", "message": "An unknown error occurred"}})

    with pytest.raises(ValidationError, match="Stripe could not change the subscription"):
        subscription_cancel(subscription=subscription, at_period_end=True, user=owner)

    subscription.refresh_from_db()
    assert subscription.cancel_at_period_end is False
    assert providers.stripe.subscriptions[subscription.provider_subscription_id]["cancel_at_period_end"] is False


def test_an_upgrade_is_invoiced_by_stripe_and_applies_when_its_invoice_is_paid(
    providers, platform, organization, owner
):
    subscription, _payment, _invoice = subscribe(providers, organization, owner, plan="start")
    pro = Plan.objects.get(code="pro")

    change = subscription_change_plan(subscription=subscription, plan=pro, user=owner)

    assert change.kind == "upgrade_pending"
    at_stripe = providers.stripe.subscriptions[subscription.provider_subscription_id]
    [update] = [seen for seen in stripe_calls(providers, "/v1/subscriptions/") if "items" in seen.body]
    assert update.body["proration_behavior"] == "always_invoice"
    assert update.body["payment_behavior"] == "pending_if_incomplete"
    assert at_stripe["items"]["data"][0]["price"]["unit_amount"] == 3900
    subscription.refresh_from_db()
    assert subscription.plan.code == "start"  # limits follow the verified payment, not the request

    proration = providers.stripe.invoices[at_stripe["latest_invoice"]]
    deliver("invoice.paid", proration)

    subscription.refresh_from_db()
    assert (subscription.plan.code, subscription.pending_plan_id) == ("pro", None)
    difference = Payment.objects.get(provider_payment_id=proration["id"])
    assert (difference.status, difference.amount) == ("succeeded", Decimal("13.50"))
    assert books_of(difference) == 1


def test_checkout_of_an_upgrade_starts_no_payment_of_ours_for_a_subscription_stripe_renews(
    providers, platform, organization, owner
):
    subscription, _payment, _invoice = subscribe(providers, organization, owner, plan="start")

    result = checkout_start(
        organization=organization,
        plan=Plan.objects.get(code="pro"),
        currency="USD",
        period="month",
        user=owner,
        return_url="https://kontora.example.com/en/billing/return/",
    )

    assert (result.kind, result.payment) == ("upgrade_pending", None)
    assert len(stripe_calls(providers, "/v1/checkout/sessions")) == 1  # only the first subscription's


def test_the_pricing_page_s_upgrade_says_stripe_is_charging_the_difference(providers, platform, organization, owner):
    subscription, _payment, _invoice = subscribe(providers, organization, owner, plan="start")
    client = Client()
    client.force_login(owner)

    response = client.post(
        "/en/billing/checkout/", {"org": organization.slug, "plan": "pro", "currency": "USD", "period": "month"}
    )

    assert response.status_code == 302
    assert not response["Location"].startswith("https://")  # no second checkout: back to the billing page
    page = client.get(response["Location"]).content.decode()
    assert "Stripe is charging the difference for Pro" in page
    subscription.refresh_from_db()
    assert subscription.pending_plan.code == "pro"


def test_a_downgrade_moves_stripe_to_the_cheaper_price_from_the_next_invoice(providers, platform, organization, owner):
    subscription, _payment, _invoice = subscribe(providers, organization, owner, plan="pro")

    change = subscription_change_plan(subscription=subscription, plan=Plan.objects.get(code="start"), user=owner)

    assert change.kind == "downgrade"
    [update] = [seen for seen in stripe_calls(providers, "/v1/subscriptions/") if "items" in seen.body]
    assert update.body["proration_behavior"] == "none"
    at_stripe = providers.stripe.subscriptions[subscription.provider_subscription_id]
    assert at_stripe["items"]["data"][0]["price"]["unit_amount"] == 1200
    assert at_stripe["latest_invoice"] == _invoice["id"]  # nothing invoiced now
    subscription.refresh_from_db()
    assert (subscription.plan.code, subscription.scheduled_plan.code) == ("pro", "start")

    # Resuming undoes it at Stripe too: the next invoice is the plan's price again.
    subscription_resume(subscription=subscription, user=owner)
    assert at_stripe["items"]["data"][0]["price"]["unit_amount"] == 3900


def test_a_downgrade_to_the_free_plan_cancels_stripe_s_subscription_at_the_period_end(
    providers, platform, organization, owner
):
    subscription, _payment, _invoice = subscribe(providers, organization, owner, plan="pro")

    subscription_change_plan(subscription=subscription, plan=Plan.objects.get(code="free"), user=owner)

    assert providers.stripe.subscriptions[subscription.provider_subscription_id]["cancel_at_period_end"] is True
    subscription.refresh_from_db()
    assert subscription.scheduled_plan.code == "free"
