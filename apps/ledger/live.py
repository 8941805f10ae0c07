"""Live balance updates: pages following an organization's stream hear which balances moved, and to what.

Publishing an event for each posting would cost more than the posting itself (a stream append and a
channel-layer send, several milliseconds), and even one Redis call per posting costs a tenth of it. So the
changes are coalesced twice:

- in the process: a posting, after it commits, adds its accounts to this process's pending set (no I/O);
  the first one in a window starts a timer that, ``LOCAL_WINDOW_SECONDS`` later, hands the whole set to Redis
  in one pipelined call;
- across processes: that call adds the accounts to the organization's set of changed accounts in Redis and,
  if no broadcast is scheduled yet, schedules one ``WINDOW_SECONDS`` later. The broadcast (a Celery task)
  takes the set, reads the accounts' balances, and publishes one ``ledger.balances_changed`` event.

So a page is at most about a third of a second behind, however many postings arrive, and every change is
reported: accounts noted after a hand-over start the next local window, and a posting that commits after a
broadcast took the Redis set starts the next broadcast window. The timer thread is not a daemon, so a
command that posts and exits still hands its changes over (the interpreter waits for it on exit).
"""

from __future__ import annotations

import logging
import os
import threading

import redis
from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)

LOCAL_WINDOW_SECONDS = 0.05
WINDOW_SECONDS = 0.25
EVENT = "ledger.balances_changed"


def _keys(organization_id: int) -> tuple[str, str]:
    base = f"{settings.CACHES['default']['KEY_PREFIX']}:ledger:live:{organization_id}"
    return f"{base}:dirty", f"{base}:scheduled"


def _client() -> redis.Redis:
    from apps.core.realtime.streams import client

    return client()


class _Pending:
    """The accounts this process saw move since its last hand-over to Redis, per organization."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.accounts: dict[int, set[int]] = {}
        self.timer: threading.Timer | None = None

    def add(self, organization_id: int, account_ids: list[int]) -> None:
        with self.lock:
            self.accounts.setdefault(organization_id, set()).update(account_ids)
            if self.timer is None:
                self.timer = threading.Timer(LOCAL_WINDOW_SECONDS, self.flush)
                self.timer.name = "ledger-live-flush"
                self.timer.start()

    def take(self) -> dict[int, set[int]]:
        with self.lock:
            taken, self.accounts, self.timer = self.accounts, {}, None
        return taken

    def flush(self) -> None:
        for organization_id, account_ids in self.take().items():
            _hand_over(organization_id, sorted(account_ids))


_pending = _Pending()


def _forget_in_child() -> None:
    # A forked child inherits the set and the "timer started" mark but not the timer's thread.
    global _pending
    _pending = _Pending()


os.register_at_fork(after_in_child=_forget_in_child)


def _hand_over(organization_id: int, account_ids: list[int]) -> None:
    dirty, scheduled = _keys(organization_id)
    try:
        pipe = _client().pipeline(transaction=False)
        pipe.sadd(dirty, *account_ids)
        # The flag outlives the window a little, in case the worker is slow to pick the task up.
        pipe.set(scheduled, "1", nx=True, ex=30)
        _added, first_in_window = pipe.execute()
        if first_in_window:
            from .tasks.live import ledger_balances_broadcast_task

            ledger_balances_broadcast_task.apply_async(args=[organization_id], countdown=WINDOW_SECONDS)
    except Exception:  # a live update is a courtesy: its failure must not reach the posting (nor kill the timer)
        logger.warning("Live balance update for organization %s not scheduled", organization_id, exc_info=True)


def balances_changed(organization_id: int, account_ids: list[int]) -> None:
    """Note, after the current transaction commits, that these accounts' balances moved."""
    transaction.on_commit(lambda: _pending.add(organization_id, account_ids), robust=True)


def flush_pending() -> None:
    """Hand this process's pending changes to Redis now rather than at the end of the window."""
    _pending.flush()


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
