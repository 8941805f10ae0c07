"""Celery tasks: invoices. Thin: re-fetch by id, call a service, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from ..services.invoices import invoices_mark_overdue

__all__ = ["INVOICES_MARK_OVERDUE_TASK", "invoices_mark_overdue_task"]

# The name is written out: the periodic task in the database (apps/ledger/schedules.py) refers to it.
INVOICES_MARK_OVERDUE_TASK = "apps.ledger.tasks.invoices.invoices_mark_overdue_task"


@shared_task(name=INVOICES_MARK_OVERDUE_TASK)
def invoices_mark_overdue_task() -> int:
    """Mark invoices past their due date (in their organization's time zone) as overdue (hourly)."""
    return invoices_mark_overdue()
