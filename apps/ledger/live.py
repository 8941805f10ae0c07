"""Live balance updates: pages following an organization's stream hear which balances moved, and to what.

Publishing an event for each posting would cost more than the posting itself (a stream append and a
channel-layer send, several milliseconds). Instead a posting, after it commits, makes one pipelined Redis
call: it adds its accounts to the organization's set of changed accounts and, if no broadcast is scheduled
yet, schedules one ``WINDOW`` later. That broadcast (a Celery task) takes the set, reads the accounts'
balances, and publishes one ``ledger.balances_changed`` event. So a page is at most about a quarter of a
second behind, however many postings arrive, and every change is reported: a posting that commits after a
broadcast took the set starts the next window.
"""

from __future__ import annotations

import logging

import redis
from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 0.25
EVENT = "ledger.balances_changed"


def _keys(organization_id: int) -> tuple[str, str]:
    base = f"{settings.CACHES['default']['KEY_PREFIX']}:ledger:live:{organization_id}"
    return f"{base}:dirty", f"{base}:scheduled"


def _client() -> redis.Redis:
    from apps.core.realtime.streams import client

    return client()


def balances_changed(organization_id: int, account_ids: list[int]) -> None:
    """Note, after the current transaction commits, that these accounts' balances moved."""
    accounts = sorted(set(account_ids))

    def after_commit() -> None:
        dirty, scheduled = _keys(organization_id)
        try:
            pipe = _client().pipeline(transaction=False)
            pipe.sadd(dirty, *accounts)
            # The flag outlives the window a little, in case the worker is slow to pick the task up.
            pipe.set(scheduled, "1", nx=True, ex=30)
            _added, first_in_window = pipe.execute()
        except redis.RedisError:
            logger.warning(
                "Live balance update for organization %s not scheduled: Redis is unavailable",
                organization_id,
                exc_info=True,
            )
            return
        if first_in_window:
            from .tasks.live import ledger_balances_broadcast_task

            ledger_balances_broadcast_task.apply_async(args=[organization_id], countdown=WINDOW_SECONDS)

    transaction.on_commit(after_commit, robust=True)


def balances_broadcast(organization_id: int) -> int:
    """Publish the current balances of the accounts changed since the last broadcast; returns how many."""
    from apps.core.realtime import publish

    from .models import AccountBalance

    dirty, scheduled = _keys(organization_id)
    pipe = _client().pipeline(transaction=True)
    pipe.smembers(dirty)
    pipe.delete(dirty, scheduled)
    members, _deleted = pipe.execute()
    account_ids = sorted(int(member) for member in members)
    if not account_ids:
        return 0
    balances = AccountBalance.objects.filter(organization_id=organization_id, account_id__in=account_ids).values_list(
        "account_id", "balance", "currency_id"
    )
    publish(
        organization_id,
        EVENT,
        {"accounts": [{"id": pk, "balance": balance, "currency": currency} for pk, balance, currency in balances]},
    )
    return len(account_ids)
