"""The plan catalogue: the default plans Kontora ships with, a plan's limits, and the operator's edits of a plan
(:func:`plan_save`, what the admin's plan page calls)."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from apps.billing.models import BillingPeriod, Plan, PlanLimit, PlanPrice, Resource, Subscription
from apps.billing.models.plans import ENDED_STATUSES
from apps.core.language.formatting import format_money
from apps.core.mechanisms.audit import audit_record
from apps.core.models import Currency
from apps.core.money.amounts import check_precision

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


# --- the operator's edits ----------------------------------------------------------------------------------

PLAN_FIELDS = (
    "code",
    "name_ru",
    "name_en",
    "description_ru",
    "description_en",
    "trial_days",
    "is_free",
    "is_public",
    "sort_order",
    "is_active",
)
MAX_TRIAL_DAYS = 365


def _in_use(price: PlanPrice) -> int:
    """How many subscriptions that have not ended pay ``price``, or are moving to it."""
    live = ~Q(status__in=ENDED_STATUSES)
    return (
        Subscription.objects.filter(live)
        .filter(Q(price=price) | Q(pending_price=price) | Q(scheduled_price=price))
        .count()
    )


def plan_check(*, plan: Plan | None, prices: list[dict] | None, limits: list[dict] | None, **fields) -> None:
    """Refuse a plan the catalogue cannot hold, naming each field (``prices.<i>.amount``, ``limits.<i>.resource``)
    — before anything is written. ``prices`` are ``{"currency", "period", "amount"}``, ``limits``
    ``{"resource", "amount"}`` (``None``: unlimited); ``None`` for either leaves it out of the check (the admin
    checks its header and each inline apart)."""
    errors: dict[str, list[str]] = {}

    def refuse(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    code = fields.get("code", plan.code if plan else "")
    if plan is not None and code != plan.code:
        refuse("code", _("A plan's code cannot change: pages, the API and subscriptions know the plan by it."))
    elif plan is None and Plan.objects.filter(code=code).exists():
        refuse("code", _("There is a plan with the code {code} already.").format(code=code))
    for name in ("name_ru", "name_en"):
        if name in fields and not str(fields[name] or "").strip():
            refuse(name, _("A plan needs a name in both languages."))
    trial = fields.get("trial_days")
    if trial is not None and not 0 <= trial <= MAX_TRIAL_DAYS:
        refuse("trial_days", _("A trial lasts from 0 to {days} days.").format(days=MAX_TRIAL_DAYS))
    is_free = fields.get("is_free", plan.is_free if plan else False)
    if plan is not None and is_free != plan.is_free:
        subscribers = Subscription.objects.filter(plan=plan).exclude(status__in=ENDED_STATUSES).count()
        if subscribers:
            refuse(
                "is_free",
                ngettext(
                    "{count} subscription is on this plan: it cannot become free or paid under it.",
                    "{count} subscriptions are on this plan: it cannot become free or paid under them.",
                    subscribers,
                ).format(count=subscribers),
            )
    if is_free and prices:
        refuse("prices", _("The free plan has no prices."))
    if prices is not None:
        _check_prices(plan, prices, refuse)
    if limits is not None:
        _check_limits(limits, refuse)
    if errors:
        raise ValidationError(errors)


def _check_prices(plan: Plan | None, prices: list[dict], refuse) -> None:
    existing = {(p.currency_id, p.period): p for p in plan.prices.select_related("currency")} if plan else {}
    seen: set[tuple[str, str]] = set()
    currencies = {c.pk: c for c in Currency.objects.filter(pk__in=[row.get("currency") for row in prices])}
    for index, row in enumerate(prices):
        currency, period, amount = (
            getattr(row.get("currency"), "pk", row.get("currency")),
            row.get("period"),
            row.get("amount"),
        )
        where = f"prices.{index}"
        if currency not in currencies:
            refuse(f"{where}.currency", _("There is no currency {code}.").format(code=currency))
            continue
        if period not in BillingPeriod.values:
            refuse(f"{where}.period", _("The period is a month or a year."))
            continue
        if (currency, period) in seen:
            refuse(
                f"{where}.currency",
                _("There is a price in {currency} per {period} already.").format(
                    currency=currency, period=BillingPeriod(period).label
                ),
            )
            continue
        seen.add((currency, period))
        if amount is None or amount <= 0:
            refuse(f"{where}.amount", _("The amount must be above zero."))
            continue
        try:
            check_precision(amount, currency=currency, precision=currencies[currency].precision)
        except ValidationError as error:
            refuse(f"{where}.amount", " ".join(error.messages))
            continue
        before = existing.get((currency, period))
        if before is not None and before.amount != amount and (count := _in_use(before)):
            refuse(
                f"{where}.amount",
                ngettext(
                    "{count} subscription pays {amount}: the price cannot change under it. Offer the new price as a "
                    "new plan and stop offering this one.",
                    "{count} subscriptions pay {amount}: the price cannot change under them. Offer the new price as "
                    "a new plan and stop offering this one.",
                    count,
                ).format(count=count, amount=format_money(before.amount, before.currency_id)),
            )
    for key, before in existing.items():
        if key not in seen and (count := _in_use(before)):
            refuse(
                "prices",
                ngettext(
                    "{count} subscription pays the price in {currency} per {period}: it cannot be removed.",
                    "{count} subscriptions pay the price in {currency} per {period}: it cannot be removed.",
                    count,
                ).format(count=count, currency=key[0], period=BillingPeriod(key[1]).label),
            )


def _check_limits(limits: list[dict], refuse) -> None:
    resources: set[str] = set()
    for index, row in enumerate(limits):
        resource, amount = row.get("resource"), row.get("amount")
        where = f"limits.{index}"
        if resource not in Resource.values:
            refuse(f"{where}.resource", _("There is no resource {name}.").format(name=resource))
        elif resource in resources:
            refuse(f"{where}.resource", _("This resource is limited twice."))
        resources.add(resource)
        if amount is not None and amount < 0:
            refuse(f"{where}.amount", _("A limit is zero or more; leave it empty for unlimited."))


def plan_save(*, plan: Plan | None = None, prices: list[dict], limits: list[dict], user=None, **fields) -> Plan:
    """Create (``plan=None``) or change a plan of the catalogue with its prices and limits, in one transaction
    with its audit record. What subscriptions rely on is kept: a price that live subscriptions pay keeps its
    amount and cannot be removed, and a plan with subscribers stays free or paid. Limits apply to the plan's
    subscribers at once (they are read from the plan)."""
    unknown = set(fields) - set(PLAN_FIELDS)
    if unknown:
        raise TypeError(f"plan_save() got unexpected fields {sorted(unknown)}")
    with transaction.atomic():
        if plan is not None:
            plan = Plan.objects.select_for_update().get(pk=plan.pk)
        plan_check(plan=plan, prices=prices, limits=limits, **fields)
        before = _snapshot(plan) if plan is not None else None
        plan = plan or Plan()
        for name, value in fields.items():
            setattr(plan, name, value)
        plan.save()
        wanted = {}
        for row in prices:
            currency = getattr(row["currency"], "pk", row["currency"])
            wanted[(currency, row["period"])] = row["amount"]
        plan.prices.exclude(pk__in=[p.pk for p in plan.prices.all() if (p.currency_id, p.period) in wanted]).delete()
        for (currency, period), amount in wanted.items():
            PlanPrice.objects.update_or_create(
                plan=plan, currency_id=currency, period=period, defaults={"amount": amount}
            )
        wanted_limits = {row["resource"]: row["amount"] for row in limits}
        plan.plan_limits.exclude(resource__in=list(wanted_limits)).delete()
        for resource, amount in wanted_limits.items():
            PlanLimit.objects.update_or_create(plan=plan, resource=resource, defaults={"amount": amount})
        after = _snapshot(plan)
        audit_record(
            action="billing.plan.save",
            actor=user,
            obj=plan,
            changes={"before": before, "after": after} if before is not None else {"after": after},
        )
    return plan


def _snapshot(plan: Plan) -> dict:
    return {
        **{name: getattr(plan, name) for name in PLAN_FIELDS},
        "prices": {
            f"{p.currency_id}/{p.period}": str(p.amount.quantize(Decimal(1).scaleb(-p.currency.precision)))
            for p in plan.prices.select_related("currency")
        },
        "limits": {limit.resource: limit.amount for limit in plan.plan_limits.all()},
    }
