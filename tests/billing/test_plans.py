"""The default catalogue and a plan's limits."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from apps.billing.models import PER_PERIOD_RESOURCES, Plan, PlanLimit, PlanPrice, Resource
from apps.billing.services.plans import plan_limits, plans_ensure_defaults
from apps.core.models import AuditLog

pytestmark = pytest.mark.django_db


def test_the_default_catalogue_is_free_start_and_pro_with_prices_in_roubles_and_dollars():
    plans = plans_ensure_defaults()

    assert [plan.code for plan in plans] == ["free", "start", "pro"]
    free, start, pro = plans
    assert free.is_free
    assert free.trial_days == 0
    assert not free.prices.exists()
    assert (start.trial_days, pro.trial_days) == (14, 14)
    for plan in (start, pro):
        assert set(plan.prices.values_list("currency_id", "period")) == {
            ("RUB", "month"),
            ("RUB", "year"),
            ("USD", "month"),
            ("USD", "year"),
        }
    assert PlanPrice.objects.get(plan=pro, currency_id="RUB", period="month").amount == Decimal("2990.00")


def test_the_free_plan_allows_one_seat_one_agent_100_mb_100k_tokens_and_1000_messages():
    free = plans_ensure_defaults()[0]

    assert plan_limits(free) == {
        "seats": 1,
        "agents": 1,
        "knowledge_storage_mb": 100,
        "llm_tokens": 100_000,
        "messages": 1_000,
    }


def test_ensuring_the_defaults_twice_creates_nothing_more_and_keeps_the_operators_edits():
    plans_ensure_defaults()
    PlanLimit.objects.filter(plan__code="start", resource=Resource.SEATS).update(amount=7)
    counts = (Plan.objects.count(), PlanPrice.objects.count(), PlanLimit.objects.count(), AuditLog.objects.count())

    plans_ensure_defaults()

    assert (
        Plan.objects.count(),
        PlanPrice.objects.count(),
        PlanLimit.objects.count(),
        AuditLog.objects.count(),
    ) == counts
    assert plan_limits(Plan.objects.get(code="start"))["seats"] == 7


def test_an_empty_limit_is_unlimited_and_a_missing_one_allows_nothing():
    plan = Plan.objects.create(code="custom", name_ru="Особый", name_en="Custom")
    PlanLimit.objects.create(plan=plan, resource=Resource.MESSAGES, amount=None)

    limits = plan_limits(plan)

    assert limits["messages"] is None
    assert limits["seats"] == 0


def test_tokens_and_messages_are_counted_per_month_and_the_rest_are_standing_counts():
    assert set(PER_PERIOD_RESOURCES) == {"llm_tokens", "messages"}


def test_a_plan_is_named_in_the_language_of_the_reader():
    pro = plans_ensure_defaults()[2]

    with translation.override("ru"):
        assert str(pro) == "Про"
    with translation.override("en"):
        assert str(pro) == "Pro"


def test_a_price_with_more_decimals_than_its_currency_is_refused():
    start = plans_ensure_defaults()[1]
    price = PlanPrice(plan=start, currency_id="EUR", period="month", amount=Decimal("9.999"))

    with pytest.raises(ValidationError):
        price.full_clean()


def test_the_database_refuses_a_second_price_for_the_same_currency_and_period():
    start = plans_ensure_defaults()[1]

    with pytest.raises(IntegrityError), transaction.atomic():
        PlanPrice.objects.create(plan=start, currency_id="RUB", period="month", amount=Decimal("1"))
