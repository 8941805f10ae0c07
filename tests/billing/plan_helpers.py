"""What the plan, subscription and usage tests share: the default catalogue and an organization on a plan."""

from __future__ import annotations

import datetime as dt

from apps.billing.models import Plan, Subscription, SubscriptionStatus
from apps.billing.services.plans import plans_ensure_defaults

START = dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)


def catalogue() -> dict[str, Plan]:
    return {plan.code: plan for plan in plans_ensure_defaults()}


def subscribed(organization, code: str, *, currency="RUB", period="month", start=START, days=30, **fields):
    """An active, paid subscription of ``organization`` to plan ``code`` (made directly: the scene of a test)."""
    plan = Plan.objects.get(code=code)
    return Subscription.objects.create(
        organization=organization,
        plan=plan,
        price=plan.prices.get(currency_id=currency, period=period),
        status=SubscriptionStatus.ACTIVE,
        started_at=start,
        current_period_start=start,
        current_period_end=start + dt.timedelta(days=days),
        provider=fields.pop("provider", "yookassa"),
        **fields,
    )
