"""Renewals of YooKassa and T-Bank subscriptions: the saved payment method is charged once per period even with
two workers, the money lands in the platform operator's books, a declined charge starts dunning with one
e-mail per attempt, and after the grace period the organization moves to the free plan, once. The providers
are stubbed at their HTTP transport (tests/billing/provider_stubs.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from apps.billing.models import Payment, PaymentStatus, Plan, Subscription, SubscriptionStatus
from apps.billing.services import payments as payments_module
from apps.billing.services.checkout import plan_line
from apps.billing.services.gateways import platform_gateway
from apps.billing.services.payments import payment_start, payment_sync
from apps.billing.services.renewals import (
    Outcome,
    period_advance,
    subscription_renew,
    subscriptions_renew_due,
)
from apps.billing.services.subscriptions import DUNNING_RETRY_DAYS, GRACE_DAYS, subscription_activate
from apps.billing.tasks import subscriptions_renew_due_task
from apps.core.language.text import in_language_of
from apps.core.mechanisms.idempotency import product_key
from apps.core.mechanisms.notifications import notification_render
from apps.core.models import Notification
from apps.ledger.models import Transaction
from tests.billing.conftest import CREDENTIALS
from tests.billing.plan_helpers import START, catalogue, subscribed
from tests.billing.provider_stubs import Crash
from tests.core.factories import OrganizationFactory
from tests.helpers import run_in_threads

PERIOD_END = START + dt.timedelta(days=30)
DUE = PERIOD_END + dt.timedelta(minutes=5)


@pytest.fixture
def platform(settings, providers):
    operator = OrganizationFactory(slug="kontora-operator")
    settings.KONTORA_PLATFORM_ORGANIZATION = "kontora-operator"
    settings.KONTORA_YOOKASSA_SHOP_ID = CREDENTIALS["yookassa"]["shop_id"]
    settings.KONTORA_YOOKASSA_SECRET_KEY = CREDENTIALS["yookassa"]["secret_key"]
    settings.KONTORA_TBANK_TERMINAL_KEY = CREDENTIALS["tbank"]["terminal_key"]
    settings.KONTORA_TBANK_PASSWORD = CREDENTIALS["tbank"]["password"]
    return operator


@pytest.fixture
def customer(organization, member_of):
    catalogue()
    member_of(organization, role="owner", email="owner@example.com", language="en")
    return organization


def _yookassa_subscription(organization, **fields):
    return subscribed(
        organization, "start", provider="yookassa", payment_method_id="2d8e3c6a-000f-5000-9000-1b2c3d4e5f60", **fields
    )


def _charges(providers, provider="yookassa"):
    stub = getattr(providers, provider)
    if provider == "tbank":
        return [seen.body for seen in stub.requests if seen.path.endswith("/Charge")]
    return [seen.body for seen in stub.requests if seen.method == "POST" and seen.path == "/v3/payments"]


def _dunning_mail(template=None):
    mail = Notification.objects.filter(template__startswith="billing_dunning_")
    return mail.filter(template=template) if template else mail


@pytest.mark.django_db(transaction=True)
def test_two_workers_renewing_at_once_charge_once_and_book_once(providers, platform, customer):
    subscription = _yookassa_subscription(customer)

    outcomes = run_in_threads(lambda _i: subscription_renew(subscription=subscription.pk, now=DUE).outcome, 2)

    assert sorted(outcomes) in (
        sorted([Outcome.RENEWED, Outcome.BUSY]),
        sorted([Outcome.RENEWED, Outcome.NOT_DUE]),
    )
    assert len(_charges(providers)) == 1  # the provider saw one charge request
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert (payment.organization, payment.amount, payment.currency_id) == (platform, Decimal("990.00"), "RUB")
    assert (payment.purpose_type, payment.purpose_id) == ("billing.subscription", str(subscription.pk))
    assert Transaction.objects.filter(organization=platform).count() == 1  # one posting, in the operator's books
    assert not Transaction.objects.filter(organization=customer).exists()
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.ACTIVE
    assert (subscription.current_period_start, subscription.current_period_end) == (
        PERIOD_END,
        period_advance(PERIOD_END, "month"),
    )


@pytest.mark.django_db
def test_the_charge_uses_the_saved_method_without_a_redirect(providers, platform, customer):
    subscription = _yookassa_subscription(customer)

    renewal = subscription_renew(subscription=subscription, now=DUE)

    assert renewal.outcome == Outcome.RENEWED
    (charge,) = _charges(providers)
    assert charge["payment_method_id"] == subscription.payment_method_id
    assert "confirmation" not in charge
    assert charge["amount"] == {"value": "990.00", "currency": "RUB"}
    # The task running again finds nothing due: the next period is paid.
    assert subscriptions_renew_due(now=DUE).outcomes == {}
    assert len(_charges(providers)) == 1


@pytest.mark.django_db
def test_a_tbank_renewal_is_init_then_charge_with_the_rebill_id(providers, platform, customer):
    subscription = subscribed(customer, "start", provider="tbank", payment_method_id="1577432531275")

    renewal = subscription_renew(subscription=subscription, now=DUE)

    assert renewal.outcome == Outcome.RENEWED
    methods = [seen.path.rsplit("/", 1)[1] for seen in providers.tbank.requests]
    assert methods == ["Init", "Charge"]
    init, charge = (seen.body for seen in providers.tbank.requests)
    assert init["Amount"] == 99000
    assert "SuccessURL" not in init
    assert charge["RebillId"] == "1577432531275"
    assert charge["PaymentId"] == renewal.payment.provider_payment_id
    subscription.refresh_from_db()
    assert subscription.current_period_end == period_advance(PERIOD_END, "month")


@pytest.mark.django_db
def test_a_declined_renewal_mails_the_owners_once_per_attempt_even_when_the_task_runs_twice(
    providers, platform, customer, english
):
    subscription = _yookassa_subscription(customer)
    providers.yookassa.decline_saved = ["insufficient_funds", "insufficient_funds"]

    with time_machine.travel(DUE, tick=False):
        for _run in range(2):
            subscriptions_renew_due_task()  # the beat's task, run twice

    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.PAST_DUE
    assert subscription.renewal_attempts == 1
    assert subscription.next_renewal_attempt_at == DUE + dt.timedelta(days=DUNNING_RETRY_DAYS[0])
    assert len(_charges(providers)) == 1
    (mail,) = _dunning_mail()
    assert (mail.template, mail.recipient, mail.context["attempt"]) == (
        "billing_dunning_retry",
        "owner@example.com",
        1,
    )
    message = notification_render(mail)
    assert "did not go through" in message.subject
    assert "990.00 RUB" in message.text
    assert "payment_network / insufficient_funds" in message.text

    # The retry a day later is a new charge (a key of its own) and a second e-mail, again only once.
    retry = subscription.next_renewal_attempt_at
    for _run in range(2):
        subscriptions_renew_due(now=retry)

    assert len(_charges(providers)) == 2
    assert sorted(m.context["attempt"] for m in _dunning_mail("billing_dunning_retry")) == [1, 2]
    subscription.refresh_from_db()
    assert subscription.renewal_attempts == 2
    # The plan stays in force while past due.
    assert subscription.is_current


@pytest.mark.django_db
def test_a_declined_tbank_charge_starts_dunning(providers, platform, customer):
    subscription = subscribed(customer, "start", provider="tbank", payment_method_id="1577432531275")
    providers.tbank.decline_charges = [("1051", "Недостаточно средств на карте")]

    renewal = subscription_renew(subscription=subscription, now=DUE)

    assert renewal.outcome == Outcome.FAILED
    assert renewal.payment.status == PaymentStatus.FAILED
    assert renewal.subscription.status == SubscriptionStatus.PAST_DUE
    assert _dunning_mail("billing_dunning_retry").count() == 1


@pytest.mark.django_db
def test_after_the_last_retry_the_grace_period_then_the_free_plan_once(providers, platform, customer, english):
    subscription = _yookassa_subscription(customer)
    # The retries of the dunning schedule were declined; the last one is due now.
    Subscription.objects.filter(pk=subscription.pk).update(
        status=SubscriptionStatus.PAST_DUE, renewal_attempts=len(DUNNING_RETRY_DAYS), next_renewal_attempt_at=DUE
    )
    providers.yookassa.decline_saved = ["insufficient_funds"]

    subscriptions_renew_due(now=DUE)

    subscription.refresh_from_db()
    assert subscription.grace_until == DUE + dt.timedelta(days=GRACE_DAYS)
    (grace_mail,) = _dunning_mail("billing_dunning_grace")
    assert grace_mail.context["grace_until"]
    assert "will end unless it is paid" in notification_render(grace_mail).subject

    after_grace = subscription.grace_until + dt.timedelta(minutes=1)
    summaries = [subscriptions_renew_due(now=after_grace) for _run in range(2)]

    assert [summary.expired for summary in summaries] == [1, 0]
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.EXPIRED
    current = Subscription.objects.current().get(organization=customer)
    assert current.plan.is_free
    assert Subscription.objects.filter(organization=customer, plan__is_free=True).count() == 1
    assert _dunning_mail("billing_dunning_expired").count() == 1
    assert len(_charges(providers)) == 1  # nothing more was charged


@pytest.mark.django_db
def test_a_subscription_not_yet_due_or_renewed_by_stripe_is_not_charged(providers, platform, customer):
    _yookassa_subscription(customer)
    stripe_customer = OrganizationFactory()
    subscribed(stripe_customer, "start", provider="stripe", payment_method_id="pm_1Q0PsIJvEtkwdCNY")

    assert subscriptions_renew_due(now=PERIOD_END - dt.timedelta(hours=1)).outcomes == {}
    assert subscriptions_renew_due(now=DUE).outcomes == {Outcome.RENEWED: 1}
    assert providers.stripe.requests == []


def test_a_period_advances_by_a_calendar_month_or_year():
    assert period_advance(dt.datetime(2026, 1, 31, 9, tzinfo=dt.UTC), "month") == dt.datetime(
        2026, 2, 28, 9, tzinfo=dt.UTC
    )
    assert period_advance(dt.datetime(2026, 11, 15, tzinfo=dt.UTC), "month") == dt.datetime(2026, 12, 15, tzinfo=dt.UTC)
    assert period_advance(dt.datetime(2026, 12, 15, tzinfo=dt.UTC), "month") == dt.datetime(2027, 1, 15, tzinfo=dt.UTC)
    assert period_advance(dt.datetime(2028, 2, 29, tzinfo=dt.UTC), "year") == dt.datetime(2029, 2, 28, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_the_first_payment_saves_the_method_the_renewal_then_charges(providers, platform, customer):
    plan = Plan.objects.get(code="start")
    subscription = Subscription.objects.create(
        organization=customer,
        plan=plan,
        price=plan.prices.get(currency_id="RUB", period="month"),
        status=SubscriptionStatus.INCOMPLETE,
        started_at=START,
    )
    first = payment_start(
        gateway=platform_gateway("yookassa"),
        amount="990.00",
        currency="RUB",
        purpose=subscription,
        description="Start",
        idempotency_key=product_key("test", "first-payment"),
        return_url="https://kontora.example.com/billing/",
        save_method_for=f"org-{customer.pk}",
    )
    assert _charges(providers)[0]["save_payment_method"] is True
    providers.yookassa.pay(first.provider_payment_id)
    payment_sync(payment=first)
    first.refresh_from_db()
    saved = first.metadata["saved_method"]
    subscription_activate(
        subscription=subscription,
        period_start=START,
        period_end=PERIOD_END,
        provider="yookassa",
        payment_method=saved,
        event_key="test:first-payment",
    )

    renewal = subscription_renew(subscription=subscription, now=DUE)

    assert renewal.outcome == Outcome.RENEWED
    assert _charges(providers)[1]["payment_method_id"] == saved


@pytest.mark.django_db
@pytest.mark.parametrize("provider", ["yookassa", "tbank"])
def test_a_worker_killed_after_the_charge_is_retried_without_a_second_charge(
    providers, platform, customer, monkeypatch, provider
):
    subscription = subscribed(customer, "start", provider=provider, payment_method_id="1577432531275")
    apply_for_real = payments_module.payment_apply_state

    def killed_before_commit(**kwargs):
        apply_for_real(**kwargs)
        raise Crash("worker killed")

    monkeypatch.setattr(payments_module, "payment_apply_state", killed_before_commit)
    with pytest.raises(Crash):
        subscription_renew(subscription=subscription, now=DUE)
    assert Payment.objects.get().provider_payment_id == ""  # the provider's answer was lost with the worker
    monkeypatch.setattr(payments_module, "payment_apply_state", apply_for_real)

    renewal = subscription_renew(subscription=subscription, now=DUE)

    assert renewal.outcome == Outcome.RENEWED
    if provider == "yookassa":
        keys = providers.yookassa.keys("Idempotence-Key")
        assert len(keys) == 2
        assert len(set(keys)) == 1  # the retry reached the same provider payment
        assert len(providers.yookassa.payments) == 1
    else:
        assert [seen.body["OrderId"] for seen in providers.tbank.requests if seen.path.endswith("/Init")] == [
            renewal.payment.provider_key
        ] * 2
        assert len(_charges(providers, "tbank")) == 1  # the order was charged once: the retry only read it
    assert Transaction.objects.filter(organization=platform).count() == 1


@pytest.mark.django_db
def test_a_yookassa_renewal_carries_the_54fz_receipt_for_the_plan(providers, platform, customer, settings, english):
    settings.KONTORA_BILLING_VAT_CODE = 4  # 20%
    subscription = _yookassa_subscription(customer)

    renewal = subscription_renew(subscription=subscription, now=DUE)

    assert renewal.outcome == Outcome.RENEWED
    (charge,) = _charges(providers)
    receipt = charge["receipt"]
    assert receipt["customer"] == {"email": "owner@example.com"}  # no earlier payment: the owner's e-mail
    (item,) = receipt["items"]
    with in_language_of(customer.pk):  # the plan as the item, in the organization's language
        assert item["description"] == plan_line(subscription.plan, "month")
    assert item["amount"] == {"value": "990.00", "currency": "RUB"}
    assert (item["quantity"], item["vat_code"], item["payment_subject"], item["payment_mode"]) == (
        "1",
        4,
        "service",
        "full_payment",
    )
    # The payment keeps the receipt it was sent with, like a first payment.
    assert renewal.payment.receipt["email"] == "owner@example.com"
    assert renewal.payment.customer_email == "owner@example.com"


@pytest.mark.django_db
def test_a_renewal_receipt_goes_to_the_e_mail_the_subscription_was_paid_with(providers, platform, customer):
    subscription = _yookassa_subscription(customer)
    Payment.objects.create(
        organization=platform,
        gateway=platform_gateway("yookassa"),
        amount=Decimal("990.00"),
        currency_id="RUB",
        purpose_type="billing.subscription",
        purpose_id=str(subscription.pk),
        description="first",
        idempotency_key="first-payment",
        provider_key="first-payment",
        customer_email="payer@example.com",
        status=PaymentStatus.SUCCEEDED,
    )

    renewal = subscription_renew(subscription=subscription, now=DUE)

    assert renewal.outcome == Outcome.RENEWED
    charge = _charges(providers)[-1]
    assert charge["receipt"]["customer"] == {"email": "payer@example.com"}


@pytest.mark.django_db
def test_a_tbank_renewal_carries_the_receipt_in_init(providers, platform, customer, settings):
    settings.KONTORA_BILLING_VAT_CODE = 4
    subscription = subscribed(customer, "start", provider="tbank", payment_method_id="1577432531275")

    subscription_renew(subscription=subscription, now=DUE)

    init = providers.tbank.requests[0].body
    assert init["Receipt"]["Email"] == "owner@example.com"
    (item,) = init["Receipt"]["Items"]
    assert (item["Price"], item["Amount"], item["Quantity"], item["Tax"]) == (99000, 99000, 1, "vat20")
