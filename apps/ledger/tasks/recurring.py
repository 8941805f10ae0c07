"""Celery tasks: recurring. Thin: re-fetch by id, call a service, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from ..services.recurring import recurring_payment_post_due, recurring_payments_post_due

__all__ = [
    "RECURRING_PAYMENTS_POST_DUE_TASK",
    "recurring_payment_post_due_task",
    "recurring_payments_post_due_task",
]

# The name is written out: the periodic task in the database (apps/ledger/schedules.py) refers to it.
RECURRING_PAYMENTS_POST_DUE_TASK = "apps.ledger.tasks.recurring.recurring_payments_post_due_task"


@shared_task(name=RECURRING_PAYMENTS_POST_DUE_TASK)
def recurring_payments_post_due_task() -> dict:
    """Post every due occurrence of every active recurring payment, each exactly once (every 15 minutes)."""
    summary = recurring_payments_post_due()
    return {
        "posted": summary.posted,
        "skipped_closed": summary.skipped_closed,
        "failed": summary.failed,
        "busy": summary.busy,
        "capped": summary.capped,
    }


@shared_task(name="apps.ledger.tasks.recurring.recurring_payment_post_due_task")
def recurring_payment_post_due_task(recurring_payment_id: int) -> int:
    """Post the due occurrences of one recurring payment; returns how many posted."""
    return len(recurring_payment_post_due(recurring_payment=recurring_payment_id).posted)
