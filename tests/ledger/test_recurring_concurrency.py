"""Two (or more) beat runs at once, each on its own PostgreSQL connection, after downtime: every due
occurrence posts exactly once."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db.models import Count

from apps.ledger.models import RecurringPayment, Transaction
from apps.ledger.services import recurring_payment_post_due, recurring_payments_post_due
from tests.helpers import run_in_threads
from tests.ledger.factories import RecurringPaymentFactory

pytestmark = pytest.mark.django_db(transaction=True)

NOW = dt.datetime(2026, 4, 15, 9, tzinfo=dt.UTC)


def test_parallel_runs_after_downtime_post_each_occurrence_once(organization):
    weekly = [
        RecurringPaymentFactory(organization=organization, interval_unit="weeks", start_date=dt.date(2026, 1, 1))
        for _ in range(4)
    ]
    monthly = [RecurringPaymentFactory(organization=organization, start_date=dt.date(2026, 1, 31)) for _ in range(4)]

    with time_machine.travel(NOW, tick=False):
        run_in_threads(lambda _worker: recurring_payments_post_due(), 4)

    counts = dict(
        Transaction.objects.filter(kind="recurring")
        .values_list("idempotency_key")
        .annotate(n=Count("id"))
        .values_list("idempotency_key", "n")
    )
    assert set(counts.values()) == {1}
    per_payment = {
        r.pk: Transaction.objects.filter(idempotency_key__startswith=f"recurring:{r.pk}:").count()
        for r in weekly + monthly
    }
    assert per_payment == {**{r.pk: 15 for r in weekly}, **{r.pk: 3 for r in monthly}}  # Jan 1 … Apr 9; Jan-Mar
    assert set(RecurringPayment.objects.values_list("next_due_date", flat=True)) == {
        dt.date(2026, 4, 16),
        dt.date(2026, 4, 30),
    }


def test_runners_that_do_not_wait_for_each_other_still_post_once(organization):
    """Even when the row lock does not keep runners apart (a worker whose progress marker was stale), the
    idempotency key makes each occurrence one transaction."""
    recurring = RecurringPaymentFactory(organization=organization, interval_unit="days", start_date=dt.date(2026, 4, 1))

    def work(worker):
        if worker % 2:
            RecurringPayment.objects.filter(pk=recurring.pk).update(next_due_date=dt.date(2026, 4, 1))
        recurring_payment_post_due(recurring_payment=recurring.pk)

    with time_machine.travel(NOW, tick=False):
        for _round in range(3):
            run_in_threads(work, 4)

    dates = list(Transaction.objects.filter(kind="recurring").order_by("date").values_list("date", flat=True))
    assert dates == [dt.date(2026, 4, 1) + dt.timedelta(days=n) for n in range(15)]
