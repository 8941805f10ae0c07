"""Reads and reports: querysets scoped with apps.core.accounts.tenancy.scope, with the joins their callers need."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from apps.billing.models import (
    GatewayAccount,
    Payment,
    Plan,
    Refund,
    RefundStatus,
    Resource,
    Subscription,
    SubscriptionStatus,
    UsageCounter,
    UsageKind,
    UsageRecord,
    limit_in_force,
    plan_in_force,
    usage_period,
)
from apps.billing.models.plans import CURRENT_STATUSES
from apps.core.accounts.tenancy import scope

# --- plans ------------------------------------------------------------------------------------------------------


def plan_list(*, public_only: bool = True) -> QuerySet[Plan]:
    """The active plans of the catalogue in their order, with prices and limits (for pricing pages and the API)."""
    plans = Plan.objects.filter(is_active=True)
    if public_only:
        plans = plans.filter(is_public=True)
    return plans.prefetch_related("prices__currency", "plan_limits").order_by("sort_order", "code")


# --- subscriptions ----------------------------------------------------------------------------------------------


def subscription_current(*, organization) -> Subscription | None:
    """The organization's current subscription (trial, active or past due); ``None`` means the free plan."""
    return (
        Subscription.objects.current()
        .filter(organization_id=organization.pk)
        .select_related("plan", "price__currency", "scheduled_plan", "pending_plan")
        .first()
    )


def subscription_list(*, user) -> QuerySet[Subscription]:
    return scope(Subscription.objects.all(), user).select_related("organization", "plan", "price__currency")


def plan_of(*, organization) -> Plan | None:
    """The plan whose limits apply to the organization now."""
    return plan_in_force(organization)


def subscriptions_due_for_renewal(*, now: dt.datetime | None = None) -> QuerySet[Subscription]:
    """Subscriptions whose saved payment method (YooKassa, T-Bank) is to be charged now: trials and active ones at
    their period end, and past-due ones at their next dunning attempt. Stripe renews on its own (mirrored from
    webhooks). The charge must carry :func:`subscription_renewal_key` so that it happens once per period."""
    now = now or timezone.now()
    return Subscription.objects.filter(
        Q(
            status__in=[SubscriptionStatus.TRIALING, SubscriptionStatus.ACTIVE],
            current_period_end__lte=now,
            cancel_at_period_end=False,
            scheduled_plan__isnull=True,  # the period roll applies the downgrade first; the renewal follows
        )
        | Q(status=SubscriptionStatus.PAST_DUE, next_renewal_attempt_at__lte=now),
        provider__in=["yookassa", "tbank"],
    ).exclude(payment_method_id="")


def subscription_renewal_key(subscription: Subscription) -> str:
    """The idempotency key of the renewal charge of the subscription's current period end: the same for every
    attempt of the task and every worker, so the provider charges a period once."""
    end = subscription.current_period_end
    return f"subscription:{subscription.pk}:renewal:{end.isoformat() if end else 'none'}"


def subscriptions_due_for_period_roll(*, now: dt.datetime | None = None) -> QuerySet[Subscription]:
    """Current subscriptions past their period end with a change scheduled for it (a downgrade, a cancel)."""
    now = now or timezone.now()
    return Subscription.objects.filter(
        Q(scheduled_plan__isnull=False) | Q(cancel_at_period_end=True),
        status__in=CURRENT_STATUSES,
        current_period_end__lte=now,
    )


def subscriptions_due_to_expire(*, now: dt.datetime | None = None) -> QuerySet[Subscription]:
    """Past-due subscriptions whose grace period is over, and trials that ended with nothing to charge."""
    now = now or timezone.now()
    return Subscription.objects.filter(
        Q(status=SubscriptionStatus.PAST_DUE, grace_until__lte=now)
        | Q(status=SubscriptionStatus.TRIALING, trial_ends_at__lte=now, payment_method_id="", provider="")
    )


# --- usage ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UsageLine:
    resource: str
    label: str
    used: int
    reserved: int
    limit: int | None  # None: unlimited
    percent: Decimal | None  # used of the limit, one decimal; None when unlimited
    per_period: bool


def usage_summary(*, organization) -> list[UsageLine]:
    """Every resource with its use this month (or now, for standing counts) against the plan's limit."""
    lines = []
    for resource in Resource:
        period = usage_period(organization, resource)
        used, reserved = (
            UsageCounter.objects.filter(organization_id=organization.pk, resource=resource, period=period)
            .values_list("used", "reserved")
            .first()
        ) or (0, 0)
        limit = limit_in_force(organization, resource)
        if limit is None:
            percent = None
        elif limit == 0:
            percent = Decimal(100) if used else Decimal(0)
        else:
            percent = (Decimal(used) * 100 / limit).quantize(Decimal("0.1"))
        lines.append(UsageLine(resource.value, str(resource.label), used, reserved, limit, percent, period is not None))
    return lines


def usage_counter_recompute(*, organization, resource: str, period: dt.date | None) -> tuple[int, int]:
    """``(used, reserved)`` of a counter derived from the usage records alone (the truth the counter must
    agree with): used is what was settled less what was given back; reserved is what is reserved under keys
    that have not ended."""
    records = UsageRecord.objects.filter(organization_id=organization.pk, resource=resource, period=period)
    totals = records.aggregate(
        settled=Sum("amount", filter=Q(kind=UsageKind.SETTLE), default=0),
        freed=Sum("amount", filter=Q(kind=UsageKind.FREE), default=0),
    )
    ended = records.filter(kind__in=[UsageKind.SETTLE, UsageKind.RELEASE]).values("key")
    open_reserved = (
        records.filter(kind=UsageKind.RESERVE).exclude(key__in=ended).aggregate(total=Sum("amount", default=0))["total"]
    )
    return totals["settled"] - totals["freed"], open_reserved


def usage_overage(*, organization, resource: str, period: dt.date | None) -> int:
    """How much of ``resource`` was used beyond the plan's limit in ``period`` (from the records)."""
    used, _reserved = usage_counter_recompute(organization=organization, resource=resource, period=period)
    limit = limit_in_force(organization, resource)
    return 0 if limit is None else max(0, used - limit)


# --- payments (gateways, payments, refunds) ----------------------------------------------------------------------


def gateway_get_by_endpoint(*, provider: str, endpoint: str) -> GatewayAccount | None:
    """The active gateway a webhook addressed ``/billing/webhooks/<provider>/<endpoint>/`` belongs to, or None.
    Not scoped: a provider's delivery has no user; the random endpoint is what identifies the gateway."""
    return (
        GatewayAccount.objects.select_related("organization")
        .filter(provider=provider, endpoint=endpoint, is_active=True)
        .first()
    )


def gateway_list(*, user) -> QuerySet[GatewayAccount]:
    return scope(GatewayAccount.objects.select_related("organization"), user)


def payment_list(*, user) -> QuerySet[Payment]:
    return scope(Payment.objects.select_related("gateway", "currency", "organization"), user)


def payment_get_by_provider_id(*, gateway: GatewayAccount, provider_payment_id: str) -> Payment | None:
    """The payment the provider names ``provider_payment_id`` (its id, or Stripe's PaymentIntent id)."""
    return (
        Payment.objects.select_related("gateway", "currency")
        .filter(gateway=gateway)
        .filter(Q(provider_payment_id=provider_payment_id) | Q(metadata__provider_reference=provider_payment_id))
        .first()
    )


def payment_get_by_provider_key(*, gateway: GatewayAccount, provider_key: str) -> Payment | None:
    """The payment whose key the provider echoes (T-Bank's OrderId, the ``kontora_key`` metadata)."""
    return (
        Payment.objects.select_related("gateway", "currency").filter(gateway=gateway, provider_key=provider_key).first()
    )


def payments_for_purpose(*, purpose_type: str, purpose_id) -> QuerySet[Payment]:
    return Payment.objects.filter(purpose_type=purpose_type, purpose_id=str(purpose_id)).order_by("created_at")


def payments_unsettled(*, older_than) -> QuerySet[Payment]:
    """Payments still pending or held, started before ``older_than``: what the sweeper re-fetches."""
    return Payment.objects.select_related("gateway").filter(
        status__in=("pending", "waiting_for_capture"), created_at__lt=older_than
    )


def payments_fee_unknown(*, providers, succeeded_between: tuple) -> QuerySet[Payment]:
    """Succeeded payments at ``providers`` whose fee is still unknown, succeeded within ``succeeded_between``
    (earliest, latest): what the sweeper asks the fee of."""
    earliest, latest = succeeded_between
    return Payment.objects.select_related("gateway").filter(
        status="succeeded",
        fee__isnull=True,
        gateway__provider__in=providers,
        succeeded_at__gte=earliest,
        succeeded_at__lt=latest,
    )


def refund_list(*, user) -> QuerySet[Refund]:
    return scope(Refund.objects.select_related("payment", "payment__gateway"), user)


def payment_refunded_amount(*, payment: Payment) -> Decimal:
    """Refunded or being refunded (pending and succeeded refunds)."""
    total = Refund.objects.filter(
        payment_id=payment.pk, status__in=(RefundStatus.PENDING, RefundStatus.SUCCEEDED)
    ).aggregate(total=Sum("amount"))["total"]
    return total or Decimal(0)


def payment_is_fully_refunded(*, payment: Payment) -> bool:
    succeeded = Refund.objects.filter(payment_id=payment.pk, status=RefundStatus.SUCCEEDED).aggregate(
        total=Sum("amount")
    )["total"]
    return payment.captured_amount > 0 and (succeeded or 0) == payment.captured_amount


# --- the admin's billing panel and the API's lists -----------------------------------------------------------


def payment_list_detailed(*, user) -> QuerySet[Payment]:
    """Payments with what their pages and the API show: gateway, currency, organization (one query a page)."""
    return scope(Payment.objects.select_related("gateway", "currency", "organization"), user)


def refund_list_detailed(*, user) -> QuerySet[Refund]:
    """Refunds with their payment's currency and gateway (the amount's precision), one query a page."""
    return scope(Refund.objects.select_related("payment__currency", "payment__gateway", "organization"), user)


@dataclass(frozen=True)
class BillingFigures:
    revenue_by_day: list[tuple[dt.date, str, Decimal]]  # (day, currency, captured) of succeeded payments
    revenue_totals: dict[str, Decimal]  # currency → captured in the window
    failed_payments: int
    mrr: dict[str, Decimal]  # currency → monthly recurring revenue of current paid subscriptions
    days: int


def billing_figures(*, user, days: int = 30, now: dt.datetime | None = None) -> BillingFigures:
    """The admin panel's figures over what ``user`` sees: money taken per day (by the day it succeeded, in
    the server's time zone) in the last ``days`` days, failed payments in the same window, and the MRR of the
    current paid subscriptions (a yearly price counts a twelfth a month; trials count nothing)."""
    from django.db.models import Count
    from django.db.models.functions import TruncDate

    now = now or timezone.now()
    since = now - dt.timedelta(days=days)
    payments = scope(Payment.objects.all(), user)
    daily = (
        payments.filter(status="succeeded", succeeded_at__gte=since)
        .annotate(day=TruncDate("succeeded_at"))
        .values("day", "currency_id")
        .annotate(total=Sum("captured_amount"))
        .order_by("day", "currency_id")
    )
    revenue = [(row["day"], row["currency_id"], row["total"]) for row in daily]
    totals: dict[str, Decimal] = {}
    for _day, currency, amount in revenue:
        totals[currency] = totals.get(currency, Decimal(0)) + amount
    failed = payments.filter(status="failed", created_at__gte=since).aggregate(n=Count("pk"))["n"]
    mrr: dict[str, Decimal] = {}
    subscriptions = (
        scope(Subscription.objects.all(), user)
        .filter(status__in=(SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE), price__isnull=False)
        .values_list("price__currency_id", "price__period", "price__amount")
    )
    for currency, period, amount in subscriptions:
        monthly = amount / 12 if period == "year" else amount
        mrr[currency] = mrr.get(currency, Decimal(0)) + monthly
    return BillingFigures(revenue, totals, failed, mrr, days)
