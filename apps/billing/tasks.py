"""Billing's Celery tasks. Thin: each calls a service and returns a summary; all are safe to run twice at once.
The periodic ones are scheduled from the database (apps/billing/schedules.py, installed by migration 0004)."""

from __future__ import annotations

import logging
from dataclasses import asdict

from celery import shared_task

from .providers import ProviderError
from .services.payments import PAYMENT_FEE_FETCH_TASK, fee_retry_delay, payment_fee_fetch
from .services.renewals import subscription_renew, subscriptions_renew_due
from .services.sweeper import payments_sweep

# The names are written out: the periodic tasks in the database (apps/billing/schedules.py) refer to them.
PAYMENTS_SWEEP_TASK = "apps.billing.tasks.payments_sweep_task"
SUBSCRIPTIONS_RENEW_DUE_TASK = "apps.billing.tasks.subscriptions_renew_due_task"
# After the first ask (right after the payment's commit) and its first retry half a minute later: 1, 2, 4, 8,
# 16, 32 min, then 1 h twice, about three hours in all; the payments sweeper asks after that.
FEE_RETRIES = 8

logger = logging.getLogger(__name__)


@shared_task(name=PAYMENTS_SWEEP_TASK)
def payments_sweep_task() -> dict:
    """Re-check payments waiting longer than their window; flag paid payments whose purpose is gone."""
    return asdict(payments_sweep())


@shared_task(name=SUBSCRIPTIONS_RENEW_DUE_TASK)
def subscriptions_renew_due_task() -> dict:
    """Period-end changes, renewals of saved payment methods with dunning, expiry after the grace period."""
    return asdict(subscriptions_renew_due())


@shared_task(name="apps.billing.tasks.subscription_renew_task")
def subscription_renew_task(subscription_id: int) -> str:
    """Renew one subscription now if it is due (an operator's "run now"); returns the outcome."""
    return subscription_renew(subscription=subscription_id).outcome


@shared_task(bind=True, name=PAYMENT_FEE_FETCH_TASK, max_retries=FEE_RETRIES)
def payment_fee_fetch_task(self, payment_id: int) -> str:
    """Ask the provider for a succeeded payment's fee and book it (queued when the ask right after the
    payment's commit found no answer). Asked again with growing waits while the provider is out of reach or
    has not settled the charge yet."""
    try:
        known = payment_fee_fetch(payment=payment_id)
    except ProviderError as error:
        if not error.temporary:
            logger.warning("billing: the fee of payment %s was refused: %s", payment_id, error)
            return "refused"
        raise self.retry(args=[payment_id], exc=error, countdown=fee_retry_delay(self.request.retries + 1)) from error
    if not known:
        raise self.retry(args=[payment_id], countdown=fee_retry_delay(self.request.retries + 1))
    return "known"
