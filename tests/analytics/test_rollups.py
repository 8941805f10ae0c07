"""The daily rollup always equals the sum of its facts: after an import, a re-import, a restatement, and a
refresh by hand of any range."""

from __future__ import annotations

from datetime import date

import pytest
from django.db.models import Count, Sum

from apps.analytics.models import DailyRollup, ImportJob, MetricFact
from apps.analytics.rollups import rollup_refresh
from apps.analytics.services import import_job_run
from tests.analytics.factories import TrafficSourceFactory, import_job

pytestmark = pytest.mark.django_db

HEADER = "Date;Campaign;Campaign ID;Ad Group;Creative;Exchange;Country;OS;Impressions;Clicks;Installs;Spend;Currency"


def moloco(lines: list[str]) -> bytes:
    return ("\n".join([HEADER, *lines]) + "\n").encode()


FILE = [
    "2026-05-01;Brand;cmp-1;A;video;UNITY;USA;ANDROID;1000;10;1;10,50;USD",
    "2026-05-01;Brand;cmp-1;A;banner;UNITY;USA;ANDROID;2000;20;2;20,25;USD",
    "2026-05-01;Brand;cmp-1;A;banner;UNITY;Germany;IOS;500;5;0;5,00;EUR",
    "2026-05-02;Brand;cmp-1;B;video;UNITY;USA;ANDROID;3000;30;;30,00;USD",
    "2026-05-02;Promo;cmp-2;B;video;UNITY;USA;ANDROID;400;4;1;4,00;USD",
]

KEY = ("source_id", "campaign_id", "report_date", "time_zone", "country", "os", "currency")
SUMMED = ("impressions", "clicks", "installs", "conversions", "spend", "revenue")


def facts_summed(organization):
    rows = (
        MetricFact.objects.filter(organization=organization)
        .values(*KEY)
        .annotate(**{f"{m}_sum": Sum(m) for m in SUMMED}, facts=Count("id"))
    )
    return {tuple(r[k] for k in KEY): (*(r[f"{m}_sum"] for m in SUMMED), r["facts"]) for r in rows}


def rolled_up(organization):
    rows = DailyRollup.objects.filter(organization=organization).values(*KEY, *SUMMED, "fact_count")
    return {tuple(r[k] for k in KEY): (*(r[m] for m in SUMMED), r["fact_count"]) for r in rows}


@pytest.fixture
def source(organization):
    return TrafficSourceFactory(organization=organization, name="Moloco", time_zone="UTC", currency="USD")


def run(source, lines, *, force=False):
    job = import_job_run(job=import_job(source, moloco(lines), force=force))
    assert job.status == ImportJob.Status.DONE, job.message
    return job


def test_an_import_rolls_its_days_up(source, organization):
    run(source, FILE)

    assert rolled_up(organization) == facts_summed(organization)
    assert DailyRollup.objects.count() == 4  # the two banner/video rows of 1 May in USA/ANDROID/USD are one
    brand_first = DailyRollup.objects.get(report_date=date(2026, 5, 1), country="US", currency="USD")
    assert (brand_first.impressions, brand_first.clicks, brand_first.fact_count) == (3000, 30, 2)
    assert str(brand_first.spend) == "30.75000000"
    missing = DailyRollup.objects.get(report_date=date(2026, 5, 2), campaign__external_id="cmp-1")
    assert missing.installs is None  # a missing metric stays missing in the sum
    assert missing.revenue is None


def test_a_reimport_and_a_restatement_keep_the_rollup_equal_to_the_facts(source, organization):
    run(source, FILE)
    run(source, FILE, force=True)
    assert rolled_up(organization) == facts_summed(organization)

    restated = [
        *FILE[:3],
        FILE[3].replace(";30,00;", ";33,00;"),
        "2026-05-03;Promo;cmp-2;B;video;UNITY;USA;IOS;1;1;1;1;USD",
    ]
    run(source, restated)
    assert rolled_up(organization) == facts_summed(organization)
    assert str(DailyRollup.objects.get(report_date=date(2026, 5, 2), campaign__external_id="cmp-1").spend) == (
        "33.00000000"
    )
    assert DailyRollup.objects.filter(report_date=date(2026, 5, 3)).count() == 1


def test_a_refresh_repairs_a_rollup_and_leaves_other_sources_alone(source, organization):
    other = TrafficSourceFactory(organization=organization, name="Other", time_zone="UTC", currency="USD")
    run(source, FILE)
    run(other, FILE)
    DailyRollup.objects.filter(source=source).update(clicks=0)
    DailyRollup.objects.filter(source=other).update(clicks=0)

    assert rollup_refresh(
        organization_id=organization.pk, source_id=source.pk, date_from=date(2026, 4, 1), date_to=date(2026, 5, 31)
    ) == (date(2026, 4, 1), date(2026, 5, 31))
    assert list(DailyRollup.objects.filter(source=source).values_list("clicks", flat=True).order_by("clicks")) == [
        4,
        5,
        30,
        30,
    ]
    assert set(DailyRollup.objects.filter(source=other).values_list("clicks", flat=True)) == {0}


def test_a_rejected_import_refreshes_nothing(source, organization):
    job = import_job_run(
        job=import_job(source, moloco(["2026-05-01;Brand;cmp-1;A;video;UNITY;USA;ANDROID;x;10;1;1;USD"]))
    )
    assert job.status == ImportJob.Status.REJECTED
    assert not DailyRollup.objects.exists()


def test_the_rollup_of_an_import_commits_with_its_facts_or_not_at_all(source, organization, monkeypatch):
    run(source, FILE)
    before_facts, before_rollup = facts_summed(organization), rolled_up(organization)
    assert before_rollup == before_facts

    from apps.analytics.services import imports

    def dies(**_kwargs):  # the worker dies while the changed days are being summed, after the facts were written
        raise RuntimeError("worker killed")

    restated = import_job(source, moloco([FILE[0].replace("10,50", "99,00"), *FILE[1:]]), force=True)
    monkeypatch.setattr(imports, "rollup_refresh", dies)
    with pytest.raises(RuntimeError, match="worker killed"):
        import_job_run(job=restated)

    # The restated facts went with it: the dashboard never shows sums that disagree with the facts.
    assert (facts_summed(organization), rolled_up(organization)) == (before_facts, before_rollup)
    restated.refresh_from_db()
    assert restated.status != ImportJob.Status.DONE
