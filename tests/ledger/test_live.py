"""Balances reach the live stream after commit, coalesced: one hand-over per process window, one broadcast per
window across processes, none on rollback."""

import json
import time
from datetime import date
from decimal import Decimal

import pytest
from django.db import transaction

from apps.core.realtime import streams
from apps.ledger import live
from apps.ledger.services import Leg, transaction_post

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def queued(monkeypatch):
    """The broadcasts scheduled (Celery's apply_async is the one outside call replaced; Redis is real)."""
    calls = []
    from apps.ledger.tasks.live import ledger_balances_broadcast_task

    monkeypatch.setattr(ledger_balances_broadcast_task, "apply_async", lambda args, countdown: calls.append(args))
    return calls


def post(books, key, amount="10.00"):
    return transaction_post(
        organization=books.organization,
        user=None,
        date=date(2026, 6, 1),
        idempotency_key=key,
        entries=[Leg(books.cash.pk, Decimal(amount)), Leg(books.sales.pk, -Decimal(amount))],
    )


def events(organization_id):
    return [json.loads(body) for body in streams.replay(organization_id, after=0).events]


def test_many_postings_in_a_window_schedule_one_broadcast_with_the_latest_balances(books, queued):
    for n in range(5):
        post(books, f"k{n}")
    live.flush_pending()

    assert queued == [[books.organization.pk]]
    assert live.balances_broadcast(books.organization.pk) == 2
    [event] = events(books.organization.pk)
    assert event["type"] == live.EVENT
    balances = {a["id"]: a["balance"] for a in event["data"]["accounts"]}
    assert Decimal(balances[books.cash.pk]) == Decimal("50.00")
    assert Decimal(balances[books.sales.pk]) == Decimal("-50.00")


def test_a_posting_after_a_broadcast_starts_the_next_window(books, queued):
    post(books, "first")
    live.flush_pending()
    live.balances_broadcast(books.organization.pk)
    post(books, "second")
    live.flush_pending()

    assert queued == [[books.organization.pk], [books.organization.pk]]


def test_a_rolled_back_posting_announces_nothing(books, queued):
    def post_then_fail():
        with transaction.atomic():
            post(books, "rolled-back")
            raise RuntimeError("abort")

    with pytest.raises(RuntimeError):
        post_then_fail()
    live.flush_pending()

    assert queued == []
    assert live.balances_broadcast(books.organization.pk) == 0
    assert events(books.organization.pk) == []


def test_a_process_hands_its_changes_over_by_itself_at_the_end_of_its_window(books, queued):
    post(books, "on-its-own")
    assert queued == []  # nothing is sent to Redis on the posting's path

    deadline = time.monotonic() + 5
    while not queued and time.monotonic() < deadline:
        time.sleep(0.01)

    assert queued == [[books.organization.pk]]
    assert live.balances_broadcast(books.organization.pk) == 2
