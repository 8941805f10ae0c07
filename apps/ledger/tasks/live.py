"""Celery tasks: live balance updates (see apps.ledger.live)."""

from celery import shared_task

from .. import live

__all__ = ["ledger_balances_broadcast_task"]


@shared_task(ignore_result=True)
def ledger_balances_broadcast_task(organization_id: int) -> int:
    return live.balances_broadcast(organization_id)
