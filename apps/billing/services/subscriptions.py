"""Subscriptions: start, activate from a verified payment, change plan, cancel and resume, dunning, period end.

Rules:

- **Limits follow payment.** A paid plan's limits apply only once a verified payment event calls
  :func:`subscription_activate` (or :func:`subscription_upgrade_paid` for an upgrade's prorated amount). A
  subscription awaiting its first payment is ``incomplete`` and not current; a trial (once per organization)
  is current from its start.
- **Exactly once.** Every service locks the organization's row and then the subscription's (always in that
  order, so two services never deadlock), and the changes that come from outside or from a schedule
  (payment events, failed renewals, the period roll) are recorded under a unique key
  (:class:`SubscriptionEvent`): a second worker or a redelivered event finds the key and changes nothing.
- **Audited.** Every change writes its audit record in the same transaction.
- **Falling back.** When a subscription ends (canceled now, canceled or downgraded to free at its period end,
  expired after dunning), the organization gets a subscription to the free plan, so it always has one.

Dunning (a failed renewal of a saved payment method): retry after 1, 3 and 5 days (``DUNNING_RETRY_DAYS``,
each counted from the failure before it); after the last retry fails, a grace period of ``GRACE_DAYS``; then
:func:`subscription_expire` moves the organization to the free plan. The subscription stays current (past due)
with its limits until then.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.billing.models import (
    BillingPeriod,
    Plan,
    PlanPrice,
    Subscription,
    SubscriptionEvent,
    SubscriptionProvider,
    SubscriptionStatus,
)
from apps.billing.models.plans import CURRENT_STATUSES, ENDED_STATUSES
from apps.core.mechanisms.audit import audit_record
from apps.core.mechanisms.idempotency import mark_replay
from apps.core.models import Organization

from .outcomes import subscription_announce
from .provider_subscriptions import (
    provider_cancel_at_period_end,
    provider_cancel_now,
    provider_change_price,
    renewed_by_provider,
)

DUNNING_RETRY_DAYS = (1, 3, 5)
GRACE_DAYS = 3

S = SubscriptionStatus


@dataclass
class PlanChange:
    """What :func:`subscription_change_plan` did: ``kind`` is ``upgrade`` (applied now), ``upgrade_pending``
    (applied when ``amount_due`` is paid) or ``downgrade`` (scheduled for the period end)."""

    subscription: Subscription
    kind: str
    amount_due: Decimal


# --- helpers ----------------------------------------------------------------------------------------------------


def _now(now: dt.datetime | None) -> dt.datetime:
    now = now or timezone.now()
    if timezone.is_naive(now):
        raise ValueError("now must be timezone-aware")
    return now


def _lock(subscription: Subscription) -> tuple[Organization, Subscription]:
    """Lock the organization, then the subscription (the one order every service takes), and re-read both."""
    organization = Organization.objects.select_for_update().get(pk=subscription.organization_id)
    locked = (
        Subscription.objects.select_for_update(of=("self",))
        .select_related("plan", "price__currency")
        .get(pk=subscription.pk)
    )
    return organization, locked


def _seen(key: str) -> bool:
    return SubscriptionEvent.objects.filter(key=key).exists()


def _event(subscription: Subscription, key: str, kind: str, **data) -> None:
    SubscriptionEvent.objects.create(
        organization_id=subscription.organization_id, subscription=subscription, key=key, kind=kind, data=data
    )


def _audit(action: str, subscription: Subscription, user=None, **changes) -> None:
    audit_record(
        action=action, actor=user, organization=subscription.organization_id, obj=subscription, changes=changes
    )


def free_plan() -> Plan | None:
    return Plan.objects.filter(is_free=True, is_active=True).order_by("sort_order", "pk").first()


def _start_free(organization: Organization, now: dt.datetime, user=None) -> Subscription | None:
    """Put the organization on the free plan (none when the catalogue has no free plan)."""
    plan = free_plan()
    if plan is None:
        return None
    subscription = Subscription.objects.create(
        organization=organization, plan=plan, status=S.ACTIVE, started_at=now, provider=SubscriptionProvider.NONE
    )
    _audit("billing.subscription.start", subscription, user, plan=plan.code, status=S.ACTIVE)
    return subscription


def _end(subscription: Subscription, status: str, now: dt.datetime) -> None:
    subscription.status = status
    subscription.ended_at = now
    subscription.next_renewal_attempt_at = None
    subscription.scheduled_plan = subscription.scheduled_price = None
    subscription.pending_plan = subscription.pending_price = subscription.pending_amount = None
    subscription.save()


def _replace(subscription: Subscription, now: dt.datetime, user=None) -> None:
    """End the current subscription that a new one replaces (the free plan giving way to a trial or a paid plan)."""
    _end(subscription, S.CANCELED, now)
    _audit("billing.subscription.replace", subscription, user, plan=subscription.plan.code)


def _price(plan: Plan, currency_id: str, period: str) -> PlanPrice:
    price = (
        PlanPrice.objects.select_related("currency").filter(plan=plan, currency_id=currency_id, period=period).first()
    )
    if price is None:
        raise ValidationError(
            {
                "plan": _("The plan {plan} has no price in {currency} per {period}.").format(
                    plan=plan.name,
                    currency=currency_id,
                    period=BillingPeriod(period).label if period in BillingPeriod.values else period,
                )
            }
        )
    return price


def _aware(value: dt.datetime, field: str) -> dt.datetime:
    if not isinstance(value, dt.datetime) or timezone.is_naive(value):
        raise ValidationError({field: _("A date and time with its time zone is required.")})
    return value


# --- proration --------------------------------------------------------------------------------------------------


def prorate(
    *,
    old_amount: Decimal,
    new_amount: Decimal,
    period_start: dt.date,
    period_end: dt.date,
    today: dt.date,
    precision: int,
) -> Decimal:
    """What an upgrade costs for the rest of the period: the new plan's price for the days left, less the
    unused part of the current price (credited), that is ``(new - old) × days left / days in the period``.

    Computed exactly (as a fraction) and rounded once, half up, to the currency's precision; a day counts as
    left from ``today`` (the day of the change is charged at the new price)."""
    total_days = (period_end - period_start).days
    if total_days <= 0:
        return Decimal(0).quantize(Decimal(1).scaleb(-precision))
    days_left = max(0, min(total_days, (period_end - today).days))
    exact = Fraction(new_amount - old_amount) * days_left / total_days
    scaled = exact * 10**precision
    whole = (abs(scaled.numerator) * 2 + scaled.denominator) // (2 * scaled.denominator)  # half up, away from 0
    return (Decimal(whole if scaled >= 0 else -whole)).scaleb(-precision).quantize(Decimal(1).scaleb(-precision))


# --- use cases --------------------------------------------------------------------------------------------------


def subscription_start(
    *, organization, plan: Plan, currency, period: str, user=None, now: dt.datetime | None = None
) -> Subscription:
    """Start a subscription to ``plan`` priced in ``currency`` per ``period`` (``month`` or ``year``).

    A paid plan with trial days (and an organization that never had a trial) starts ``trialing`` and is
    current at once; otherwise it is ``incomplete`` and waits for the payment side to call
    :func:`subscription_activate`. Starting the free plan puts an organization without a paid subscription
    on it."""
    now = _now(now)
    currency_id = getattr(currency, "pk", currency)
    with transaction.atomic():
        organization = Organization.objects.select_for_update().get(pk=organization.pk)
        if not plan.is_active:
            raise ValidationError({"plan": _("The plan {plan} is no longer offered.").format(plan=plan.name)})
        current = Subscription.objects.select_for_update().current().filter(organization=organization).first()
        if plan.is_free:
            if current is not None and current.plan.is_free:
                return mark_replay(current, True)
            if current is not None:
                raise ValidationError(
                    {
                        "plan": _(
                            "The organization is subscribed to {plan}; change or cancel that plan instead."
                        ).format(plan=current.plan.name)
                    }
                )
            return mark_replay(_start_free(organization, now, user), False)
        if current is not None and not current.plan.is_free:
            raise ValidationError(
                {
                    "plan": _("The organization is already subscribed to {plan}; change the plan instead.").format(
                        plan=current.plan.name
                    )
                }
            )
        price = _price(plan, currency_id, period)
        had_trial = Subscription.objects.filter(organization=organization, trial_ends_at__isnull=False).exists()
        if plan.trial_days and not had_trial:
            if current is not None:
                _replace(current, now, user)
            trial_end = now + dt.timedelta(days=plan.trial_days)
            subscription = Subscription.objects.create(
                organization=organization,
                plan=plan,
                price=price,
                status=S.TRIALING,
                started_at=now,
                trial_ends_at=trial_end,
                current_period_start=now,
                current_period_end=trial_end,
            )
        else:
            subscription = Subscription.objects.create(
                organization=organization, plan=plan, price=price, status=S.INCOMPLETE, started_at=now
            )
        _audit(
            "billing.subscription.start",
            subscription,
            user,
            plan=plan.code,
            currency=currency_id,
            period=period,
            status=subscription.status,
        )
    return mark_replay(subscription, False)


def subscription_activate(
    *,
    subscription: Subscription,
    period_start: dt.datetime,
    period_end: dt.datetime,
    provider: str,
    provider_subscription_id: str = "",
    payment_method: str = "",
    event_key: str,
) -> Subscription:
    """Apply a verified payment for a subscription's period: it becomes (or stays) active, current and paid
    through ``period_end``; its dunning state is cleared. What the payment webhook handler calls.

    Idempotent by ``event_key`` (the provider's event, e.g. ``stripe:evt_…``): the same event again changes
    nothing. An event for a period already covered (delivered late) is recorded and changes nothing either."""
    period_start, period_end = _aware(period_start, "period_start"), _aware(period_end, "period_end")
    if period_end <= period_start:
        raise ValidationError({"period_end": _("The period must end after it starts.")})
    if provider not in SubscriptionProvider.values or not provider:
        raise ValidationError({"provider": _("“{value}” is not a payment provider.").format(value=provider)})
    key = str(event_key)
    now = timezone.now()
    with transaction.atomic():
        organization, subscription = _lock(subscription)
        if _seen(key):
            return mark_replay(subscription, True)
        if subscription.status in ENDED_STATUSES:
            raise ValidationError(
                _("The subscription has ended ({status}); a payment for it cannot renew it.").format(
                    status=subscription.get_status_display()
                )
            )
        stale = (
            subscription.status in (S.ACTIVE, S.PAST_DUE)
            and subscription.current_period_end is not None
            and period_end <= subscription.current_period_end
        )
        if not stale:
            if subscription.status == S.INCOMPLETE:
                previous = Subscription.objects.select_for_update().current().filter(organization=organization).first()
                if previous is not None:
                    _replace(previous, now)
            subscription.status = S.ACTIVE
            subscription.current_period_start, subscription.current_period_end = period_start, period_end
            subscription.provider = provider
            subscription.provider_subscription_id = provider_subscription_id or subscription.provider_subscription_id
            subscription.payment_method_id = payment_method or subscription.payment_method_id
            subscription.renewal_attempts = 0
            subscription.next_renewal_attempt_at = subscription.grace_until = None
            subscription.save()
            _audit(
                "billing.subscription.activate",
                subscription,
                plan=subscription.plan.code,
                period_start=period_start.isoformat(),
                period_end=period_end.isoformat(),
                provider=provider,
                event=key,
            )
            subscription_announce(subscription=subscription, change="activate", key=key)
        _event(subscription, key, "activate", stale=stale, period_end=period_end.isoformat())
    return mark_replay(subscription, False)


def subscription_change_plan(
    *, subscription: Subscription, plan: Plan, user=None, today: dt.date | None = None
) -> PlanChange:
    """Move a current subscription to ``plan`` (same currency and billing period).

    A dearer (or equally priced) plan is an upgrade, now: the amount due is the prorated difference for the
    rest of the period (:func:`prorate`). During a trial, or when nothing is due, it applies at once;
    otherwise it waits for the payment of ``amount_due`` (:func:`subscription_upgrade_paid`), since limits
    change only from a verified payment. A cheaper plan (or the free plan) is a downgrade, scheduled for the
    period end (:func:`subscription_period_roll`).

    A subscription Stripe renews is changed at Stripe too (``provider_subscriptions``): a downgrade there first
    (nothing changes here if Stripe refuses); an upgrade here first (its pending state must be in place before
    Stripe's invoice for it is paid), withdrawn if Stripe refuses. Stripe then invoices the upgrade's difference
    itself: ``amount_due`` is what Kontora reckons, the invoice says what was charged."""
    if renewed_by_provider(subscription) and subscription.status == S.ACTIVE and plan.pk != subscription.plan_id:
        price = subscription.price
        new_price = None if plan.is_free or price is None else _price(plan, price.currency_id, price.period)
        if new_price is None:
            provider_cancel_at_period_end(subscription, True)
        elif new_price.amount < price.amount:
            provider_change_price(subscription, new_price, invoice_now=False)
    change = _change_plan(subscription=subscription, plan=plan, user=user, today=today)
    if renewed_by_provider(change.subscription) and change.kind in ("upgrade", "upgrade_pending"):
        try:
            provider_change_price(
                change.subscription,
                change.subscription.pending_price or change.subscription.price,
                invoice_now=change.kind == "upgrade_pending",
                due=change.amount_due,
            )
        except ValidationError:
            if change.kind == "upgrade_pending":
                _pending_withdraw(change.subscription)
            raise
    return change


def _pending_withdraw(subscription: Subscription) -> None:
    """Undo an upgrade awaiting payment that the provider refused to invoice."""
    with transaction.atomic():
        _organization, subscription = _lock(subscription)
        subscription.pending_plan = subscription.pending_price = subscription.pending_amount = None
        subscription.save()
        _audit("billing.subscription.upgrade_withdrawn", subscription)


def _change_plan(*, subscription: Subscription, plan: Plan, user=None, today: dt.date | None = None) -> PlanChange:
    with transaction.atomic():
        organization, subscription = _lock(subscription)
        if subscription.status not in (S.TRIALING, S.ACTIVE):
            raise ValidationError(
                _("Only a trial or an active subscription can change plan; this one is {status}.").format(
                    status=subscription.get_status_display()
                )
            )
        if plan.pk == subscription.plan_id:
            raise ValidationError({"plan": _("The subscription is already on {plan}.").format(plan=plan.name)})
        if not plan.is_active:
            raise ValidationError({"plan": _("The plan {plan} is no longer offered.").format(plan=plan.name)})
        current_price = subscription.price
        if plan.is_free or current_price is None:
            new_price = None
        else:
            new_price = _price(plan, current_price.currency_id, current_price.period)
        precision = current_price.currency.precision if current_price is not None else 2
        zero = Decimal(0).quantize(Decimal(1).scaleb(-precision))
        if new_price is None or new_price.amount < current_price.amount:
            subscription.scheduled_plan, subscription.scheduled_price = plan, new_price
            subscription.pending_plan = subscription.pending_price = subscription.pending_amount = None
            subscription.save()
            _audit("billing.subscription.downgrade_scheduled", subscription, user, plan=plan.code)
            subscription_announce(subscription=subscription, change="downgrade_scheduled")
            return PlanChange(subscription, "downgrade", zero)
        today = today or organization.today()
        if subscription.status == S.TRIALING:
            due = zero
        else:
            due = prorate(
                old_amount=current_price.amount,
                new_amount=new_price.amount,
                period_start=organization.local_date(subscription.current_period_start),
                period_end=organization.local_date(subscription.current_period_end),
                today=today,
                precision=precision,
            )
        subscription.scheduled_plan = subscription.scheduled_price = None
        if due == 0:
            old_plan = subscription.plan.code
            subscription.plan, subscription.price = plan, new_price
            subscription.pending_plan = subscription.pending_price = subscription.pending_amount = None
            subscription.save()
            _audit("billing.subscription.upgrade", subscription, user, plan=plan.code, previous_plan=old_plan)
            subscription_announce(subscription=subscription, change="upgrade")
            return PlanChange(subscription, "upgrade", zero)
        subscription.pending_plan, subscription.pending_price, subscription.pending_amount = plan, new_price, due
        subscription.save()
        _audit("billing.subscription.upgrade_pending", subscription, user, plan=plan.code, amount_due=str(due))
        return PlanChange(subscription, "upgrade_pending", due)


def subscription_upgrade_paid(*, subscription: Subscription, event_key: str) -> Subscription:
    """Apply the upgrade awaiting payment, now that a verified payment event paid its amount. Idempotent by
    ``event_key``."""
    key = str(event_key)
    with transaction.atomic():
        _organization, subscription = _lock(subscription)
        if _seen(key):
            return mark_replay(subscription, True)
        if subscription.pending_plan_id is None or subscription.status not in CURRENT_STATUSES:
            raise ValidationError(_("The subscription has no upgrade awaiting payment."))
        old_plan = subscription.plan.code
        subscription.plan, subscription.price = subscription.pending_plan, subscription.pending_price
        amount = subscription.pending_amount
        subscription.pending_plan = subscription.pending_price = subscription.pending_amount = None
        subscription.save()
        _event(subscription, key, "upgrade_paid", amount=str(amount))
        _audit(
            "billing.subscription.upgrade", subscription, plan=subscription.plan.code, previous_plan=old_plan, event=key
        )
        subscription_announce(subscription=subscription, change="upgrade", key=key)
    return mark_replay(subscription, False)


def subscription_cancel(
    *,
    subscription: Subscription,
    at_period_end: bool = True,
    user=None,
    now: dt.datetime | None = None,
    mirror: bool = False,
) -> Subscription:
    """Cancel a subscription: at its period end (the default; it keeps its plan until then and can be
    resumed) or now (the organization moves to the free plan at once).

    A subscription Stripe renews is cancelled at Stripe first; ``mirror`` is for Stripe's own word about it (a
    webhook), which is applied here only."""
    now = _now(now)
    if not mirror and subscription.status not in ENDED_STATUSES:
        if not at_period_end:
            provider_cancel_now(subscription)
        elif not subscription.cancel_at_period_end:
            provider_cancel_at_period_end(subscription, True)
    with transaction.atomic():
        organization, subscription = _lock(subscription)
        if subscription.status in ENDED_STATUSES:
            return mark_replay(subscription, True)
        if subscription.plan.is_free and subscription.is_current:
            raise ValidationError(_("The free plan cannot be canceled; choose a paid plan instead."))
        if at_period_end and subscription.is_current and subscription.current_period_end is not None:
            subscription.cancel_at_period_end = True
            subscription.canceled_at = now
            subscription.save()
            _audit(
                "billing.subscription.cancel_scheduled",
                subscription,
                user,
                at=subscription.current_period_end.isoformat(),
            )
            subscription_announce(subscription=subscription, change="cancel_scheduled")
            return mark_replay(subscription, False)
        was_current = subscription.is_current
        subscription.canceled_at = now
        _end(subscription, S.CANCELED, now)
        _audit("billing.subscription.cancel", subscription, user, plan=subscription.plan.code)
        subscription_announce(subscription=subscription, change="cancel", key="ended")
        if was_current:
            _start_free(organization, now, user)
    return mark_replay(subscription, False)


def subscription_resume(*, subscription: Subscription, user=None, mirror: bool = False) -> Subscription:
    """Undo a cancel (or a downgrade) scheduled for the period end: the subscription renews on its plan. A
    subscription Stripe renews is resumed at Stripe first (``mirror``: Stripe's own word, applied here only)."""
    if not mirror and subscription.is_current:
        if subscription.cancel_at_period_end or (
            subscription.scheduled_plan_id and subscription.scheduled_price_id is None
        ):
            provider_cancel_at_period_end(subscription, False)
        elif subscription.scheduled_price_id and subscription.price_id:
            provider_change_price(subscription, subscription.price, invoice_now=False)
    with transaction.atomic():
        _organization, subscription = _lock(subscription)
        if not subscription.is_current:
            raise ValidationError(
                _("Only a current subscription can be resumed; this one is {status}.").format(
                    status=subscription.get_status_display()
                )
            )
        if not subscription.cancel_at_period_end and subscription.scheduled_plan_id is None:
            return mark_replay(subscription, True)
        subscription.cancel_at_period_end = False
        subscription.canceled_at = None
        subscription.scheduled_plan = subscription.scheduled_price = None
        subscription.save()
        _audit("billing.subscription.resume", subscription, user, plan=subscription.plan.code)
        subscription_announce(subscription=subscription, change="resume")
    return mark_replay(subscription, False)


def subscription_renewal_failed(
    *, subscription: Subscription, event_key: str, now: dt.datetime | None = None
) -> Subscription:
    """Record a failed renewal charge (idempotent by ``event_key``): the subscription becomes past due, with
    the next retry scheduled (1, 3, 5 days) or, after the last retry, a grace period before it expires."""
    now = _now(now)
    key = str(event_key)
    with transaction.atomic():
        _organization, subscription = _lock(subscription)
        if _seen(key):
            return mark_replay(subscription, True)
        if subscription.status not in CURRENT_STATUSES or subscription.plan.is_free:
            raise ValidationError(
                _("A renewal of a {status} subscription cannot fail.").format(status=subscription.get_status_display())
            )
        attempts = subscription.renewal_attempts + 1
        subscription.status = S.PAST_DUE
        subscription.renewal_attempts = attempts
        if attempts <= len(DUNNING_RETRY_DAYS):
            subscription.next_renewal_attempt_at = now + dt.timedelta(days=DUNNING_RETRY_DAYS[attempts - 1])
            subscription.grace_until = None
            action = "billing.subscription.renewal_failed"
        else:
            subscription.next_renewal_attempt_at = None
            subscription.grace_until = now + dt.timedelta(days=GRACE_DAYS)
            action = "billing.subscription.grace"
        subscription.save()
        _event(subscription, key, "renewal_failed", attempt=attempts)
        _audit(
            action,
            subscription,
            attempt=attempts,
            next_attempt=subscription.next_renewal_attempt_at.isoformat()
            if subscription.next_renewal_attempt_at
            else None,
            grace_until=subscription.grace_until.isoformat() if subscription.grace_until else None,
        )
        subscription_announce(subscription=subscription, change="renewal_failed", key=key)
    return mark_replay(subscription, False)


def subscription_expire(*, subscription: Subscription, user=None, now: dt.datetime | None = None) -> Subscription:
    """End a subscription whose payment never came (grace period over, trial ended with nothing to charge)
    and move the organization to the free plan. Applied once: an ended subscription is returned unchanged."""
    now = _now(now)
    with transaction.atomic():
        organization, subscription = _lock(subscription)
        if not subscription.is_current or subscription.plan.is_free:
            return mark_replay(subscription, True)
        _end(subscription, S.EXPIRED, now)
        _audit("billing.subscription.expire", subscription, user, plan=subscription.plan.code)
        subscription_announce(subscription=subscription, change="expire", key="ended")
        _start_free(organization, now, user)
    return mark_replay(subscription, False)


def subscription_period_roll(*, subscription: Subscription, now: dt.datetime | None = None) -> Subscription:
    """At the period end, apply what was scheduled for it: a downgrade (to a cheaper plan, or to the free plan,
    which ends the subscription) or a cancel. Once per period: the roll is recorded under the period's key,
    and a subscription with nothing scheduled, or whose period has not ended, is returned unchanged."""
    now = _now(now)
    with transaction.atomic():
        organization, subscription = _lock(subscription)
        end = subscription.current_period_end
        if not subscription.is_current or end is None or now < end:
            return mark_replay(subscription, True)
        if not subscription.cancel_at_period_end and subscription.scheduled_plan_id is None:
            return mark_replay(subscription, True)
        key = f"subscription:{subscription.pk}:roll:{end.isoformat()}"
        if _seen(key):
            return mark_replay(subscription, True)
        scheduled = subscription.scheduled_plan
        previous_plan = subscription.plan.code
        if subscription.cancel_at_period_end or scheduled.is_free:
            _event(subscription, key, "period_roll", to="free")
            _end(subscription, S.CANCELED, now)
            _audit("billing.subscription.period_roll", subscription, previous_plan=previous_plan, plan="free")
            subscription_announce(subscription=subscription, change="period_roll", key=key)
            _start_free(organization, now)
        else:
            subscription.plan, subscription.price = scheduled, subscription.scheduled_price
            subscription.scheduled_plan = subscription.scheduled_price = None
            subscription.save()
            _event(subscription, key, "period_roll", to=scheduled.code)
            _audit("billing.subscription.period_roll", subscription, previous_plan=previous_plan, plan=scheduled.code)
            subscription_announce(subscription=subscription, change="period_roll", key=key)
    return mark_replay(subscription, False)


def subscriptions_process_due(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The beat's pass over subscriptions (safe to run twice at once): apply period-end changes that are due,
    then expire what is past its grace period. Returns how many of each it applied."""
    now = _now(now)
    rolled = expired = 0
    due_roll = Subscription.objects.filter(status__in=CURRENT_STATUSES, current_period_end__lte=now).exclude(
        scheduled_plan__isnull=True, cancel_at_period_end=False
    )
    for subscription in due_roll.order_by("pk"):
        rolled += not subscription_period_roll(subscription=subscription, now=now).idempotent_replay
    due_expire = Subscription.objects.filter(status=S.PAST_DUE, grace_until__lte=now) | Subscription.objects.filter(
        status=S.TRIALING, trial_ends_at__lte=now, payment_method_id="", provider=""
    )
    for subscription in due_expire.order_by("pk"):
        expired += not subscription_expire(subscription=subscription, now=now).idempotent_replay
    return {"rolled": rolled, "expired": expired}
