"""Billing's pages: pricing, checkout through the platform's gateway (YooKassa stubbed at its HTTP transport),
the return page's status, the organization's billing page and its plan actions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from apps.billing.models import Payment, PaymentStatus, Subscription, SubscriptionStatus
from apps.billing.selectors import plan_of, subscription_current
from apps.billing.services.payments import payment_sync
from apps.core.accounts.roles import Role
from apps.core.realtime import streams
from tests.billing.pages_helpers import catalogue_without_trials, platform

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"


@pytest.fixture
def owner(organization, member_of):
    return member_of(organization, role=Role.OWNER, email="owner@example.com")


@pytest.fixture
def signed_in(client, owner):
    client.force_login(owner)
    return client


def _choose(client, organization, plan="pro", currency="RUB", period="month", language="en"):
    return client.post(
        f"/{language}/billing/checkout/",
        {"org": organization.slug, "plan": plan, "currency": currency, "period": period},
    )


def test_pricing_is_public_and_shows_prices_per_currency_and_period_and_limits(client, db):
    catalogue_without_trials()

    russian = client.get("/ru/billing/pricing/?currency=RUB&period=year").content.decode()
    english = client.get("/en/billing/pricing/?currency=USD&period=month").content.decode()

    assert "Про" in russian
    assert f"29{NBSP}900,00{NBSP}RUB" in russian  # Pro per year, in Russian format
    assert "Pro" in english
    assert f"39.00{NBSP}USD" in english
    assert "20" in english  # Pro's seats
    assert "/en/accounts/signup/" in english  # a visitor is asked to sign up to choose


def test_an_owner_sees_choose_buttons_and_a_bookkeeper_does_not(client, organization, owner, member_of, db):
    catalogue_without_trials()
    bookkeeper = member_of(organization, role=Role.BOOKKEEPER)
    client.force_login(owner)
    assert 'data-choose="pro"' in client.get("/en/billing/pricing/").content.decode()
    client.force_login(bookkeeper)
    page = client.get("/en/billing/pricing/").content.decode()
    assert 'data-choose="pro"' not in page
    assert _choose(client, organization).status_code == 403
    assert not Subscription.objects.filter(organization=organization).exclude(plan__is_free=True).exists()


def test_checkout_starts_the_payment_at_the_platform_gateway_and_redirects_to_the_provider(
    signed_in, organization, providers, settings
):
    kontora = platform(settings)
    catalogue_without_trials()

    response = _choose(signed_in, organization)

    payment = Payment.objects.get()
    subscription = Subscription.objects.get(organization=organization, plan__code="pro")
    assert response.status_code == 302
    assert response["Location"] == payment.confirmation_url
    assert response["Location"].startswith("https://yoomoney.ru/checkout/")
    assert payment.organization == kontora  # the platform's income, in the platform's books
    assert (payment.purpose_type, payment.purpose_id) == ("billing.subscription", str(subscription.pk))
    assert payment.amount == Decimal("2990.00")
    assert subscription.status == SubscriptionStatus.INCOMPLETE
    sent = providers.yookassa.requests[0].body
    assert sent["receipt"]["customer"] == {"email": "owner@example.com"}  # 54-FZ
    assert sent["receipt"]["items"][0]["amount"] == {"value": "2990.00", "currency": "RUB"}
    assert sent["confirmation"]["return_url"] == "http://testserver/en/billing/return/"
    assert sent["save_payment_method"] is True  # the renewals charge the saved method

    # Choosing again while the first payment is pending reuses the subscription and the payment.
    again = _choose(signed_in, organization)
    assert again["Location"] == payment.confirmation_url
    assert Payment.objects.count() == 1


def test_when_the_payment_succeeds_the_plan_applies_and_the_pages_hear_it(
    signed_in, organization, providers, settings, django_capture_on_commit_callbacks
):
    platform(settings)
    catalogue_without_trials()
    _choose(signed_in, organization)
    payment = Payment.objects.get()
    seq_before = streams.current_seqs([organization.pk])[organization.pk]

    providers.yookassa.pay(payment.provider_payment_id)
    with django_capture_on_commit_callbacks(execute=True):
        payment_sync(payment=payment)  # what the webhook handler or the sweeper does

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert plan_of(organization=organization).code == "pro"
    assert subscription_current(organization=organization).status == SubscriptionStatus.ACTIVE
    replay = streams.replay(organization.pk, after=seq_before)
    assert any(
        '"type":"billing.payment_status"' in event and f'"payment":{payment.pk}' in event and '"succeeded"' in event
        for event in replay.events
    )
    # A repeat of the provider's word changes nothing more.
    assert payment_sync(payment=payment) == []


def test_the_return_page_shows_the_status_and_the_status_url_answers_json(signed_in, organization, providers, settings):
    platform(settings)
    catalogue_without_trials()
    _choose(signed_in, organization)
    payment = Payment.objects.get()

    page = signed_in.get("/en/billing/return/").content.decode()  # providers come back without our id
    assert f'data-billing-payment="{payment.pk}"' in page
    assert "pending" in page
    assert "billing/return.js" in page
    status = signed_in.get(f"/en/billing/payments/{payment.pk}/status/").json()
    assert status == {"payment": payment.pk, "status": "pending", "status_label": "pending", "final": False}


def test_without_a_gateway_and_without_test_mode_the_checkout_says_payments_are_not_set_up(
    signed_in, organization, settings
):
    platform(settings, yookassa=False, stub=False)
    catalogue_without_trials()

    response = _choose(signed_in, organization)

    assert response.status_code == 302
    assert response["Location"] == "/en/billing/pricing/"
    assert not Payment.objects.exists()


def test_the_stub_checkout_exists_only_in_test_mode_and_pays_through_the_services(signed_in, organization, settings):
    platform(settings, yookassa=False, stub=True)
    catalogue_without_trials()

    response = _choose(signed_in, organization)
    payment = Payment.objects.get()
    assert response["Location"] == f"/en/billing/checkout/stub/{payment.pk}/"
    page = signed_in.get(response["Location"]).content.decode()
    assert "TEST MODE" in page

    paid = signed_in.post(response["Location"], {"outcome": "pay"})

    assert paid["Location"] == f"/en/billing/return/?payment={payment.pk}"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert plan_of(organization=organization).code == "pro"

    settings.KONTORA_PAYMENTS_TEST_MODE = False  # the stub needs both switches
    assert signed_in.get(f"/en/billing/checkout/stub/{payment.pk}/").status_code == 404


def test_a_plan_with_a_trial_starts_the_trial_without_a_payment(signed_in, organization, settings):
    platform(settings)
    from apps.billing.services.plans import plans_ensure_defaults

    plans_ensure_defaults()  # "start" has 14 trial days

    response = _choose(signed_in, organization, plan="start")

    assert response["Location"] == f"/en/billing/?org={organization.slug}"
    assert subscription_current(organization=organization).status == SubscriptionStatus.TRIALING
    assert not Payment.objects.exists()


def test_the_billing_page_shows_plan_usage_payments_and_receipts(signed_in, organization, settings):
    platform(settings, yookassa=False, stub=True)
    catalogue_without_trials()
    _choose(signed_in, organization)
    payment = Payment.objects.get()
    signed_in.post(f"/en/billing/checkout/stub/{payment.pk}/", {"outcome": "pay"})

    page = signed_in.get("/en/billing/").content.decode()

    assert 'data-billing-plan="pro"' in page
    assert 'data-resource="seats"' in page
    assert "/ 20" in page  # seats used of Pro's 20
    assert f'data-payment="{payment.pk}"' in page
    assert f"/en/billing/payments/{payment.pk}/receipt.pdf" in page
    receipt = signed_in.get(f"/en/billing/payments/{payment.pk}/receipt.pdf")
    assert receipt["Content-Type"] == "application/pdf"
    assert receipt.content.startswith(b"%PDF-")
    subscription = subscription_current(organization=organization)
    invoice = signed_in.get(f"/en/billing/subscriptions/{subscription.pk}/invoice.pdf")
    assert invoice.content.startswith(b"%PDF-")


def test_cancel_and_resume_from_the_billing_page(signed_in, organization, settings):
    platform(settings, yookassa=False, stub=True)
    catalogue_without_trials()
    _choose(signed_in, organization)
    signed_in.post(f"/en/billing/checkout/stub/{Payment.objects.get().pk}/", {"outcome": "pay"})

    signed_in.post("/en/billing/subscription/cancel/", {"org": organization.slug})
    assert subscription_current(organization=organization).cancel_at_period_end is True
    assert "Resume the subscription" in signed_in.get("/en/billing/").content.decode()

    signed_in.post("/en/billing/subscription/resume/", {"org": organization.slug})
    assert subscription_current(organization=organization).cancel_at_period_end is False


def test_plan_forms_need_the_csrf_token(organization, owner, settings):
    platform(settings, yookassa=False, stub=True)
    catalogue_without_trials()
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)

    assert _choose(client, organization).status_code == 403
    assert client.post("/en/billing/subscription/cancel/", {"org": organization.slug}).status_code == 403
    assert not Payment.objects.exists()


def test_a_downgrade_from_the_billing_page_is_scheduled_for_the_period_end(signed_in, organization, settings):
    platform(settings, yookassa=False, stub=True)
    catalogue_without_trials()
    _choose(signed_in, organization)
    signed_in.post(f"/en/billing/checkout/stub/{Payment.objects.get().pk}/", {"outcome": "pay"})

    _choose(signed_in, organization, plan="start")

    subscription = subscription_current(organization=organization)
    assert subscription.plan.code == "pro"
    assert subscription.scheduled_plan.code == "start"
    assert Payment.objects.count() == 1


def test_choosing_again_after_a_declined_payment_starts_a_new_one(signed_in, organization, settings):
    platform(settings, yookassa=False, stub=True)
    catalogue_without_trials()
    _choose(signed_in, organization)
    first = Payment.objects.get()
    signed_in.post(f"/en/billing/checkout/stub/{first.pk}/", {"outcome": "decline"})

    response = _choose(signed_in, organization)

    second = Payment.objects.exclude(pk=first.pk).get()
    assert response["Location"] == f"/en/billing/checkout/stub/{second.pk}/"
    assert (second.purpose_id, second.status) == (first.purpose_id, PaymentStatus.PENDING)
    assert Subscription.objects.filter(organization=organization, plan__code="pro").count() == 1


def test_a_payment_for_a_subscription_ended_meanwhile_still_applies(signed_in, organization, settings):
    from apps.billing.services.checkout import stub_payment_complete
    from apps.billing.services.subscriptions import subscription_cancel

    platform(settings, yookassa=False, stub=True)
    catalogue_without_trials()
    _choose(signed_in, organization)
    payment = Payment.objects.get()
    subscription = Subscription.objects.get(organization=organization, plan__code="pro")
    subscription_cancel(subscription=subscription, at_period_end=False)

    stub_payment_complete(payment=payment, succeeded=True)

    assert Payment.objects.get().status == PaymentStatus.SUCCEEDED  # booked; the subscription stays ended
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.CANCELED
    assert plan_of(organization=organization).code == "free"


def test_a_dollar_checkout_goes_to_stripe_without_a_russian_receipt(signed_in, organization, providers, settings):
    platform(settings, yookassa=False)
    settings.KONTORA_STRIPE_SECRET_KEY = "sk_test_51HxKontoraTestKey0000000000004242"
    catalogue_without_trials()

    response = _choose(signed_in, organization, currency="USD", period="year")

    payment = Payment.objects.get()
    assert response["Location"].startswith("https://checkout.stripe.com/c/pay/")
    assert (payment.gateway.provider, payment.amount, payment.currency_id) == ("stripe", Decimal("390.00"), "USD")
    assert payment.receipt == {}
    assert not providers.yookassa.requests

    # Stripe renews it itself: a yearly subscription, activated by its invoices (test_stripe_subscriptions.py).
    [created] = [seen for seen in providers.stripe.requests if seen.path == "/v1/checkout/sessions"]
    assert created.body["mode"] == "subscription"
    assert created.body["line_items"]["0"]["price_data"]["recurring"] == {"interval": "year"}
