"""Subscriptions: limits follow verified payments; upgrades prorate exactly; downgrades and cancels wait for the
period end; failed renewals go through dunning and a grace period to the free plan, once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from apps.billing.models import Plan, Subscription, SubscriptionEvent, limit_in_force, plan_in_force
from apps.billing.selectors import subscription_current, subscription_renewal_key, subscriptions_due_for_renewal
from apps.billing.services.subscriptions import (
    prorate,
    subscription_activate,
    subscription_cancel,
    subscription_change_plan,
    subscription_expire,
    subscription_period_roll,
    subscription_renewal_failed,
    subscription_resume,
    subscription_start,
    subscription_upgrade_paid,
    subscriptions_process_due,
)
from apps.core.models import AuditLog
from tests.billing.plan_helpers import START, catalogue, subscribed
from tests.helpers import run_in_threads

pytestmark = pytest.mark.django_db

MONTH_END = START + dt.timedelta(days=30)


@pytest.fixture
def plans(db):
    return catalogue()


def _activate(subscription, key="yookassa:evt-1", start=START, end=MONTH_END):
    return subscription_activate(
        subscription=subscription,
        period_start=start,
        period_end=end,
        provider="yookassa",
        payment_method="pm-2f9a",
        event_key=key,
    )


def _states(organization):
    return sorted(Subscription.objects.filter(organization=organization).values_list("plan__code", "status"))


# --- start and activation ---------------------------------------------------------------------------------------


def test_a_paid_plan_with_a_trial_starts_trialing_with_its_limits(organization, plans):
    subscription = subscription_start(
        organization=organization, plan=plans["pro"], currency="RUB", period="month", now=START
    )

    assert subscription.status == "trialing"
    assert subscription.trial_ends_at == START + dt.timedelta(days=14)
    assert limit_in_force(organization, "seats") == 20
    assert AuditLog.objects.filter(action="billing.subscription.start", object_id=str(subscription.pk)).exists()


def test_the_second_paid_start_gets_no_second_trial_and_waits_for_payment(organization, plans):
    first = subscription_start(organization=organization, plan=plans["pro"], currency="RUB", period="month", now=START)
    subscription_cancel(subscription=first, at_period_end=False, now=START + dt.timedelta(days=1))

    second = subscription_start(organization=organization, plan=plans["start"], currency="USD", period="year")

    assert second.status == "incomplete"
    assert plan_in_force(organization).code == "free"


def test_limits_do_not_change_until_a_verified_payment_activates_the_subscription(organization, plans):
    plans["start"].trial_days = 0
    plans["start"].save()
    subscription = subscription_start(organization=organization, plan=plans["start"], currency="RUB", period="month")

    assert subscription.status == "incomplete"
    assert limit_in_force(organization, "seats") == 1  # still the free plan's

    _activate(subscription)

    subscription.refresh_from_db()
    assert (subscription.status, subscription.provider, subscription.payment_method_id) == (
        "active",
        "yookassa",
        "pm-2f9a",
    )
    assert (subscription.current_period_start, subscription.current_period_end) == (START, MONTH_END)
    assert limit_in_force(organization, "seats") == 5


def test_activation_replaces_the_free_subscription(organization, plans):
    free = subscription_start(organization=organization, plan=plans["free"], currency="RUB", period="month")
    plans["pro"].trial_days = 0
    plans["pro"].save()
    pro = subscription_start(organization=organization, plan=plans["pro"], currency="RUB", period="month")

    _activate(pro)

    free.refresh_from_db()
    assert free.status == "canceled"
    assert AuditLog.objects.filter(action="billing.subscription.replace", object_id=str(free.pk)).exists()
    assert subscription_current(organization=organization).pk == pro.pk


def test_the_same_payment_event_activates_once(organization, plans):
    subscription = subscribed(organization, "start")

    renewed = _activate(subscription, key="yookassa:evt-9", start=MONTH_END, end=MONTH_END + dt.timedelta(days=31))
    again = _activate(subscription, key="yookassa:evt-9", start=MONTH_END, end=MONTH_END + dt.timedelta(days=31))

    assert (renewed.idempotent_replay, again.idempotent_replay) == (False, True)
    assert SubscriptionEvent.objects.filter(key="yookassa:evt-9").count() == 1
    assert AuditLog.objects.filter(action="billing.subscription.activate").count() == 1


def test_a_late_event_for_a_period_already_paid_changes_nothing(organization, plans):
    subscription = subscribed(organization, "start")
    _activate(subscription, key="evt-new", start=MONTH_END, end=MONTH_END + dt.timedelta(days=31))

    _activate(subscription, key="evt-old", start=START, end=MONTH_END)

    subscription.refresh_from_db()
    assert subscription.current_period_end == MONTH_END + dt.timedelta(days=31)


def test_activation_needs_a_period_with_time_zones(organization, plans):
    subscription = subscribed(organization, "start")

    with pytest.raises(ValidationError):
        _activate(subscription, start=dt.datetime(2026, 3, 1), end=dt.datetime(2026, 4, 1))


# --- changing plan ----------------------------------------------------------------------------------------------


def test_proration_credits_the_unused_part_and_rounds_once_half_up():
    # 30-day month, 10 days used: 20/30 of (2990 - 990) = 1333.333… → 1333.33
    assert prorate(
        old_amount=Decimal("990.00"),
        new_amount=Decimal("2990.00"),
        period_start=dt.date(2026, 4, 1),
        period_end=dt.date(2026, 5, 1),
        today=dt.date(2026, 4, 11),
        precision=2,
    ) == Decimal("1333.33")
    # 5/30 of 0.03 = 0.005 exactly: half up → 0.01 (a float or a half-even rounding would give 0.00)
    assert prorate(
        old_amount=Decimal("0.00"),
        new_amount=Decimal("0.03"),
        period_start=dt.date(2026, 4, 1),
        period_end=dt.date(2026, 5, 1),
        today=dt.date(2026, 4, 26),
        precision=2,
    ) == Decimal("0.01")


def test_an_upgrade_waits_for_its_prorated_payment_then_applies(organization, plans):
    start = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
    subscription = subscribed(organization, "start", start=start, days=30)

    change = subscription_change_plan(
        subscription=subscription, plan=plans["pro"], user=None, today=dt.date(2026, 4, 11)
    )

    assert (change.kind, change.amount_due) == ("upgrade_pending", Decimal("1333.33"))
    assert limit_in_force(organization, "seats") == 5  # unchanged until paid

    subscription_upgrade_paid(subscription=subscription, event_key="yookassa:upgrade-1")
    subscription_upgrade_paid(subscription=subscription, event_key="yookassa:upgrade-1")

    subscription.refresh_from_db()
    assert (subscription.plan.code, subscription.price.amount) == ("pro", Decimal("2990.00000000"))
    assert subscription.pending_plan is None
    assert limit_in_force(organization, "seats") == 20


def test_an_upgrade_during_the_trial_applies_at_once_with_nothing_due(organization, plans):
    subscription = subscription_start(organization=organization, plan=plans["start"], currency="RUB", period="month")

    change = subscription_change_plan(subscription=subscription, plan=plans["pro"], user=None)

    assert (change.kind, change.amount_due) == ("upgrade", Decimal("0.00"))
    assert plan_in_force(organization).code == "pro"


def test_a_downgrade_is_applied_at_the_period_end_once(organization, plans):
    subscription = subscribed(organization, "pro")

    change = subscription_change_plan(subscription=subscription, plan=plans["start"], user=None)
    assert change.kind == "downgrade"
    assert (
        subscription_period_roll(subscription=subscription, now=MONTH_END - dt.timedelta(seconds=1)).plan.code == "pro"
    )

    subscription_period_roll(subscription=subscription, now=MONTH_END)
    subscription_period_roll(subscription=subscription, now=MONTH_END + dt.timedelta(minutes=5))

    subscription.refresh_from_db()
    assert (subscription.plan.code, subscription.scheduled_plan) == ("start", None)
    assert AuditLog.objects.filter(action="billing.subscription.period_roll").count() == 1
    assert limit_in_force(organization, "seats") == 5


def test_a_downgrade_to_the_free_plan_ends_the_subscription_at_the_period_end(organization, plans):
    subscription = subscribed(organization, "start")
    subscription_change_plan(subscription=subscription, plan=plans["free"], user=None)

    subscriptions_process_due(now=MONTH_END)

    assert _states(organization) == [("free", "active"), ("start", "canceled")]


# --- cancel and resume ------------------------------------------------------------------------------------------


def test_a_cancel_at_the_period_end_can_be_resumed(organization, plans):
    subscription = subscribed(organization, "start")

    subscription_cancel(subscription=subscription)
    subscription_resume(subscription=subscription)
    subscriptions_process_due(now=MONTH_END)

    subscription.refresh_from_db()
    assert (subscription.status, subscription.cancel_at_period_end) == ("active", False)


def test_a_cancel_at_the_period_end_keeps_the_plan_until_then(organization, plans):
    subscription = subscribed(organization, "start")

    subscription_cancel(subscription=subscription)
    assert plan_in_force(organization).code == "start"

    subscriptions_process_due(now=MONTH_END)

    assert _states(organization) == [("free", "active"), ("start", "canceled")]


def test_a_cancel_now_moves_to_the_free_plan_at_once(organization, plans):
    subscription = subscribed(organization, "pro")

    subscription_cancel(subscription=subscription, at_period_end=False)

    assert plan_in_force(organization).code == "free"
    assert AuditLog.objects.filter(action="billing.subscription.cancel").count() == 1


# --- dunning ----------------------------------------------------------------------------------------------------


def test_failed_renewals_retry_after_1_3_and_5_days_then_give_3_days_of_grace(organization, plans):
    subscription = subscribed(organization, "start")
    moments = []
    now = MONTH_END
    for attempt in range(1, 5):
        subscription = subscription_renewal_failed(subscription=subscription, event_key=f"renewal-{attempt}", now=now)
        moments.append((subscription.next_renewal_attempt_at, subscription.grace_until))
        now = subscription.next_renewal_attempt_at or now

    day = dt.timedelta(days=1)
    assert moments == [
        (MONTH_END + day, None),
        (MONTH_END + 4 * day, None),
        (MONTH_END + 9 * day, None),
        (None, MONTH_END + 12 * day),
    ]
    assert subscription.status == "past_due"
    assert plan_in_force(organization).code == "start"  # past due keeps its limits until it expires


def test_the_same_failure_event_counts_once(organization, plans):
    subscription = subscribed(organization, "start")

    subscription_renewal_failed(subscription=subscription, event_key="tbank:fail-1", now=MONTH_END)
    subscription_renewal_failed(subscription=subscription, event_key="tbank:fail-1", now=MONTH_END)

    subscription.refresh_from_db()
    assert subscription.renewal_attempts == 1


def test_a_payment_during_dunning_makes_the_subscription_active_again(organization, plans):
    subscription = subscribed(organization, "start")
    subscription_renewal_failed(subscription=subscription, event_key="fail-1", now=MONTH_END)

    _activate(subscription, key="paid-1", start=MONTH_END, end=MONTH_END + dt.timedelta(days=31))

    subscription.refresh_from_db()
    assert (subscription.status, subscription.renewal_attempts, subscription.next_renewal_attempt_at) == (
        "active",
        0,
        None,
    )


def test_the_renewal_key_is_the_same_for_every_worker_of_a_period(organization, plans):
    subscription = subscribed(organization, "start", payment_method_id="pm-1")

    due = list(subscriptions_due_for_renewal(now=MONTH_END))

    assert due == [subscription]
    assert subscription_renewal_key(due[0]) == subscription_renewal_key(Subscription.objects.get(pk=subscription.pk))


def test_expiring_twice_moves_to_the_free_plan_once(organization, plans):
    subscription = subscribed(organization, "start")

    subscription_expire(subscription=subscription)
    subscription_expire(subscription=subscription)

    assert _states(organization) == [("free", "active"), ("start", "expired")]


@pytest.mark.django_db(transaction=True)
def test_dunning_then_grace_then_the_free_plan_once_even_when_two_workers_run_it(organization):
    catalogue()
    subscription = subscribed(organization, "pro")
    now = MONTH_END
    for attempt in range(1, 5):
        subscription = subscription_renewal_failed(subscription=subscription, event_key=f"renewal-{attempt}", now=now)
        now = subscription.next_renewal_attempt_at or subscription.grace_until
    assert subscriptions_process_due(now=now - dt.timedelta(seconds=1)) == {"rolled": 0, "expired": 0}

    results = run_in_threads(lambda _worker: subscriptions_process_due(now=now), 2)

    assert sorted(result["expired"] for result in results) == [0, 1]
    assert _states(organization) == [("free", "active"), ("pro", "expired")]
    assert AuditLog.objects.filter(action="billing.subscription.expire").count() == 1
    assert limit_in_force(organization, "seats") == 1


@pytest.mark.django_db(transaction=True)
def test_a_downgrade_rolled_by_two_workers_at_once_is_applied_once(organization):
    plans = catalogue()
    subscription = subscribed(organization, "pro")
    subscription_change_plan(subscription=subscription, plan=plans["start"], user=None)

    run_in_threads(lambda _worker: subscription_period_roll(subscription=subscription, now=MONTH_END), 2)

    assert SubscriptionEvent.objects.filter(kind="period_roll").count() == 1
    assert Subscription.objects.get(pk=subscription.pk).plan.code == "start"


def test_the_free_plan_cannot_be_canceled(organization, plans):
    free = subscription_start(organization=organization, plan=plans["free"], currency="RUB", period="month")

    with pytest.raises(ValidationError):
        subscription_cancel(subscription=free)


def test_only_one_subscription_is_current_per_organization(organization, plans):
    subscribed(organization, "start")

    with pytest.raises(ValidationError, match="already subscribed"):
        subscription_start(organization=organization, plan=plans["pro"], currency="RUB", period="month")
    assert Plan.objects.filter(code="pro").exists()


def test_a_currency_the_plan_has_no_price_in_is_refused_in_words(organization, plans, english):
    with pytest.raises(ValidationError, match="The plan Pro has no price in EUR per month"):
        subscription_start(organization=organization, plan=plans["pro"], currency="EUR", period="month")
