"""Live balance updates: after a posting commits, the organization's stream hears which balances moved."""

from __future__ import annotations

from django.db import transaction


def balances_changed(organization_id: int, account_ids: list[int]) -> None:
    def publish_after_commit() -> None:
        try:
            from apps.core import realtime
        except ImportError:  # pragma: no cover - realtime is part of core
            return
        publish = getattr(realtime, "publish", None)
        if publish is not None:
            publish(organization_id, "ledger.balances_changed", {"accounts": sorted(set(account_ids))})

    transaction.on_commit(publish_after_commit)
