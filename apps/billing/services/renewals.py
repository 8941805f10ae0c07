"""Renewals of the subscriptions Kontora charges itself (YooKassa and T-Bank: a saved payment method charged on
the renewal date; Stripe renews its own subscriptions and is mirrored from webhooks), dunning e-mails, and the
move to the free plan after the grace period.

Exactly once per period, even with two workers:

- a worker renews a subscription only while it holds a PostgreSQL advisory lock on it (taken with
  ``pg_try_advisory_lock``: a second worker skips it instead of waiting), and re-reads it under the lock, so a
  subscription a first worker just renewed is no longer due;
- the charge is a Payment under the product key ``billing:renewal:<subscription>:<period end>:<attempt>``,
  stored before the provider is called and sent to the provider as its idempotency key (payment_start), so a
  worker that died mid-charge, run again, reaches the same provider payment instead of charging twice;
- the outcome is applied to the subscription under a key of its own (subscription_activate,
  subscription_renewal_failed), so applying it twice changes nothing.

Subscription payments are made through the platform's gateway (``platform_gateway``), whose organization is
the operator's (KONTORA_PLATFORM_ORGANIZATION): the money lands in the operator's books, like any
organization's payment. The payment's purpose is the subscription.

Dunning (the schedule is the subscriptions services': DUNNING_RETRY_DAYS, then GRACE_DAYS): each failed attempt
sends the owners one e-mail (keyed per attempt); when the grace period is over the subscription expires and
the organization moves to the free plan (once), with a last e-mail.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from apps.billing.models import BillingPeriod, Payment, PaymentStatus, Subscription, SubscriptionStatus
from apps.billing.providers import ProviderError
from apps.billing.selectors import (
    subscriptions_due_for_period_roll,
    subscriptions_due_for_renewal,
    subscriptions_due_to_expire,
)
from apps.core.language.text import in_language_of
from apps.core.mechanisms.idempotency import product_key, stored_key
from apps.core.models import Organization

from .checkout import SUBSCRIPTION_PURPOSE, plan_line, receipt_items
from .gateways import platform_gateway
from .notices import organization_owners, owners_notify
from .payments import payment_start, payment_sync
from .subscriptions import (
    subscription_activate,
    subscription_expire,
    subscription_period_roll,
    subscription_renewal_failed,
)

logger = logging.getLogger(__name__)

RENEWAL_PROVIDERS = ("yookassa", "tbank")
RENEWAL_BATCH = 100  # subscriptions charged per run at most (the earliest due first)


class Outcome:
    RENEWED = "renewed"  # paid: the next period is active
    FAILED = "failed"  # declined: dunning (retry scheduled, or grace)
    PENDING = "pending"  # the provider has not decided yet: asked again on the next run
    UNREACHABLE = "unreachable"  # the provider could not be reached: tried again (same key) on the next run
    BUSY = "busy"  # another worker is renewing it
    NOT_DUE = "not_due"  # renewed, cancelled or rescheduled meanwhile


@dataclass
class Renewal:
    subscription: Subscription
    outcome: str
    payment: Payment | None = None


@dataclass
class RenewalsSummary:
    rolled: int = 0
    expired: int = 0
    errors: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)


# --- helpers ------------------------------------------------------------------------------------------------


def _now(now: dt.datetime | None) -> dt.datetime:
    now = now or timezone.now()
    if timezone.is_naive(now):
        raise ValueError("now must be timezone-aware")
    return now


def period_advance(start: dt.datetime, period: str) -> dt.datetime:
    """The end of a billing period that starts at ``start``: a calendar month (the same day, or the month's
    last day when it has no such day) or a year later."""
    months = 12 if period == BillingPeriod.YEAR else 1
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return start.replace(year=year, month=month, day=day)


@contextmanager
def _renewal_lock(subscription_id: int):
    """A session-level advisory lock on the subscription's renewal, taken without waiting (True when held).
    Session-level, not transaction-level: payment_start commits the payment before it calls the provider."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", [f"billing.renewal:{subscription_id}"])
        held = cursor.fetchone()[0]
    try:
        yield held
    finally:
        if held:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_unlock(hashtextextended(%s, 0))", [f"billing.renewal:{subscription_id}"]
                )


def renewal_payment_key(subscription: Subscription):
    """The charge's key: one per subscription, period and attempt (a retry after a decline is a new charge)."""
    end = subscription.current_period_end
    return product_key("billing", "renewal", subscription.pk, end.isoformat(), subscription.renewal_attempts)


def _amount(subscription: Subscription) -> Decimal:
    price = subscription.price
    return price.amount.quantize(Decimal(1).scaleb(-price.currency.precision))


def _date(value: dt.datetime | None, organization: Organization) -> str:
    return formats.date_format(organization.local_date(value), "DATE_FORMAT") if value else ""


# --- one subscription -----------------------------------------------------------------------------------------


def subscription_renew(*, subscription: Subscription | int, now: dt.datetime | None = None) -> Renewal:
    """Charge the saved payment method of a subscription due for renewal (its period ended, or its next dunning
    attempt came) and apply the outcome: paid → the next period is active; declined → dunning (an e-mail to
    the owners, the next retry or the grace period). Safe to call from several workers at once and again
    after a crash: one charge per period and attempt."""
    now = _now(now)
    subscription_id = getattr(subscription, "pk", subscription)
    with _renewal_lock(subscription_id) as held:
        if not held:
            return Renewal(Subscription(pk=subscription_id), Outcome.BUSY)
        due = subscriptions_due_for_renewal(now=now).filter(pk=subscription_id, provider__in=RENEWAL_PROVIDERS)
        subscription = due.select_related("plan", "price__currency", "organization").first()
        if subscription is None or subscription.price is None:
            return Renewal(Subscription.objects.get(pk=subscription_id), Outcome.NOT_DUE)
        key = renewal_payment_key(subscription)
        gateway = platform_gateway(subscription.provider)
        payment = Payment.objects.filter(
            organization_id=gateway.organization_id, idempotency_key=stored_key(key)
        ).first()
        try:
            if payment is None or (payment.status == PaymentStatus.PENDING and not payment.provider_payment_id):
                # New, or the earlier attempt died before the provider answered: the same key again.
                email = _customer_email(subscription)
                payment_start(
                    gateway=gateway,
                    amount=_amount(subscription),
                    currency=subscription.price.currency_id,
                    purpose=subscription,
                    description=_renewal_description(subscription),
                    idempotency_key=key,
                    return_url="",
                    saved_method=subscription.payment_method_id,
                    customer_email=email or None,
                    receipt_items=_renewal_receipt_items(subscription) if email else None,
                )
            elif payment.status in (PaymentStatus.PENDING, PaymentStatus.WAITING_FOR_CAPTURE):
                payment_sync(payment=payment)
        except ProviderError as error:
            if error.temporary:
                logger.warning("billing renewal of subscription %s: provider unreachable: %s", subscription.pk, error)
                return Renewal(subscription, Outcome.UNREACHABLE, payment)
            # A permanent refusal (a declined T-Bank Charge): payment_start marked the payment failed.
        payment = Payment.objects.filter(
            organization_id=gateway.organization_id, idempotency_key=stored_key(key)
        ).first()
        if payment is None:
            return Renewal(subscription, Outcome.UNREACHABLE)
        if payment.status == PaymentStatus.SUCCEEDED:
            return Renewal(_renewed(subscription, payment), Outcome.RENEWED, payment)
        if payment.status in (PaymentStatus.FAILED, PaymentStatus.CANCELED):
            return Renewal(_declined(subscription, payment, now), Outcome.FAILED, payment)
        return Renewal(subscription, Outcome.PENDING, payment)


def _renewal_description(subscription: Subscription) -> str:
    # The description the provider shows on the customer's statement, in the organization's language.
    with in_language_of(subscription.organization_id):
        return _("Kontora subscription {plan} for {organization}").format(
            plan=subscription.plan.name, organization=subscription.organization.name
        )


def _customer_email(subscription: Subscription) -> str:
    """Where the renewal's 54-FZ receipt goes: the e-mail the subscription's last paid payment was made with,
    else the first owner's."""
    email = (
        Payment.objects.filter(purpose_type=SUBSCRIPTION_PURPOSE, purpose_id=str(subscription.pk))
        .exclude(customer_email="")
        .order_by("-created_at", "-pk")
        .values_list("customer_email", flat=True)
        .first()
    )
    if email:
        return email
    owners = organization_owners(subscription.organization_id)
    return owners[0].email if owners else ""


def _renewal_receipt_items(subscription: Subscription) -> list[dict]:
    """The renewal's 54-FZ receipt, like the first payment's: one service line for the plan, the platform's VAT
    code. Sent only with an e-mail to send it to: without one the provider charges without a receipt."""
    with in_language_of(subscription.organization_id):
        return receipt_items(plan_line(subscription.plan, subscription.price.period), _amount(subscription))


def _renewed(subscription: Subscription, payment: Payment) -> Subscription:
    start = subscription.current_period_end
    return subscription_activate(
        subscription=subscription,
        period_start=start,
        period_end=period_advance(start, subscription.price.period),
        provider=subscription.provider,
        payment_method=subscription.payment_method_id,
        event_key=f"renewal:{subscription.pk}:{start.isoformat()}:paid:{payment.pk}",
    )


def _declined(subscription: Subscription, payment: Payment, now: dt.datetime) -> Subscription:
    end, attempt = subscription.current_period_end, subscription.renewal_attempts + 1
    with transaction.atomic():
        subscription = subscription_renewal_failed(
            subscription=subscription,
            event_key=f"renewal:{subscription.pk}:{end.isoformat()}:failed:{attempt}",
            now=now,
        )
        # In the same transaction as the failure it reports, keyed per attempt: one e-mail per failed attempt.
        _dunning_notify(subscription, payment, attempt)
    return subscription


def _dunning_notify(subscription: Subscription, payment: Payment, attempt: int) -> None:
    organization = subscription.organization
    retry_at, grace_until = subscription.next_renewal_attempt_at, subscription.grace_until

    def context() -> dict:
        return {
            "organization": organization.name,
            "plan": subscription.plan.name,
            "amount": formats.number_format(payment.amount, decimal_pos=subscription.price.currency.precision),
            "currency": payment.currency_id,
            "attempt": attempt,
            "retry_on": _date(retry_at, organization),
            "grace_until": _date(grace_until, organization),
            "reason": payment.failure_reason,
        }

    owners_notify(
        organization=organization,
        template="billing_dunning_retry" if retry_at else "billing_dunning_grace",
        context=context,
        key_parts=("dunning", subscription.pk, subscription.current_period_end.isoformat(), attempt),
    )


def subscription_expire_unpaid(*, subscription: Subscription | int, now: dt.datetime | None = None) -> Subscription:
    """Expire a subscription whose grace period (or trial, with nothing to charge) is over: the organization
    moves to the free plan, once, and its owners are told (once)."""
    now = _now(now)
    with transaction.atomic():
        subscription = subscription_expire(subscription=subscription, now=now)
        if not getattr(subscription, "idempotent_replay", False) and subscription.status == SubscriptionStatus.EXPIRED:
            organization = subscription.organization
            owners_notify(
                organization=organization,
                template="billing_dunning_expired",
                context=lambda: {"organization": organization.name, "plan": subscription.plan.name},
                key_parts=("expired", subscription.pk),
            )
    return subscription


# --- the beat's pass -----------------------------------------------------------------------------------------


def subscriptions_renew_due(*, now: dt.datetime | None = None, batch: int = RENEWAL_BATCH) -> RenewalsSummary:
    """The beat's pass over subscriptions, safe with several workers: changes scheduled for the period end
    first (a downgrade is applied before its first renewal is charged), then renewals and dunning retries, then
    the expiry of what is past its grace period. One subscription's error does not stop the others."""
    now = _now(now)
    summary = RenewalsSummary()
    for subscription in subscriptions_due_for_period_roll(now=now).order_by("current_period_end", "pk"):
        try:
            summary.rolled += not subscription_period_roll(subscription=subscription, now=now).idempotent_replay
        except Exception:
            summary.errors += 1
            logger.exception("billing: period roll of subscription %s failed", subscription.pk)
    due = subscriptions_due_for_renewal(now=now).filter(provider__in=RENEWAL_PROVIDERS)
    for subscription_id in due.order_by("current_period_end", "pk").values_list("pk", flat=True)[:batch]:
        try:
            outcome = subscription_renew(subscription=subscription_id, now=now).outcome
        except Exception:
            summary.errors += 1
            logger.exception("billing: renewal of subscription %s failed", subscription_id)
            continue
        summary.outcomes[outcome] = summary.outcomes.get(outcome, 0) + 1
    for subscription in subscriptions_due_to_expire(now=now).order_by("pk"):
        try:
            expired = subscription_expire_unpaid(subscription=subscription, now=now)
        except Exception:
            summary.errors += 1
            logger.exception("billing: expiry of subscription %s failed", subscription.pk)
            continue
        summary.expired += not expired.idempotent_replay
    return summary
