"""Celery tasks: crypto. Thin: re-fetch by id, call a service, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from ..services.crypto import crypto_transfers_verify_pending

__all__ = ["CRYPTO_VERIFY_PENDING_TASK", "crypto_transfers_verify_pending_task"]

# The name is written out: the periodic task in the database (apps/ledger/schedules.py) refers to it.
CRYPTO_VERIFY_PENDING_TASK = "apps.ledger.tasks.crypto.crypto_transfers_verify_pending_task"


@shared_task(name=CRYPTO_VERIFY_PENDING_TASK)
def crypto_transfers_verify_pending_task(limit: int = 100) -> dict:
    """Check the pending crypto transfers on TronScan and post those that are confirmed (every minute).

    Each transfer posts at most once (its row is locked while it is decided, and its posting's idempotency
    key is unique), so overlapping runs are harmless. When TronScan is not configured or unreachable it logs
    why and posts nothing; the next run, a minute later, tries again.
    """
    return crypto_transfers_verify_pending(limit=limit)
