"""The plan catalogue: the default plans Kontora ships with, and a plan's limits."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from apps.billing.models import BillingPeriod, Plan, PlanLimit, PlanPrice, Resource
from apps.core.mechanisms.audit import audit_record

R = Resource
M, Y = BillingPeriod.MONTH, BillingPeriod.YEAR

# code: (names, descriptions, trial days, free, sort order, limits, prices {(currency, period): amount})
DEFAULT_PLANS: dict[str, dict] = {
    "free": {
        "name_ru": "Бесплатный",
        "name_en": "Free",
        "description_ru": "Для знакомства: один сотрудник и один агент.",
        "description_en": "To get to know Kontora: one seat and one agent.",
        "trial_days": 0,
        "is_free": True,
        "sort_order": 0,
        "limits": {R.SEATS: 1, R.AGENTS: 1, R.KNOWLEDGE_STORAGE_MB: 100, R.LLM_TOKENS: 100_000, R.MESSAGES: 1_000},
        "prices": {},
    },
    "start": {
        "name_ru": "Старт",
        "name_en": "Start",
        "description_ru": "Для небольшой команды.",
        "description_en": "For a small team.",
        "trial_days": 14,
        "is_free": False,
        "sort_order": 10,
        "limits": {
            R.SEATS: 5,
            R.AGENTS: 3,
            R.KNOWLEDGE_STORAGE_MB: 1_000,
            R.LLM_TOKENS: 1_000_000,
            R.MESSAGES: 10_000,
        },
        "prices": {
            ("RUB", M): Decimal("990.00"),
            ("RUB", Y): Decimal("9900.00"),
            ("USD", M): Decimal("12.00"),
            ("USD", Y): Decimal("120.00"),
        },
    },
    "pro": {
        "name_ru": "Про",
        "name_en": "Pro",
        "description_ru": "Для растущего бизнеса.",
        "description_en": "For a growing business.",
        "trial_days": 14,
        "is_free": False,
        "sort_order": 20,
        "limits": {
            R.SEATS: 20,
            R.AGENTS: 10,
            R.KNOWLEDGE_STORAGE_MB: 10_000,
            R.LLM_TOKENS: 5_000_000,
            R.MESSAGES: 50_000,
        },
        "prices": {
            ("RUB", M): Decimal("2990.00"),
            ("RUB", Y): Decimal("29900.00"),
            ("USD", M): Decimal("39.00"),
            ("USD", Y): Decimal("390.00"),
        },
    },
}


def plans_ensure_defaults() -> list[Plan]:
    """Create whatever of the default catalogue is missing (plans, prices, limits) and return its plans.

    Idempotent, and it never overwrites: a plan, price or limit the operator edited in the admin stays as
    edited (only missing rows are created)."""
    plans = []
    created_any = False
    with transaction.atomic():
        for code, spec in DEFAULT_PLANS.items():
            fields = {k: v for k, v in spec.items() if k not in ("limits", "prices")}
            plan, created = Plan.objects.get_or_create(code=code, defaults=fields)
            created_any |= created
            for resource, amount in spec["limits"].items():
                _limit, created = PlanLimit.objects.get_or_create(
                    plan=plan, resource=resource, defaults={"amount": amount}
                )
                created_any |= created
            for (currency, period), amount in spec["prices"].items():
                _price, created = PlanPrice.objects.get_or_create(
                    plan=plan, currency_id=currency, period=period, defaults={"amount": amount}
                )
                created_any |= created
            plans.append(plan)
        if created_any:
            audit_record(action="billing.plans.ensure_defaults", changes={"plans": list(DEFAULT_PLANS)})
    return plans


def plan_limits(plan: Plan) -> dict[str, int | None]:
    """``{resource: amount}`` for every resource of :class:`Resource`: ``None`` is unlimited, a resource the plan
    does not list allows nothing (0)."""
    return plan.limits()
