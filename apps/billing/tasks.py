"""Billing's Celery tasks. Thin: each calls a service and returns a summary; all are safe to run twice at once.
The periodic ones are scheduled from the database (apps/billing/schedules.py, installed by migration 0004)."""

from __future__ import annotations

from dataclasses import asdict

from celery import shared_task

from .services.renewals import subscription_renew, subscriptions_renew_due
from .services.sweeper import payments_sweep

# The names are written out: the periodic tasks in the database (apps/billing/schedules.py) refer to them.
PAYMENTS_SWEEP_TASK = "apps.billing.tasks.payments_sweep_task"
SUBSCRIPTIONS_RENEW_DUE_TASK = "apps.billing.tasks.subscriptions_renew_due_task"


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
