"""The demo's traffic: a month of a Moloco export imported through the pipeline, and payouts in the books
(paid, approved, pending); seeding again adds nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.analytics.models import ImportJob, MetricFact, Payout
from apps.core.models import Organization
from apps.core.operations.demo import seed_demo
from apps.ledger.models import Transaction
from apps.ledger.selectors import books_verify

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    seed_demo()
    return Organization.objects.get(slug="demo")


def test_the_demo_has_a_month_of_traffic_imported_from_a_real_file(demo):
    job = ImportJob.objects.get(organization=demo)

    assert job.status == ImportJob.Status.DONE, job.message
    assert job.file.name.endswith(".csv")
    assert job.format == "moloco_csv"
    days = MetricFact.objects.filter(organization=demo).values("report_date").distinct().count()
    assert days == 30
    assert MetricFact.objects.filter(organization=demo).count() == job.rows_inserted


def test_the_demo_payouts_are_in_the_books(demo):
    statuses = sorted(Payout.objects.filter(organization=demo).values_list("status", flat=True))

    assert statuses == ["approved", "paid", "paid", "pending"]
    assert books_verify(organization_id=demo.pk) == []


def test_seeding_the_demo_again_even_a_month_later_adds_no_traffic_or_postings(demo, monkeypatch):
    before = (
        ImportJob.objects.count(),
        MetricFact.objects.count(),
        Payout.objects.count(),
        Transaction.objects.count(),
    )
    later = timezone.now() + timedelta(days=45)

    seed_demo()
    monkeypatch.setattr(timezone, "now", lambda: later)
    seed_demo()

    after = (ImportJob.objects.count(), MetricFact.objects.count(), Payout.objects.count(), Transaction.objects.count())
    assert after == before
