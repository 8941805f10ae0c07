"""The import pipeline on rows built in code: exact counts, idempotent re-imports, restatements, lineage,
every bad cell reported with nothing written, and the valid rows kept only when asked."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.analytics.models import Campaign, Conversion, ImportJob, MetricFact
from apps.analytics.services import import_rows, imports
from apps.core.mechanisms.idempotency import is_replay
from tests.analytics.factories import (
    ConversionRow,
    MetricRow,
    TrafficSourceFactory,
    fact_rows,
    import_job,
    reading_of,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True, params=["lookup", "merge"])
def match(request, monkeypatch):
    """Every test here runs with both ways of matching a file's facts to the stored ones: looked up in the
    index (a small file) and merged beside it (a large one)."""
    monkeypatch.setattr(imports, "LOOKUP_ROWS", imports.LOOKUP_ROWS if request.param == "lookup" else 0)
    return request.param


@pytest.fixture
def source(organization):
    return TrafficSourceFactory(organization=organization, name="Moloco", time_zone="America/Los_Angeles")


def batches(rows, size=4):
    return [rows[i : i + size] for i in range(0, len(rows), size)]


def counts(job):
    return (job.rows_read, job.rows_inserted, job.rows_updated, job.rows_unchanged, job.rows_rejected)


def test_first_import_inserts_every_row_creates_campaigns_and_records_lineage(source):
    rows = fact_rows(10)
    job = import_rows(import_job(source), batches(rows), reading=reading_of(rows, timezone="America/Los_Angeles"))

    assert job.status == ImportJob.Status.DONE
    assert counts(job) == (10, 10, 0, 0, 0)
    assert sorted(Campaign.objects.filter(source=source).values_list("external_id", flat=True)) == [
        "cmp-0",
        "cmp-1",
        "cmp-2",
    ]
    fact = MetricFact.objects.get(creative="creative-3")
    assert (fact.import_job_id, fact.line) == (job.pk, 5)
    assert fact.campaign.external_id == "cmp-0"
    assert fact.time_zone == "America/Los_Angeles"
    assert (fact.impressions, fact.clicks, fact.installs) == (1003, 13, 3)
    assert (fact.spend, fact.currency) == (Decimal("4.50"), "USD")
    assert fact.organization_id == source.organization_id


def test_a_small_file_looks_its_facts_up_in_the_index_whatever_the_statistics_say(source, match):
    rows = fact_rows(10)
    import_rows(import_job(source), [rows], reading=reading_of(rows))

    with CaptureQueriesContext(connection) as queries:
        job = import_rows(import_job(source, force=True), [rows], reading=reading_of(rows))

    assert counts(job) == (10, 0, 0, 10, 0)
    statements = [query["sql"] for query in queries.captured_queries]
    upsert = next(i for i, sql in enumerate(statements) if "INSERT INTO analytics_metricfact" in sql)
    looked_up = "LEFT JOIN LATERAL" in statements[upsert]
    assert looked_up == (match == "lookup")
    assert (statements[upsert - 1] == "SET LOCAL enable_seqscan = off") == looked_up
    assert statements[upsert + 1] == "RESET enable_seqscan"


def test_missing_metrics_stay_null_never_zero(source):
    rows = [MetricRow(line=2, report_date=date(2026, 5, 1), campaign_id="", campaign_name="Brand", spend=None)]
    import_rows(import_job(source), [rows])

    fact = MetricFact.objects.get()
    assert (fact.impressions, fact.clicks, fact.installs, fact.conversions, fact.spend, fact.events) == (
        None,
        None,
        None,
        None,
        None,
        None,
    )


def test_the_same_rows_again_change_nothing_and_keep_their_first_lineage(source):
    rows = fact_rows(10)
    first = import_rows(import_job(source), batches(rows), reading=reading_of(rows))

    again = import_rows(import_job(source, force=True), batches(fact_rows(10)), reading=reading_of(rows))

    assert counts(again) == (10, 0, 0, 10, 0)
    assert MetricFact.objects.count() == 10
    assert set(MetricFact.objects.values_list("import_job_id", flat=True)) == {first.pk}


def test_a_restated_export_replaces_exactly_what_the_network_restated(source):
    import_rows(import_job(source), batches(fact_rows(10)))
    restated = fact_rows(10)
    restated[1].spend = Decimal("99.99")
    restated[7].clicks = None  # a number withdrawn is a change too
    restated.append(
        MetricRow(line=12, report_date=date(2026, 5, 2), campaign_id="cmp-0", campaign_name="Campaign 0", clicks=5)
    )

    job = import_rows(import_job(source, b"restated"), batches(restated))

    assert counts(job) == (11, 1, 2, 8, 0)
    changed = MetricFact.objects.filter(import_job=job).order_by("line")
    assert [(f.creative, f.spend, f.clicks) for f in changed] == [
        ("creative-1", Decimal("99.99"), 11),
        ("creative-7", Decimal("8.50"), None),
        ("", None, 5),
    ]


def test_an_export_of_some_days_matches_its_days_to_their_edges_and_leaves_the_other_days_alone(source):
    def days(first, last, *, spend=Decimal("1.50"), line=2):
        return [
            row
            for offset, day in enumerate(range(first, last + 1))
            for row in fact_rows(3, day=date(2026, 5, day), spend=spend, start_line=line + 3 * offset)
        ]

    stored = import_rows(import_job(source), batches(days(1, 10)))
    window = days(4, 7, line=100)
    window[0].spend = Decimal("99.99")  # the file's first day
    window[-1].spend = Decimal("77.77")  # and its last

    job = import_rows(import_job(source, b"the middle of the month, restated"), batches(window))

    assert counts(job) == (12, 0, 2, 10, 0)
    assert MetricFact.objects.count() == 30
    restated = MetricFact.objects.filter(import_job=job).order_by("report_date")
    assert [(f.report_date.day, f.spend) for f in restated] == [(4, Decimal("99.99")), (7, Decimal("77.77"))]
    others = MetricFact.objects.exclude(report_date__range=(date(2026, 5, 4), date(2026, 5, 7)))
    assert set(others.values_list("import_job_id", flat=True)) == {stored.pk}


def test_rows_that_share_a_key_fold_into_one_fact_adding_up_their_metrics_and_events(source):
    day = date(2026, 5, 1)
    rows = [
        MetricRow(2, day, "c1", "One", country="US", clicks=3, spend=Decimal("1.10"), events={"purchase": 2}),
        MetricRow(3, day, "c1", "One", country="US", clicks=4, spend=Decimal("2.20"), events={"purchase": 1, "af": 5}),
        MetricRow(4, day, "c1", "One", country="US", clicks=None, spend=None),
    ]
    job = import_rows(import_job(source), [rows], reading=reading_of(rows))

    fact = MetricFact.objects.get()
    assert (fact.clicks, fact.spend, fact.impressions, fact.line) == (7, Decimal("3.30"), None, 2)
    assert fact.events == {"purchase": 3, "af": 5}
    assert counts(job) == (3, 1, 0, 0, 0)


def test_rows_of_one_key_in_two_currencies_are_reported_and_nothing_is_written(source, english):
    day = date(2026, 5, 1)
    rows = [
        MetricRow(2, day, "c1", "One", spend=Decimal("1"), currency="USD"),
        MetricRow(3, day, "c1", "One", spend=Decimal("1"), currency="EUR"),
        MetricRow(4, day, "c2", "Two", spend=Decimal("1"), currency="EUR"),
    ]
    job = import_rows(import_job(source), [rows], reading=reading_of(rows))

    assert job.status == ImportJob.Status.REJECTED
    assert MetricFact.objects.count() == 0
    assert Campaign.objects.count() == 0
    assert job.errors[0]["line"] == 2
    assert job.errors[0]["raw"] == "EUR / USD"


def test_a_file_with_bad_cells_imports_nothing_and_reports_every_bad_cell(source, english):
    rows = fact_rows(5)
    bad = [
        {"line": 3, "column": "Spend", "raw": "12,3,4", "expected": "a number", "message": "Line 3: bad spend"},
        {"line": 9, "column": "Date", "raw": "31.02.2026", "expected": "a date", "message": "Line 9: bad date"},
        {"line": 9, "column": "Country", "raw": "=cmd()", "expected": "a country", "message": "Line 9: bad country"},
    ]
    job = import_rows(import_job(source), batches(rows), reading=reading_of(rows, errors=bad, bad_rows=2))

    assert job.status == ImportJob.Status.REJECTED
    assert (job.rows_read, job.rows_inserted, job.rows_rejected, job.error_count) == (7, 0, 2, 3)
    assert "3 bad cells; nothing was imported" in job.message
    assert MetricFact.objects.count() == 0
    assert Campaign.objects.count() == 0
    report = list(csv.reader(io.StringIO(job.error_report.read().decode("utf-8-sig"))))
    assert report[0] == ["line", "column", "value", "expected", "message"]
    assert [(r[0], r[1], r[2]) for r in report[1:]] == [
        ("3", "Spend", "12,3,4"),
        ("9", "Date", "31.02.2026"),
        ("9", "Country", "'=cmd()"),  # neutralised: a spreadsheet must not run it
    ]


def test_keep_valid_imports_the_valid_rows_and_quarantines_the_rest(source, english):
    rows = fact_rows(5)
    bad = [{"line": 8, "column": "Spend", "raw": "x", "expected": "a number"}]
    job = import_rows(
        import_job(source, keep_valid=True), batches(rows), reading=reading_of(rows, errors=bad, bad_rows=1)
    )

    assert job.status == ImportJob.Status.DONE
    assert counts(job) == (6, 5, 0, 0, 1)
    assert MetricFact.objects.count() == 5
    assert job.error_report.name
    assert "1 bad cell" in job.message


def test_a_renamed_campaign_keeps_matching_its_files(source):
    rows = [
        MetricRow(2, date(2026, 5, 1), "77", "Summer", clicks=1),
        MetricRow(3, date(2026, 5, 1), "", "No id campaign", clicks=1),
    ]
    import_rows(import_job(source), [rows])
    Campaign.objects.filter(source=source).update(name="Renamed by the buyer")

    again = [
        MetricRow(2, date(2026, 5, 2), "77", "Summer (new name at the network)", clicks=2),
        MetricRow(3, date(2026, 5, 2), "", "No id campaign", clicks=2),
    ]
    import_rows(import_job(source, b"next day"), [again])

    assert Campaign.objects.filter(source=source).count() == 2
    assert set(Campaign.objects.values_list("name", flat=True)) == {"Renamed by the buyer"}
    assert MetricFact.objects.count() == 4


def test_campaigns_and_facts_of_another_source_are_apart(source, organization):
    other = TrafficSourceFactory(organization=organization, name="AppsFlyer")
    import_rows(import_job(source), [fact_rows(3)])
    job = import_rows(import_job(other), [fact_rows(3)])

    assert counts(job) == (3, 3, 0, 0, 0)
    assert Campaign.objects.count() == 6


def test_an_import_killed_midway_leaves_nothing_and_runs_again(source):
    job = import_job(source)
    rows = fact_rows(8)

    def dying():
        yield rows[:4]
        raise KeyboardInterrupt  # the worker is stopped between two batches

    with pytest.raises(KeyboardInterrupt):
        import_rows(job, dying())
    assert MetricFact.objects.count() == 0
    assert Campaign.objects.count() == 0

    again = import_rows(job, batches(rows))
    assert counts(again) == (8, 8, 0, 0, 0)


def test_a_finished_job_is_not_applied_twice(source):
    job = import_job(source)
    import_rows(job, [fact_rows(3)])

    replay = import_rows(job, [fact_rows(4)])

    assert is_replay(replay)
    assert replay.rows_inserted == 3
    assert MetricFact.objects.count() == 3


def test_progress_is_reported_after_each_batch(source):
    seen = []
    import_rows(import_job(source), batches(fact_rows(10), size=4), progress=seen.append)
    assert seen == [4, 8, 10]


def test_conversions_are_kept_once_per_transaction_id_and_take_their_latest_status(source):
    at = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    rows = [
        ConversionRow(2, "clk1", "tx1", "install", "pending", Decimal("1.20"), "USD", None, at, campaign_id="c1"),
        ConversionRow(3, "clk2", "tx2", "purchase", "approved", Decimal("5"), "USD", at, at, campaign_name="Brand"),
        ConversionRow(4, "clk1", "tx1", "install", "approved", Decimal("1.20"), "USD", None, at, campaign_id="c1"),
    ]
    job = import_rows(import_job(source), [rows])
    assert (job.rows_inserted, job.rows_unchanged) == (2, 0)
    assert Conversion.objects.get(transaction_id="tx1").status == "approved"
    assert Conversion.objects.get(transaction_id="tx2").campaign.name == "Brand"

    again = import_rows(import_job(source, b"again"), [rows])
    assert (again.rows_inserted, again.rows_updated, again.rows_unchanged) == (0, 0, 2)


def test_a_conversions_status_only_moves_forward_as_a_postbacks_does(source):
    """An export re-imported after the conversion was approved does not take it back to pending; of a file's
    lines for one conversion the furthest status wins; the tracker's words are stored as one status."""
    at = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)

    def row(line, status, payout="1.20"):
        return ConversionRow(line, "clk1", "tx1", "install", status, Decimal(payout), "USD", None, at, campaign_id="c1")

    first = import_rows(import_job(source), [[row(2, "lead"), row(3, "sale", "2.50"), row(4, "hold")]])
    assert first.rows_inserted == 1
    assert Conversion.objects.values_list("status", "payout").get() == ("approved", Decimal("2.50"))

    older = import_rows(import_job(source, b"an older export"), [[row(2, "pending", "9.99")]])
    assert (older.rows_updated, older.rows_unchanged) == (0, 1)
    assert Conversion.objects.values_list("status", "payout").get() == ("approved", Decimal("2.50"))

    later = import_rows(import_job(source, b"a later export"), [[row(2, "Declined")]])
    assert later.rows_updated == 1
    assert Conversion.objects.values_list("status", "payout").get() == ("rejected", Decimal("1.20"))


def test_the_database_refuses_a_fact_whose_campaign_belongs_to_another_source(source, organization):
    from django.db import IntegrityError, connection, transaction

    other = TrafficSourceFactory(organization=organization, name="Other")
    import_rows(import_job(source), [fact_rows(1)])
    import_rows(import_job(other), [fact_rows(1)])
    foreign_campaign = Campaign.objects.get(source=other)
    fact = MetricFact.objects.get(source=source)

    with pytest.raises(IntegrityError, match="not of its source"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE analytics_metricfact SET campaign_id = %s WHERE id = %s", [foreign_campaign.pk, fact.pk])


def test_the_database_refuses_to_delete_a_campaign_or_import_that_facts_name(source):
    from django.db import IntegrityError, connection, transaction

    job = import_rows(import_job(source), [fact_rows(1)])
    campaign = Campaign.objects.get()

    for table, pk in (("analytics_campaign", campaign.pk), ("analytics_importjob", job.pk)):
        with (
            pytest.raises(IntegrityError, match="has daily facts"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(f"DELETE FROM {table} WHERE id = %s", [pk])


def test_a_folded_file_imported_again_changes_nothing(source):
    day = date(2026, 5, 1)

    def rows():
        return [
            MetricRow(2, day, "c1", "One", country="US", clicks=3, spend=Decimal("1.10")),
            MetricRow(3, day, "c1", "One", country="US"),  # nothing reported: must not blank the row above
        ]

    import_rows(import_job(source), [rows()])
    again = import_rows(import_job(source, force=True), [rows()])

    assert (again.rows_inserted, again.rows_updated, again.rows_unchanged) == (0, 0, 1)
    fact = MetricFact.objects.get()
    assert (fact.clicks, fact.spend) == (3, Decimal("1.10"))


# Names that COPY's text format would misread unless escaped, and two that need nothing.
TRICKY = ["back\\slash", "tab\there", "line\nbreak", "cr\rhere", "\\N", "Кампания «Весна»", ""]


def tricky_rows(*, dated, spend, revenue):
    """A row per TRICKY name (as its campaign and creative), with missing counts, a missing spend (4th row) and
    a revenue on the 5th row only."""
    return [
        MetricRow(
            line=index + 2,
            report_date=dated(index),
            campaign_id=f"c{index}",
            campaign_name=name,
            creative=name,
            country="US",
            impressions=None if index % 2 else 1000 + index,
            clicks=index,
            spend=None if index == 3 else spend,
            revenue=revenue if index == 4 else None,
            currency="USD",
        )
        for index, name in enumerate(TRICKY)
    ]


def test_a_columnar_batch_writes_exactly_what_its_rows_write(source, organization):
    """A clean chunk of a large export reaches the pipeline as columns (no object per row) and is written as
    COPY text built a column at a time: the facts are those of the same rows written row by row, whatever
    characters COPY's text format would otherwise misread."""
    from apps.analytics.formats.rows import METRIC_ROW_FIELDS, MetricColumns

    rows = tricky_rows(dated=lambda index: date(2026, 5, 1), spend=Decimal("12.3456789"), revenue=Decimal("1E+2"))
    columnar = MetricColumns({name: [getattr(row, name) for row in rows] for name in METRIC_ROW_FIELDS})
    other = TrafficSourceFactory(organization=organization, name="Row by row", time_zone=source.time_zone)

    import_rows(import_job(source), [columnar], reading=reading_of(rows, timezone=source.time_zone))
    import_rows(import_job(other), [rows], reading=reading_of(rows, timezone=source.time_zone))

    def facts(of):
        fields = ("line", "creative", "impressions", "clicks", "spend", "revenue", "currency", "campaign__name")
        return list(MetricFact.objects.filter(source=of).order_by("line").values_list(*fields))

    assert facts(source) == facts(other)
    assert [fact[1] for fact in facts(source)] == TRICKY
    assert facts(source)[3][4] is None  # a missing spend stays NULL
    assert facts(source)[4][5] == Decimal("100")


def test_a_chunk_read_by_the_fast_path_writes_exactly_what_its_rows_write(source, organization):
    """A chunk the fast path read is a polars frame (amounts as the file's plain text), copied as it is: the
    facts are those of the same rows written row by row, escapes and missing values included."""
    import polars as pl

    from apps.analytics.formats.rows import FrameBatch

    rows = tricky_rows(
        dated=lambda index: date(2026, 5, 1 + index), spend=Decimal("0012.3456789"), revenue=Decimal("-7.50")
    )
    frame = pl.DataFrame(
        {
            "line": [row.line for row in rows],
            "report_date": [row.report_date for row in rows],
            **{
                name: [getattr(row, name) for row in rows]
                for name in ("campaign_id", "campaign_name", "ad_group", "creative", "placement", "country", "os")
            },
            "sub_id": [row.sub_id for row in rows],
            **{
                name: pl.Series([getattr(row, name) for row in rows], dtype=pl.Int64)
                for name in ("impressions", "clicks", "installs", "conversions")
            },
            "spend": pl.Series([None if row.spend is None else "0012.3456789" for row in rows], dtype=pl.String),
            "revenue": pl.Series([None if row.revenue is None else "-7.50" for row in rows], dtype=pl.String),
            "currency": [row.currency for row in rows],
        }
    )
    batch = FrameBatch(frame)
    assert batch.rows() == rows  # it stands for the rows it holds
    other = TrafficSourceFactory(organization=organization, name="Row by row", time_zone=source.time_zone)

    import_rows(import_job(source), [batch], reading=reading_of(rows, timezone=source.time_zone))
    import_rows(import_job(other), [rows], reading=reading_of(rows, timezone=source.time_zone))

    def facts(of):
        fields = ("line", "report_date", "creative", "impressions", "clicks", "spend", "revenue", "campaign__name")
        return list(MetricFact.objects.filter(source=of).order_by("line").values_list(*fields))

    assert facts(source) == facts(other)
    assert [fact[2] for fact in facts(source)] == TRICKY
    assert facts(source)[3][5] is None  # a missing spend stays NULL
    assert facts(source)[4][6] == Decimal("-7.50")
