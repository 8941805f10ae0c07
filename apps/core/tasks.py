"""Celery tasks of core. Thin: each calls one function and is safe to run twice."""

from __future__ import annotations

from celery import shared_task

from .maintenance import refresh_token_purge_expired

# The name is written out: the periodic task in the database (migration 0004) refers to it.
REFRESH_TOKENS_PURGE_TASK = "apps.core.tasks.refresh_tokens_purge_task"


@shared_task(name=REFRESH_TOKENS_PURGE_TASK)
def refresh_tokens_purge_task() -> int:
    """Delete refresh tokens that expired more than a day ago (daily, see migration 0004)."""
    return refresh_token_purge_expired()
