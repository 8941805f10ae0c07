"""Traffic import speed and memory: the import_traffic pipeline against a plain COPY of the same file.

Generates a Moloco-style dashboard CSV (TRAFFIC_BENCH_ROWS rows, default 1,000,000; about 3% of them in EUR)
and, in one run:
- imports it through the same pipeline as ``manage.py import_traffic`` (reader, COPY into staging, one
  set-based upsert);
- loads the same file with a plain ``COPY … FROM STDIN (FORMAT csv)`` into an empty table of the same
  columns, the ceiling any importer can reach;
- writes the facts of the first import again, ready as they are stored, with a plain ``COPY`` into an empty
  copy of the fact table (logged, with its two indexes): the ceiling of the write alone, which the import,
  reading and checking the file besides, cannot beat;
- imports it again (forced: the pipeline really runs) and counts the facts it changed (must be 0);
- imports a restated copy in which 1% of the rows have a new spend, and counts the facts it changed;
- imports a copy with 3 bad cells and counts the bad cells found (and that nothing was written);
- gives the source TRAFFIC_BENCH_EARLIER_MONTHS (default 5: with the file's month, half a year) earlier months of
  the same facts and imports the original file again, which restates the newest month back: the import reads
  the file's days, not the source's whole history (0 skips it).

Figures: import_rows_per_s, copy_rows_per_s, import_vs_copy, facts_copy_s and facts_copy_vs_copy (that
ceiling, and its speed as a share of the plain COPY's), import_vs_copy_ceiling (the best import_vs_copy of an
import that reads the file at the plain COPY's speed before writing it at that ceiling), import_s, reimport_s,
reimport_rows_changed, restate_rows_changed, restate_into_months_s and restate_into_months_rows_changed,
import_write_s and reimport_write_s (the time spent in SQL statements: mostly writing the staged file into the
facts and the rollup) with import_stage_s and reimport_stage_s (the rest: keeping the file with its hash, then
reading, checking and COPYing it into staging, which overlap), peak_rss_mb (the whole process, generation
included), errors_found_in_bad_file, bad_file_rows_written, and dashboard_30d_ms_10m: the median time of a
30-day daily traffic report (``apps.analytics.reports.traffic_report``, read from the rollup, EUR converted at
each day's rate) of an organization holding TRAFFIC_BENCH_DASHBOARD_FACTS facts (default 10,000,000, generated
in SQL and rolled up with ``rollup_refresh``; dashboard_rollup_s is that refresh).

    .venv/bin/python bench/run.py traffic_import
    TRAFFIC_BENCH_ROWS=100000 .venv/bin/python bench/run.py traffic_import     # a quicker run
"""

from __future__ import annotations

import io
import os
import resource
import tempfile
import time
from pathlib import Path

from _django import figure, median
from django.db import connection

from apps.core.operations.database_roles import as_owner

ROWS = int(os.environ.get("TRAFFIC_BENCH_ROWS", "1000000"))
DASHBOARD_FACTS = int(os.environ.get("TRAFFIC_BENCH_DASHBOARD_FACTS", "10000000"))
EARLIER_MONTHS = int(os.environ.get("TRAFFIC_BENCH_EARLIER_MONTHS", "5"))
HEADER = "Date,Campaign,Campaign ID,Ad Group,Creative,Exchange,Country,OS,Impressions,Clicks,Installs,Spend,Currency\n"
COUNTRIES = ["US", "DE", "GB", "FR", "BR", "IN", "JP", "KR", "TR", "MX", "ES", "IT"]
EXCHANGES = ["UNITY", "APPLOVIN", "IRONSOURCE", "MINTEGRAL", "VUNGLE", "CHARTBOOST", "INMOBI", "PANGLE", "FYBER", "ADX"]


def line(index: int, *, restated: bool = False) -> str:
    """Row ``index``: every row a distinct natural key (30 days x 50 campaigns x 20 creatives x 10 exchanges x
    12 countries), numbers from the index so that a restated copy differs exactly where it should."""
    rest = index
    day, rest = rest % 30, rest // 30
    campaign, rest = rest % 50, rest // 50
    creative, rest = rest % 20, rest // 20
    exchange, rest = rest % 10, rest // 10
    country = COUNTRIES[rest % len(COUNTRIES)]
    impressions = 1000 + index % 9973
    clicks = impressions // 37
    installs = clicks // 11
    cents = 1000 + index % 50000
    if restated and index % 100 == 7:
        cents += 1
    currency = "EUR" if index % 33 == 0 else "USD"
    os_name = "IOS" if campaign % 2 else "ANDROID"
    return (
        f"2026-04-{day + 1:02d},Campaign {campaign},cmp-{campaign},Group {campaign % 5},creative_{creative},"
        f"{EXCHANGES[exchange]},{country},{os_name},{impressions},{clicks},{installs},{cents // 100}.{cents % 100:02d},"
        f"{currency}\n"
    )


def write_file(path: Path, count: int, *, restated: bool = False, bad_cells: bool = False) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        chunk = []
        for index in range(count):
            text = line(index, restated=restated)
            if bad_cells and index in (10, 20, 30):
                cells = text.rstrip("\n").split(",")
                column = {10: 0, 20: 8, 30: 11}[index]  # a date, a count and an amount that are not
                cells[column] = {0: "2026-02-31", 8: "many", 11: "12..5"}[column]
                text = ",".join(cells) + "\n"
            chunk.append(text)
            if len(chunk) == 10000:
                out.write("".join(chunk))
                chunk.clear()
        out.write("".join(chunk))


class _StatementClock:
    """The time spent in the SQL statements a block runs (the COPY into staging is not one): for an import,
    mostly writing the staged file into the facts and the rollup; the rest is keeping the file with its hash,
    then reading, checking and staging it."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started


def run_import(organization, source, path: Path, *, force: bool = False):
    """The finished job, its seconds, and the seconds of them spent in SQL statements."""
    from apps.analytics.services import import_job_create, import_job_run

    clock = _StatementClock()
    started = time.perf_counter()
    with connection.execute_wrapper(clock):
        job = import_job_create(organization=organization, source=source, file=path, force=force)
        job = import_job_run(job=job)
    return job, time.perf_counter() - started, clock.seconds


def plain_copy(path: Path) -> float:
    # A table of its own, made by the schema's owner (the application's role creates none).
    with as_owner(), connection.cursor() as cursor:
        cursor.execute(
            "DROP TABLE IF EXISTS bench_traffic_copy; CREATE UNLOGGED TABLE bench_traffic_copy (report_date date, "
            "campaign text, campaign_id text, ad_group text, creative text, exchange text, country text, os text, "
            "impressions bigint, clicks bigint, installs bigint, spend numeric, currency text)"
        )
        started = time.perf_counter()
        with (
            cursor.copy("COPY bench_traffic_copy FROM STDIN (FORMAT csv, HEADER true)") as copy,
            path.open("rb") as stream,
        ):
            for chunk in iter(lambda: stream.read(1024 * 1024), b""):
                copy.write(chunk)
        elapsed = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_traffic_copy")
    return elapsed


# The columns a fact is written with (its id is the table's own), in the natural key's order.
_FACT_COLUMNS = (
    "organization_id, source_id, report_date, campaign_id, ad_group, creative, placement, country, os, sub_id, "
    "time_zone, impressions, clicks, installs, conversions, events, spend, revenue, currency, import_job_id, line"
)


def facts_copy(job) -> float:
    """The ceiling of the write alone: the import's own facts, already typed and matched to their campaigns,
    sent in the natural key's order by a plain ``COPY`` into an empty copy of the fact table, logged and with
    its two indexes (the primary key and the natural key's unique index), as any durable import must keep
    them. Nothing is read, checked or compared with stored facts; the rows wait in a file on disk (the
    process's memory does not hold them), and only the ``COPY FROM`` is timed."""
    with as_owner(), connection.cursor() as cursor, tempfile.TemporaryFile() as rows:
        cursor.execute(
            "DROP TABLE IF EXISTS bench_facts_copy; "
            "CREATE TABLE bench_facts_copy (LIKE analytics_metricfact INCLUDING DEFAULTS INCLUDING IDENTITY "
            "INCLUDING CONSTRAINTS INCLUDING INDEXES)"
        )
        with cursor.copy(
            f"COPY (SELECT {_FACT_COLUMNS} FROM analytics_metricfact WHERE import_job_id = %s "
            "ORDER BY organization_id, source_id, report_date, campaign_id, ad_group, creative, placement, country, "
            "os, sub_id) TO STDOUT",
            [job.pk],
        ) as copy:
            for chunk in copy:
                rows.write(chunk)
        rows.seek(0)
        started = time.perf_counter()
        with cursor.copy(f"COPY bench_facts_copy ({_FACT_COLUMNS}) FROM STDIN") as copy:
            for chunk in iter(lambda: rows.read(1024 * 1024), b""):
                copy.write(chunk)
        elapsed = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_facts_copy")
    return elapsed


def earlier_months(source, months: int) -> None:
    """Give ``source`` ``months`` earlier months of facts, copies of its own shifted back by 30 days each (so
    that the file's month is the newest of the source's history), and gather the statistics."""
    columns = _FACT_COLUMNS.replace(" report_date,", "")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO analytics_metricfact (report_date, {columns}) SELECT report_date - 30 * k, {columns} "
            "FROM analytics_metricfact, generate_series(1, %s) AS k WHERE source_id = %s "
            "ORDER BY k DESC, report_date, campaign_id, ad_group, creative, placement, country, os, sub_id",
            [months, source.pk],
        )
    with as_owner(), connection.cursor() as cursor:
        cursor.execute("ANALYZE analytics_metricfact")


# Facts n = 0 … count-1: 30 days x 50 campaigns, a distinct creative per (campaign, day), 12 countries, 1 in
# 33 in EUR. One statement, so the statement-level reference checks run once.
_DASHBOARD_FACTS = """
    INSERT INTO analytics_metricfact (organization_id, source_id, campaign_id, report_date, time_zone, ad_group,
        creative, placement, country, os, sub_id, impressions, clicks, installs, spend, currency, import_job_id, line)
    SELECT %(organization)s, %(source)s, (%(campaigns)s::bigint[])[1 + (n / 30) %% 50], DATE '2026-04-01' + (n %% 30),
           'UTC', '', 'creative_' || (n / 1500), '',
           (ARRAY['US','DE','GB','FR','BR','IN','JP','KR','TR','MX','ES','IT'])[1 + (n / 1500) %% 12],
           CASE WHEN (n / 30) %% 2 = 1 THEN 'ios' ELSE 'android' END, '',
           1000 + n %% 9973, (1000 + n %% 9973) / 37, (1000 + n %% 9973) / 407, (1000 + n %% 50000) / 100.0,
           CASE WHEN n %% 33 = 0 THEN 'EUR' ELSE 'USD' END, %(job)s, 2
    FROM generate_series(0, %(count)s - 1) AS n
"""


def dashboard(count: int) -> tuple[float, float]:
    """The rollup refresh of ``count`` generated facts and the median time of a 30-day daily report (ms)."""
    from datetime import date
    from decimal import Decimal

    from apps.analytics.models import Campaign
    from apps.analytics.reports import traffic_report
    from apps.analytics.rollups import rollup_refresh
    from apps.analytics.services import import_job_create, traffic_source_get_or_create
    from apps.core.models import FxRate, Organization

    organization = Organization.objects.create(
        name="Dashboard bench", slug=f"dashboard-bench-{int(time.time() * 1000)}", reporting_currency_id="USD"
    )
    source, _created = traffic_source_get_or_create(organization=organization, name="Moloco")
    job = import_job_create(organization=organization, source=source, file=io.BytesIO(b"generated"), file_name="g")
    campaigns = [
        Campaign.objects.create(organization=organization, source=source, external_id=f"cmp-{i}", name=f"C {i}").pk
        for i in range(50)
    ]
    for day in range(1, 31):
        FxRate.objects.update_or_create(
            organization=organization,
            date=date(2026, 4, day),
            base_id="EUR",
            quote_id="USD",
            source="manual",
            defaults={"rate": Decimal("1.08") + Decimal(day) / 1000},
        )
    parameters = {
        "organization": organization.pk,
        "source": source.pk,
        "campaigns": campaigns,
        "job": job.pk,
        "count": count,
    }
    with connection.cursor() as cursor:
        cursor.execute(_DASHBOARD_FACTS, parameters)
    with as_owner(), connection.cursor() as cursor:  # statistics are the owner's (autovacuum's) to gather
        cursor.execute("ANALYZE analytics_metricfact")
    started = time.perf_counter()
    rollup_refresh(
        organization_id=organization.pk, source_id=source.pk, date_from=date(2026, 4, 1), date_to=date(2026, 4, 30)
    )
    rollup_s = time.perf_counter() - started
    with as_owner(), connection.cursor() as cursor:
        cursor.execute("ANALYZE analytics_dailyrollup")
    samples = []
    for _run in range(7):
        started = time.perf_counter()
        report = traffic_report(
            organization=organization, date_from=date(2026, 4, 1), date_to=date(2026, 4, 30), group_by="day"
        )
        samples.append((time.perf_counter() - started) * 1000)
    assert len(report.rows) == 30, len(report.rows)
    forget_facts(organization)
    return rollup_s, median(samples)


def forget_facts(organization) -> None:
    """The bench database is shared by every bench run: the facts a run wrote are not left behind, and the
    indexes they grew are rebuilt, so that the next run writes into a fact table of the same size (a vacuumed
    index keeps its emptied pages, and a larger index is slower to write into)."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM analytics_dailyrollup WHERE organization_id = %s", [organization.pk])
        cursor.execute("DELETE FROM analytics_metricfact WHERE organization_id = %s", [organization.pk])
    with as_owner(), connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE analytics_metricfact")
        cursor.execute("REINDEX TABLE analytics_metricfact")


def main() -> None:
    from apps.analytics.models import ImportJob, MetricFact
    from apps.analytics.services import traffic_source_get_or_create
    from apps.core.models import Organization

    organization = Organization.objects.create(name="Traffic bench", slug=f"traffic-bench-{int(time.time() * 1000)}")
    source, _created = traffic_source_get_or_create(organization=organization, name="Moloco")
    try:
        with tempfile.TemporaryDirectory(prefix="traffic-bench-") as folder:
            original, restated, bad = Path(folder, "moloco.csv"), Path(folder, "restated.csv"), Path(folder, "bad.csv")
            write_file(original, ROWS)

            job, import_s, import_write_s = run_import(organization, source, original)
            assert job.status == ImportJob.Status.DONE, job.message
            assert job.rows_inserted == ROWS, (job.rows_inserted, ROWS)
            copy_s = plain_copy(original)
            facts_copy_s = facts_copy(job)

            again, reimport_s, reimport_write_s = run_import(organization, source, original, force=True)
            write_file(restated, ROWS, restated=True)
            restate, _restate_s, _restate_write_s = run_import(organization, source, restated)

            write_file(bad, min(ROWS, 1000), bad_cells=True)
            before = MetricFact.objects.filter(organization=organization).count()
            refused, _bad_s, _bad_write_s = run_import(organization, source, bad)
            written = MetricFact.objects.filter(organization=organization).count() - before

            if EARLIER_MONTHS:
                earlier_months(source, EARLIER_MONTHS)
                # The original file restates the restated month back: the same 1% of its rows change again.
                into_months, into_months_s, _write_s = run_import(organization, source, original, force=True)
                assert into_months.status == ImportJob.Status.DONE, into_months.message
    finally:  # the shared bench database keeps none of this run's facts, whatever failed
        forget_facts(organization)

    figure("rows", ROWS)
    figure("import_s", import_s)
    figure("import_stage_s", import_s - import_write_s)
    figure("import_write_s", import_write_s)
    figure("import_rows_per_s", ROWS / import_s)
    figure("copy_rows_per_s", ROWS / copy_s)
    figure("import_vs_copy", copy_s / import_s)
    figure("facts_copy_s", facts_copy_s)
    figure("facts_copy_vs_copy", copy_s / facts_copy_s)
    # The most an import can reach that reads and checks the whole file before it writes a row: reading at the
    # plain COPY's own speed, then writing as the plain COPY of the ready facts does. One that overlapped the
    # two (writing as it reads, rolled back on a bad cell) would be bounded by the write alone (facts_copy).
    figure("import_vs_copy_ceiling", copy_s / (copy_s + facts_copy_s))
    figure("reimport_s", reimport_s)
    figure("reimport_stage_s", reimport_s - reimport_write_s)
    figure("reimport_write_s", reimport_write_s)
    figure("reimport_rows_changed", again.rows_inserted + again.rows_updated)
    figure("restate_rows_changed", restate.rows_inserted + restate.rows_updated)
    figure("peak_rss_mb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    figure("errors_found_in_bad_file", refused.error_count)
    figure("bad_file_rows_written", written)
    if EARLIER_MONTHS:
        figure("restate_into_months", EARLIER_MONTHS + 1)
        figure("restate_into_months_s", into_months_s)
        figure("restate_into_months_rows_changed", into_months.rows_inserted + into_months.rows_updated)
    if DASHBOARD_FACTS:
        rollup_s, dashboard_ms = dashboard(DASHBOARD_FACTS)
        figure("dashboard_facts", DASHBOARD_FACTS)
        figure("dashboard_rollup_s", rollup_s)
        figure("dashboard_30d_ms_10m", dashboard_ms)


if __name__ == "__main__":
    main()
