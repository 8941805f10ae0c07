"""The demo organization's Kontora subscription: the plan catalogue, and the "Pro" plan in its trial."""

from __future__ import annotations

from ..models import Plan, Subscription
from ..services.plans import plans_ensure_defaults
from ..services.subscriptions import subscription_start

PLAN, CURRENCY, PERIOD = "pro", "RUB", "month"


def seed(*, organization, user) -> Subscription:
    plans_ensure_defaults()
    current = Subscription.objects.current().filter(organization=organization).select_related("plan").first()
    if current is not None and not current.plan.is_free:
        return current  # seeded before (or chosen since): leave it
    return subscription_start(
        organization=organization, plan=Plan.objects.get(code=PLAN), currency=CURRENCY, period=PERIOD, user=user
    )
