"""The demo's traffic: a month of a Moloco export and of a Keitaro export of the same campaigns imported
through the pipeline, the campaigns linked to the affiliate program's offers, and payouts in the books (paid,
approved, pending); seeding again adds nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import Max
from django.utils import timezone

from apps.analytics.models import Campaign, ImportJob, MetricFact, Offer, Payout, TrafficSource
from apps.analytics.reports import reconciliation_list, traffic_report
from apps.core.models import AuditLog, Organization
from apps.core.operations.demo import seed_demo
from apps.ledger.models import Transaction
from apps.ledger.selectors import books_verify

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    seed_demo()
    return Organization.objects.get(slug="demo")


def test_the_demo_has_a_month_of_traffic_imported_from_a_real_file(demo):
    job = ImportJob.objects.get(organization=demo, source__name="Moloco")

    assert job.status == ImportJob.Status.DONE, job.message
    assert job.file.name.endswith(".csv")
    assert job.format == "moloco_csv"
    facts = MetricFact.objects.filter(organization=demo, source=job.source)
    assert facts.values("report_date").distinct().count() == 30
    assert facts.count() == job.rows_inserted


def test_the_demo_tracker_brings_conversions_revenue_and_a_reconciliation_to_the_dashboard(demo):
    tracker = ImportJob.objects.get(organization=demo, source__name="Keitaro")
    last_day = MetricFact.objects.filter(organization=demo).aggregate(last=Max("report_date"))["last"]
    first_day = last_day - timedelta(days=29)

    report = traffic_report(organization=demo, date_from=first_day, date_to=last_day, group_by="day")
    reconciliation = reconciliation_list(organization=demo, date_from=first_day, date_to=last_day)

    assert (tracker.status, tracker.format, tracker.source.kind) == (ImportJob.Status.DONE, "keitaro", "tracker")
    assert (tracker.rows_inserted, tracker.error_count) == (30 * 4, 0)  # a day of each campaign; the total skipped
    assert report.metric_kinds["spend"] == report.metric_kinds["clicks"] == ["ad_network"]
    assert report.metric_kinds["revenue"] == report.metric_kinds["conversions"] == ["tracker"]
    assert all(report.total_kpis[code] is not None for code in ("profit", "roi", "cpa", "epc"))
    by_offer = traffic_report(organization=demo, date_from=first_day, date_to=last_day, group_by="offer")
    # Each offer's campaigns in both sources: the network's spend and the tracker's revenue meet on its row.
    assert [row.label for row in by_offer.rows] == [
        "Маркетплейс: первая покупка (RU)", "Пробная подписка (DE)", "Регистрация (KZ)",
    ]  # fmt: skip
    assert all(row.kpis["roi"] is not None for row in by_offer.rows)
    flagged = {(row.report_date, row.campaign) for row in reconciliation.rows if row.flagged}
    assert flagged == {
        (last_day - timedelta(days=4), "RU_iOS_Purchase"),
        (last_day - timedelta(days=11), "RU_iOS_Purchase"),
    }


def test_the_demo_payouts_are_in_the_books(demo):
    statuses = sorted(Payout.objects.filter(organization=demo).values_list("status", flat=True))

    assert statuses == ["approved", "paid", "paid", "pending"]
    assert books_verify(organization_id=demo.pk) == []


def test_seeding_the_demo_again_even_a_month_later_adds_no_traffic_or_postings(demo, monkeypatch):
    before = _seeded()
    later = timezone.now() + timedelta(days=45)

    seed_demo()
    monkeypatch.setattr(timezone, "now", lambda: later)
    seed_demo()

    assert _seeded() == before


def _seeded() -> tuple:
    return (
        ImportJob.objects.count(),
        MetricFact.objects.count(),
        Payout.objects.count(),
        Transaction.objects.count(),
        TrafficSource.objects.count(),
        Offer.objects.count(),
        sorted(Campaign.objects.values_list("pk", "offer_id")),
        AuditLog.objects.count(),
    )


def test_a_demo_seeded_before_the_tracker_gets_the_tracker_for_its_own_month(monkeypatch):
    seed_demo()
    demo = Organization.objects.get(slug="demo")
    MetricFact.objects.filter(organization=demo, source__name="Keitaro").delete()  # as before the tracker came
    ImportJob.objects.filter(organization=demo, source__name="Keitaro").delete()
    network_days = set(MetricFact.objects.filter(organization=demo).values_list("report_date", flat=True))
    later = timezone.now() + timedelta(days=45)
    monkeypatch.setattr(timezone, "now", lambda: later)

    seed_demo()

    tracker_days = set(
        MetricFact.objects.filter(organization=demo, source__name="Keitaro").values_list("report_date", flat=True)
    )
    assert tracker_days == network_days
    tracker_campaigns = Campaign.objects.filter(organization=demo, source__name="Keitaro")
    assert tracker_campaigns.count() == 4
    assert not tracker_campaigns.filter(offer=None).exists()  # linked to the offers the network's have
