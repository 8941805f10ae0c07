"""A re-import leaves the facts it would not change untouched (they are filtered out before the upsert, which
then locks and rewrites only what differs): exactly the facts that differ in any compared value are written,
whatever changed them, and identical ones keep their lineage."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from apps.analytics.models import MetricFact
from apps.analytics.services import import_rows, imports
from tests.analytics.factories import MetricRow, TrafficSourceFactory, fact_rows, import_job, reading_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True, params=["lookup", "merge"])
def match(request, monkeypatch):
    """Every test here runs with both ways of matching a file's facts to the stored ones: looked up in the
    index (a small file) and merged beside it (a large one)."""
    monkeypatch.setattr(imports, "LOOKUP_ROWS", imports.LOOKUP_ROWS if request.param == "lookup" else 0)
    return request.param


@pytest.fixture
def source(organization):
    return TrafficSourceFactory(organization=organization, name="Moloco", time_zone="UTC")


def counts(job):
    return (job.rows_read, job.rows_inserted, job.rows_updated, job.rows_unchanged, job.rows_rejected)


def with_gaps_and_events():
    """Rows whose metrics are partly missing (NULL is compared as a value, not skipped) and carry events."""
    rows = fact_rows(6)
    rows[0].clicks = None
    rows[1].spend = None
    rows[2].events = {"purchase": 2, "af_level": 1}
    rows[3].events = {"purchase": 1}
    return rows


def test_identical_rows_with_missing_numbers_and_events_are_unchanged(source):
    first = import_rows(import_job(source), [with_gaps_and_events()], reading=reading_of(fact_rows(6)))

    again = import_rows(import_job(source, b"again"), [with_gaps_and_events()], reading=reading_of(fact_rows(6)))

    assert counts(again) == (6, 0, 0, 6, 0)
    assert set(MetricFact.objects.values_list("import_job_id", flat=True)) == {first.pk}


def test_facts_changed_behind_the_import_are_written_back_and_only_they(source):
    first = import_rows(import_job(source), [with_gaps_and_events()], reading=reading_of(fact_rows(6)))
    facts = MetricFact.objects.order_by("line")
    facts.filter(creative="creative-0").update(clicks=0)  # NULL in the file, 0 in the table
    facts.filter(creative="creative-1").update(spend=Decimal("0.00"))
    facts.filter(creative="creative-2").update(events={"purchase": 2})  # one event count lost
    facts.filter(creative="creative-3").update(currency="EUR")
    facts.filter(creative="creative-4").update(time_zone="Europe/Berlin")

    again = import_rows(import_job(source, b"again"), [with_gaps_and_events()], reading=reading_of(fact_rows(6)))

    assert counts(again) == (6, 0, 5, 1, 0)
    by_creative = {fact.creative: fact for fact in MetricFact.objects.all()}
    assert by_creative["creative-0"].clicks is None
    assert by_creative["creative-1"].spend is None
    assert by_creative["creative-2"].events == {"purchase": 2, "af_level": 1}
    assert by_creative["creative-3"].currency == "USD"
    assert by_creative["creative-4"].time_zone == "UTC"
    assert by_creative["creative-5"].import_job_id == first.pk
    assert {f.import_job_id for c, f in by_creative.items() if c != "creative-5"} == {again.pk}


def test_a_same_looking_fact_of_another_source_does_not_count_as_this_ones(source, organization):
    other = TrafficSourceFactory(organization=organization, name="Other", time_zone="UTC")
    import_rows(import_job(other), [fact_rows(4)], reading=reading_of(fact_rows(4)))

    job = import_rows(import_job(source), [fact_rows(4)], reading=reading_of(fact_rows(4)))

    assert counts(job) == (4, 4, 0, 0, 0)
    assert MetricFact.objects.filter(source=source).count() == 4


def test_a_new_day_among_known_rows_is_inserted_and_the_known_ones_stay(source):
    import_rows(import_job(source), [fact_rows(3)], reading=reading_of(fact_rows(3)))
    rows = fact_rows(3) + [
        MetricRow(line=5, report_date=date(2026, 5, 2), campaign_id="cmp-0", campaign_name="Campaign 0", clicks=1)
    ]

    job = import_rows(import_job(source, b"next"), [rows], reading=reading_of(rows))

    assert counts(job) == (4, 1, 0, 3, 0)
