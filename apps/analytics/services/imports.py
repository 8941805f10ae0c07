"""Importing traffic files: one pipeline for the command, the Celery task (uploads from the admin and the
API) and scheduled pulls.

1. :func:`import_job_create` keeps the file in storage with its SHA-256 and records a queued job, once per
   (source, file hash) unless forced: the same file uploaded twice, or twice at once, is one job.
2. :func:`import_job_run` claims the job and reads the file with ``apps.analytics.formats`` (detected from the
   header or forced), in batches of bounded size.
3. :func:`import_rows` streams each batch into a temporary staging table with ``COPY`` and publishes the
   progress; the reader validates the whole file meanwhile. A file with bad cells imports nothing (unless
   the job keeps the valid rows) and gets a CSV report of every bad cell.
4. Then, in ONE transaction under an advisory lock per traffic source: campaigns seen for the first time are
   created (set-based); one statement matches each of the file's facts to the stored one of its natural key,
   inserts the new ones and updates those whose values are ``IS DISTINCT FROM`` the stored ones (a re-import
   reads and leaves the rest), counting exactly what was inserted, updated (restated) and left unchanged; and
   the daily rollup of the days that changed is summed again. A killed import therefore leaves nothing
   half-visible (the staging table dies with its session, the rollup never disagrees with the facts) and is
   re-run.

No row is saved through the ORM: at a million rows a file, per-row saves are what makes other tools slow.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from psycopg.types.json import Jsonb

from apps.core.mechanisms.audit import audit_record
from apps.core.mechanisms.exports import safe_text
from apps.core.mechanisms.idempotency import mark_replay
from apps.core.realtime.events import publish

from ..formats.rows import FrameBatch, MetricColumns
from ..models import ImportJob, TrafficSource
from ..postbacks import PENDING, RANKS, status_of
from ..rollups import rollup_refresh

logger = logging.getLogger(__name__)

# pg_advisory_xact_lock(namespace, source id): imports into one traffic source write one at a time, so two
# overlapping files (or the same file twice) never interleave their upserts or deadlock on each other's keys.
LOCK_NAMESPACE = 0x7A11  # "traffic"
# Bad cells kept on the job itself (the error report holds every one the reader reported).
ERRORS_KEPT_ON_JOB = 100
# Restated keys of one file whose rows disagree on the currency, reported at most.
MIXED_REPORTED = 1000

# Rows per batch read and copied: with 20,000 the import of a million-row file peaked at 195 MB, the same as of
# a 100,000-row one; with the reader's default of 50,000 it peaked at 314 MB and grew with the file (bench).
BATCH_SIZE = 20_000

EVENT_PROGRESS = "analytics.import_progress"
EVENT_FINISHED = "analytics.import_finished"

_METRIC_STAGE = """
    CREATE TEMPORARY TABLE {table} (
        line integer NOT NULL,
        report_date date NOT NULL,
        campaign_id text COLLATE "C" NOT NULL,
        campaign_name text COLLATE "C" NOT NULL,
        ad_group text COLLATE "C" NOT NULL,
        creative text COLLATE "C" NOT NULL,
        placement text COLLATE "C" NOT NULL,
        country text COLLATE "C" NOT NULL,
        os text COLLATE "C" NOT NULL,
        sub_id text COLLATE "C" NOT NULL,
        impressions bigint,
        clicks bigint,
        installs bigint,
        conversions bigint,
        events jsonb,
        spend numeric,
        revenue numeric,
        currency text NOT NULL
    )
"""
_METRIC_COLUMNS = (
    "line, report_date, campaign_id, campaign_name, ad_group, creative, placement, country, os, sub_id, "
    "impressions, clicks, installs, conversions, events, spend, revenue, currency"
)


_CONVERSION_STAGE = """
    CREATE TEMPORARY TABLE {table} (
        line integer NOT NULL,
        click_id text NOT NULL,
        transaction_id text NOT NULL,
        event text NOT NULL,
        status text NOT NULL,
        payout numeric,
        currency text NOT NULL,
        click_time timestamptz,
        conversion_time timestamptz NOT NULL,
        campaign_id text NOT NULL,
        campaign_name text NOT NULL,
        country text NOT NULL,
        os text NOT NULL,
        sub_id text NOT NULL
    )
"""
_CONVERSION_COLUMNS = (
    "line, click_id, transaction_id, event, status, payout, currency, click_time, conversion_time, "
    "campaign_id, campaign_name, country, os, sub_id"
)


# A campaign is matched by its external id, or by the name the files give when they carry no id: one text key
# for both, so the staging rows find their campaign with a single hash join.
_STAGE_MATCH_KEY = "CASE WHEN s.campaign_id <> '' THEN 'i:' || s.campaign_id ELSE 'n:' || s.campaign_name END"
_CAMPAIGN_MATCH_KEY = "CASE WHEN c.external_id <> '' THEN 'i:' || c.external_id ELSE 'n:' || c.match_name END"

_CAMPAIGNS_CREATE = """
    INSERT INTO analytics_campaign (organization_id, source_id, external_id, match_name, name, created_at)
    SELECT %(organization)s, %(source)s, s.campaign_id, min(s.campaign_name),
           coalesce(nullif(min(s.campaign_name), ''), s.campaign_id), now()
    FROM {table} s
    WHERE s.campaign_id <> ''
    GROUP BY s.campaign_id
    ON CONFLICT (source_id, external_id) WHERE external_id <> '' DO NOTHING;

    INSERT INTO analytics_campaign (organization_id, source_id, external_id, match_name, name, created_at)
    SELECT %(organization)s, %(source)s, '', s.campaign_name, s.campaign_name, now()
    FROM {table} s
    WHERE s.campaign_id = '' {name_condition}
    GROUP BY s.campaign_name
    ON CONFLICT (source_id, match_name) WHERE external_id = '' DO NOTHING;
"""

_METRICS = ("impressions", "clicks", "installs", "conversions", "spend", "revenue")
_COMPARED = ("time_zone", *_METRICS, "events", "currency")
# The compared values as the upsert would write them (the file's time zone is a parameter, not a column).
_INCOMING = tuple("%(time_zone)s::text" if c == "time_zone" else f"r.{c}" for c in _COMPARED)
# The natural key after organization, source and campaign; a file's rows are grouped in the unique index's order
# (report date, campaign, the rest), so they are matched to the stored facts and written in that order.
_KEY = ("report_date", "ad_group", "creative", "placement", "country", "os", "sub_id")

# Rows of one file that share a natural key (the file carries a cut Kontora does not keep) fold into one fact:
# their metrics add up (a sum of NULLs stays NULL: missing is never 0) and so do their per-event counts. Rows
# that disagree on the currency cannot be added and are reported instead.
# Both ways of reading the staged rows start from the same columns and the same match to their campaigns.
_FILE_ROWS_KEY = "c.id AS campaign_id, " + ", ".join("s." + k for k in _KEY)
_FILE_ROWS_FROM = "FROM {table} s JOIN campaigns c ON c.match_key = " + _STAGE_MATCH_KEY
_FILE_ROWS_ORDER = "s.report_date, c.id, " + ", ".join("s." + k for k in _KEY[1:])
_FILE_ROWS_GROUPED = f"""
        SELECT {_FILE_ROWS_KEY},
               min(s.line) AS line, count(*) AS row_count,
               {", ".join(f"sum(s.{m}) AS {m}" for m in _METRICS)},
               CASE WHEN count(s.events) = 0 THEN NULL
                    WHEN count(*) = 1 THEN (array_agg(s.events) FILTER (WHERE s.events IS NOT NULL))[1]
                    ELSE analytics_events_sum(array_agg(s.events) FILTER (WHERE s.events IS NOT NULL)) END AS events,
               max(s.currency) AS currency, min(s.currency) AS other_currency,
               min(s.currency) <> max(s.currency) AS mixed
        {_FILE_ROWS_FROM}
        GROUP BY {_FILE_ROWS_ORDER}
"""
# The same rows when no two of them share a key (KeyHashes says so): each is its own group, as the grouping
# would give it, without the grouping; sorted as the grouping sorts them.
_FILE_ROWS_SINGLE = f"""
        SELECT {_FILE_ROWS_KEY},
               s.line, 1::bigint AS row_count, {", ".join(f"s.{m}" for m in _METRICS)}, s.events,
               s.currency, s.currency AS other_currency, false AS mixed
        {_FILE_ROWS_FROM}
        ORDER BY {_FILE_ROWS_ORDER}
"""
# How a staged fact finds the stored one of its natural key. A large file is matched in one merge join, the
# staged rows in the key's order beside the index (the planner's own choice for it), or hashed. Either reads
# the stored facts of the file's days only: bounded by the file's first and last day, the index is scanned
# over those days, where a merge join would otherwise start at the source's first day and read its whole
# history. A small file looks each fact up in the index: right after a large import the table's statistics
# still describe it as it was, so the planner would rather rescan the source once per staged row (a file of
# 300 rows after one of a million took 70 s that way; looked up, 0.8 s).
_MATCH_MERGE = f"""LEFT JOIN analytics_metricfact f
             ON f.organization_id = %(organization)s AND f.source_id = %(source)s
            AND f.report_date BETWEEN %(first_day)s AND %(last_day)s
            AND f.campaign_id = r.campaign_id AND {" AND ".join(f"f.{k} = r.{k}" for k in _KEY)}"""
_MATCH_LOOKUP = f"""LEFT JOIN LATERAL (
            SELECT f.id, {", ".join("f." + c for c in _COMPARED)}
            FROM analytics_metricfact f
            WHERE f.organization_id = %(organization)s AND f.source_id = %(source)s
              AND f.campaign_id = r.campaign_id AND {" AND ".join(f"f.{k} = r.{k}" for k in _KEY)}
            LIMIT 1
        ) f ON true"""
# Files of fewer staged rows than this are looked up (at a few microseconds a row: well under a second).
LOOKUP_ROWS = 50_000
_FACTS_UPSERT = f"""
    WITH campaigns AS (
        SELECT c.id, {_CAMPAIGN_MATCH_KEY} AS match_key FROM analytics_campaign c WHERE c.source_id = %(source)s
    ),
    source_rows AS MATERIALIZED ({{source_rows}}),
    -- Each fact of the file is matched to the stored one of its natural key (if any) once; then the new ones are
    -- inserted and the ones the network restated are updated, and the rest are not touched. Plain INSERT and
    -- UPDATE rather than INSERT … ON CONFLICT: that locks (and so rewrites) every row it meets even when its
    -- WHERE says no, and checks each key twice. Exact under the advisory lock taken above: only imports write
    -- facts, one at a time (a key written meanwhile by anything else would fail the unique index, and the
    -- whole import with it: nothing half written).
    matched AS MATERIALIZED (
        SELECT r.*, f.id AS fact_id,
               ({", ".join("f." + c for c in _COMPARED)}) IS NOT DISTINCT FROM ({", ".join(_INCOMING)}) AS same
        FROM source_rows r {{match}}
        WHERE NOT r.mixed
    ),
    inserted AS (
        INSERT INTO analytics_metricfact (
            organization_id, source_id, campaign_id, {", ".join(_KEY)}, time_zone, {", ".join(_METRICS)},
            events, currency, import_job_id, line
        )
        SELECT %(organization)s, %(source)s, campaign_id, {", ".join(_KEY)}, %(time_zone)s,
               {", ".join(_METRICS)}, events, currency, %(job)s, line
        FROM matched WHERE fact_id IS NULL
        RETURNING report_date
    ),
    updated AS (
        UPDATE analytics_metricfact f SET
            time_zone = %(time_zone)s, {", ".join(f"{c} = m.{c}" for c in _COMPARED if c != "time_zone")},
            import_job_id = %(job)s, line = m.line
        FROM matched m
        WHERE f.id = m.fact_id AND m.fact_id IS NOT NULL AND NOT m.same
        RETURNING f.report_date
    )
    -- Each CTE is read once here: the counts, the staged rows no campaign took (which cannot happen), and the
    -- days whose sums the import changed, for the rollup.
    SELECT k.keys, i.n, u.n, k.mixed_rows,
           (SELECT coalesce(json_agg(json_build_array(line, other_currency, currency) ORDER BY line), '[]')
              FROM (SELECT line, other_currency, currency FROM source_rows WHERE mixed ORDER BY line
                    LIMIT {MIXED_REPORTED}) m),
           k.unmatched, least(i.first, u.first), greatest(i.last, u.last)
    FROM (SELECT count(*) FILTER (WHERE NOT mixed) AS keys,
                 coalesce(sum(row_count) FILTER (WHERE mixed), 0)::bigint AS mixed_rows,
                 %(rows_staged)s::bigint - coalesce(sum(row_count), 0)::bigint AS unmatched
          FROM source_rows) k,
         (SELECT count(*) AS n, min(report_date) AS first, max(report_date) AS last FROM inserted) i,
         (SELECT count(*) AS n, min(report_date) AS first, max(report_date) AS last FROM updated) u
"""

_CONVERSION_FIELDS = (
    "click_id",
    "event",
    "status",
    "payout",
    "currency",
    "click_time",
    "conversion_time",
    "campaign_id",
    "country",
    "os",
    "sub_id",
)

# How far along a conversion's status is (apps.analytics.postbacks.status_rank, in SQL): statuses are stored
# as postbacks.status_of writes them, and a status we do not know ranks with pending.
_RANK = (
    "CASE {status} "
    + " ".join(f"WHEN '{word}' THEN {rank}" for word, rank in RANKS.items())
    + f" ELSE {RANKS[PENDING]} END"
)

# A conversion is reported again when its status changes (pending → approved). Its status only moves forward,
# as a postback's does: of a file's lines for one conversion the furthest status wins (the latest line of it),
# and a file never takes a stored conversion back (an older export re-imported after its approval).
_CONVERSIONS_UPSERT = f"""
    WITH campaigns AS (
        SELECT c.id, {_CAMPAIGN_MATCH_KEY} AS match_key FROM analytics_campaign c WHERE c.source_id = %(source)s
    ),
    source_rows AS MATERIALIZED (
        SELECT DISTINCT ON (s.transaction_id)
               s.line, s.transaction_id, s.click_id, s.event, s.status, s.payout, s.currency, s.click_time,
               s.conversion_time, c.id AS campaign_id, s.country, s.os, s.sub_id
        FROM {{table}} s LEFT JOIN campaigns c
             ON (s.campaign_id <> '' OR s.campaign_name <> '') AND c.match_key = {_STAGE_MATCH_KEY}
        ORDER BY s.transaction_id, {_RANK.format(status="s.status")} DESC, s.line DESC
    ),
    written AS (
        INSERT INTO analytics_conversion AS f (
            organization_id, source_id, transaction_id, {", ".join(_CONVERSION_FIELDS)}, import_job_id, line
        )
        SELECT %(organization)s, %(source)s, transaction_id, {", ".join(_CONVERSION_FIELDS)}, %(job)s, line
        FROM source_rows
        ON CONFLICT (source_id, transaction_id) DO UPDATE SET
            {", ".join(f"{c} = EXCLUDED.{c}" for c in _CONVERSION_FIELDS)},
            import_job_id = EXCLUDED.import_job_id, line = EXCLUDED.line
        WHERE ({", ".join("f." + c for c in _CONVERSION_FIELDS)})
              IS DISTINCT FROM ({", ".join("EXCLUDED." + c for c in _CONVERSION_FIELDS)})
          AND {_RANK.format(status="EXCLUDED.status")} >= {_RANK.format(status="f.status")}
        RETURNING (xmax = 0) AS inserted
    )
    SELECT
        (SELECT count(*) FROM source_rows),
        (SELECT count(*) FROM written WHERE inserted),
        (SELECT count(*) FROM written WHERE NOT inserted),
        0, '[]'::json, 0, NULL::date, NULL::date
"""


# --- the job ------------------------------------------------------------------------------------------------


def file_sha256(stream) -> str:
    """The SHA-256 of a binary stream, read in chunks (a file of any size, in bounded memory)."""
    digest = hashlib.sha256()
    for chunk in iter(lambda: stream.read(1024 * 1024), b""):
        digest.update(chunk)
    return digest.hexdigest()


def import_job_create(
    *,
    organization,
    source: TrafficSource,
    file,
    file_name: str = "",
    format: str = "",
    keep_valid: bool = False,
    force: bool = False,
    user=None,
) -> ImportJob:
    """Keep ``file`` (a path, or a binary file object) in storage and record a queued import of it.

    The same file (by content) imported into the same source again returns the job that holds it, marked as a
    replay (``is_replay(job)``), unless ``force``; a failed or rejected import does not hold the file's place.
    Two uploads of one file at once make one job (a unique constraint decides)."""
    organization_id = getattr(organization, "pk", organization)
    if source.organization_id != organization_id:
        raise ValidationError({"source": _("The traffic source belongs to another organization.")})
    if isinstance(file, (str, Path)):
        path = Path(file)
        handle = path.open("rb")
        file_name = file_name or path.name
    else:
        handle = file
        file_name = file_name or Path(getattr(file, "name", "") or "upload").name
    try:
        handle.seek(0)
        sha256 = file_sha256(handle)
        if not force:
            earlier = _active_job_of(source, sha256)
            if earlier is not None:
                return mark_replay(earlier, True)
        handle.seek(0)
        job = ImportJob(
            organization_id=organization_id,
            source=source,
            file_name=file_name[:255],
            sha256=sha256,
            format=format or "",
            keep_valid=keep_valid,
            forced=force,
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        job.file.save(file_name, File(handle, name=file_name), save=False)
        try:
            with transaction.atomic():
                job.save()
                audit_record(
                    action="analytics.import.create",
                    actor=user,
                    organization=organization_id,
                    obj=job,
                    changes={"file": file_name, "sha256": sha256, "keep_valid": keep_valid, "forced": force},
                )
        except IntegrityError:
            # Another upload of the same file won the race: its job is the one.
            job.file.delete(save=False)
            earlier = _active_job_of(source, sha256)
            if earlier is None:
                raise
            return mark_replay(earlier, True)
    finally:
        if handle is not file:
            handle.close()
    return mark_replay(job, False)


def _active_job_of(source: TrafficSource, sha256: str) -> ImportJob | None:
    return (
        ImportJob.objects.filter(
            source=source,
            sha256=sha256,
            forced=False,
            status__in=[ImportJob.Status.QUEUED, ImportJob.Status.RUNNING, ImportJob.Status.DONE],
        )
        .order_by("pk")
        .first()
    )


def import_job_run(*, job: ImportJob | int, progress: Callable[[int], None] | None = None) -> ImportJob:
    """Run a queued (or interrupted) import: read the file and hand its rows to :func:`import_rows`.

    Safe to run twice, also at once: a finished job is returned as it stands (marked as a replay), and of two
    runs racing, one writes. A file whose format cannot be told, or that cannot be read, fails the job with a
    message that says why; the job records it and is returned."""
    job = _claim(getattr(job, "pk", job))
    if job.is_finished:
        return mark_replay(job, True)
    from apps.analytics import formats  # the reading half, pure Python: no database

    not_recognized = tuple(
        error for error in (getattr(formats, "FormatNotRecognized", None),) if isinstance(error, type)
    )
    source = job.source
    try:
        with job.file.open("rb") as stream:
            reading = formats.read(
                stream,
                format=job.format or None,
                source_timezone=source.time_zone or "UTC",
                source_currency=source.currency,
                mapping=source.column_mapping or None,
                batch_size=BATCH_SIZE,
            )
            job = import_rows(job, reading.batches(), reading=reading, progress=progress)
    except not_recognized as error:
        return _finish(job, status=ImportJob.Status.REJECTED, message=str(error))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        return _finish(
            job,
            status=ImportJob.Status.FAILED,
            message=_("The file could not be read: {error}").format(error=error),
        )
    except DatabaseError as error:
        # Nothing was written (the upsert's transaction rolled back); the job says why instead of staying
        # "running", and can be run again once the cause is fixed.
        logger.exception("Traffic import %s refused by the database", job.pk)
        return _finish(
            job,
            status=ImportJob.Status.FAILED,
            message=_("The database refused the file's rows: {error}").format(error=str(error).strip()[:500]),
        )
    return job


def _claim(job_id: int) -> ImportJob:
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().select_related("source").get(pk=job_id)
        if job.is_finished:
            return job
        # A job left "running" by a process that died is simply run again: its writes never committed.
        job.status = ImportJob.Status.RUNNING
        job.started_at = timezone.now()
        job.save(update_fields=["status", "started_at"])
    return job


def _finish(job: ImportJob, *, status: str, message: str, **fields) -> ImportJob:
    with transaction.atomic():
        job.status = status
        job.message = message
        job.finished_at = timezone.now()
        for name, value in fields.items():
            setattr(job, name, value)
        job.save()
        audit_record(
            action=f"analytics.import.{status}",
            organization=job.organization_id,
            obj=job,
            changes={"message": message, **_counts(job)},
        )
        publish(job.organization_id, EVENT_FINISHED, _event_payload(job))
    return mark_replay(job, False)


def _counts(job: ImportJob) -> dict:
    return {
        "rows_read": job.rows_read,
        "rows_inserted": job.rows_inserted,
        "rows_updated": job.rows_updated,
        "rows_unchanged": job.rows_unchanged,
        "rows_rejected": job.rows_rejected,
        "error_count": job.error_count,
    }


def _event_payload(job: ImportJob) -> dict:
    return {"job": job.pk, "source": job.source_id, "status": job.status, "file": job.file_name, **_counts(job)}


# --- the rows -----------------------------------------------------------------------------------------------


def _metric_tuple(row) -> tuple:
    events = row.events
    return (
        row.line,
        row.report_date,
        row.campaign_id or "",
        row.campaign_name or "",
        row.ad_group or "",
        row.creative or "",
        row.placement or "",
        row.country or "",
        row.os or "",
        row.sub_id or "",
        row.impressions,
        row.clicks,
        row.installs,
        row.conversions,
        Jsonb(events) if events else None,
        row.spend,
        row.revenue,
        row.currency or "",
    )


# COPY's text format: a backslash, a tab, a line feed and a carriage return in a value are escaped; NULL is \N.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COPY_NULL = "\\N"
_COPY_TEXTS = ("campaign_id", "campaign_name", "ad_group", "creative", "placement", "country", "os", "sub_id")
_COPY_NUMBERS = ("impressions", "clicks", "installs", "conversions")


def _text_column(values: list) -> list[str]:
    """Text cells as COPY reads them ("" for a missing one, as the staging table's NOT NULL text wants); each
    distinct value is looked at once for a character to escape (a report repeats its names)."""
    if None in values:
        values = ["" if value is None else value for value in values]
    if any(("\\" in v or "\t" in v or "\n" in v or "\r" in v) for v in set(values)):
        return [value.translate(_COPY_ESCAPES) for value in values]
    return values


def _number_column(values: list) -> list[str]:
    return (
        [_COPY_NULL if value is None else str(value) for value in values] if None in values else list(map(str, values))
    )


def _copy_text(batch: MetricColumns) -> str:
    """A columnar batch as the text COPY reads, built a column at a time (str.join and map run in C): the
    same values that :func:`_metric_tuple` gives COPY row by row, without a Python step per row."""
    columns = batch.columns
    if any(columns["events"]):
        raise ValueError("a columnar batch carries no per-event counts")
    cells = [
        list(map(str, columns["line"])),
        list(map(date.isoformat, columns["report_date"])),
        *(_text_column(columns[name]) for name in _COPY_TEXTS),
        *(_number_column(columns[name]) for name in _COPY_NUMBERS),
        [_COPY_NULL] * len(batch),
        _number_column(columns["spend"]),
        _number_column(columns["revenue"]),
        _text_column(columns["currency"]),
    ]
    return "\n".join(map("\t".join, zip(*cells))) + "\n"


def _frame_copy_text(frame) -> str:
    """A chunk read by the fast path (a polars frame, see apps.analytics.formats.frames) as the text COPY
    reads: the same values, in the same columns, as :func:`_copy_text` writes for its rows."""
    import polars as pl

    names = (*_COPY_TEXTS, "currency")
    # A report's names seldom hold a character to escape: the columns that do are found in one pass.
    escaping = frame.select(pl.col(name).str.contains(r"[\\\t\n\r]").any() for name in names).row(0, named=True)

    def text(name: str):
        column = pl.col(name)
        if escaping[name]:
            for char, escaped in (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r")):
                column = column.str.replace_all(char, escaped, literal=True)
        return column

    cells = frame.select(
        pl.col("line").cast(pl.String),
        pl.col("report_date").dt.strftime("%Y-%m-%d"),
        *(text(name) for name in _COPY_TEXTS),
        *(pl.col(name).cast(pl.String) for name in _COPY_NUMBERS),
        pl.lit(None, dtype=pl.String).alias("events"),
        pl.col("spend"),
        pl.col("revenue"),
        text("currency"),
    )
    return cells.write_csv(
        separator="\t", include_header=False, quote_style="never", null_value=_COPY_NULL, line_terminator="\n"
    )


def _conversion_tuple(row) -> tuple:
    return (
        row.line,
        row.click_id or "",
        row.transaction_id or "",
        row.event or "",
        status_of(row.status or ""),  # "sale", "Approved" and "approve" are one status, as in a postback
        row.payout,
        row.currency or "",
        row.click_time,
        row.conversion_time,
        row.campaign_id or "",
        row.campaign_name or "",
        row.country or "",
        row.os or "",
        row.sub_id or "",
    )


def _cell(error) -> dict:
    """A reader's bad cell as stored and reported (the reader's ``CellError``, or a mapping with its fields);
    its texts are made plain strings here, in the language active now (the reader's may be lazy)."""
    get = error.get if isinstance(error, dict) else lambda name, default="": getattr(error, name, default)
    found = {"line": get("line", None)}
    for name in ("column", "raw", "expected"):
        found[name] = str(get(name, "") or "")
    found["message"] = str(get("message", "") or "") if isinstance(error, dict) else str(error)
    return found


def _warning(warning) -> dict:
    if isinstance(warning, dict):
        return dict(warning)
    return {
        "line": getattr(warning, "line", None),
        "column": str(getattr(warning, "column", "")),
        "message": str(getattr(warning, "message", "")),
    }


class KeyHashes:
    """Whether any two staged rows of facts share a natural key, known from a hash of each row's key (the
    campaign's match key, the date and the cuts, as the staging table holds them) taken batch by batch as the
    file is staged: eight bytes a row. The hash is polars' for every kind of batch, so equal keys always hash
    equal; two different keys that hash equal (a collision) only make the upsert group the file as it would
    anyway. So the answer "unique" is exact, and a wrong "not unique" costs time, never a row. Past ``LIMIT``
    rows the hashes are let go and the file is grouped: the import's memory does not grow with the file."""

    LIMIT = 1_500_000

    def __init__(self) -> None:
        self._parts: list = []
        self._rows = 0

    def add(self, batch) -> None:
        import polars as pl

        self._rows += len(batch)
        if self._rows > self.LIMIT:
            self._parts.clear()
            return
        if isinstance(batch, FrameBatch):
            frame = batch.frame
        else:
            columns = batch.columns if isinstance(batch, MetricColumns) else None
            names = ("campaign_id", "campaign_name", "report_date", *_KEY[1:])
            if columns is None:
                columns = {name: [getattr(row, name) for row in batch] for name in names}
            frame = pl.DataFrame(
                {name: columns[name] for name in names},
                schema={name: pl.Date if name == "report_date" else pl.String for name in names},
            )
        # One dtype per column whatever the batch holds, so that one key hashes alike in every batch.
        text = {
            name: pl.col(name).cast(pl.String).fill_null("") for name in ("campaign_id", "campaign_name", *_KEY[1:])
        }
        match = (
            pl.when(text["campaign_id"] != "")
            .then(pl.concat_str(pl.lit("i:"), text["campaign_id"]))
            .otherwise(pl.concat_str(pl.lit("n:"), text["campaign_name"]))
        )
        key = pl.struct(match.alias("match"), pl.col("report_date").cast(pl.Date), *(text[n] for n in _KEY[1:]))
        self._parts.append(frame.select(key.hash(seed=0).alias("hash")).get_column("hash"))

    def unique(self) -> bool:
        if not self._parts or self._rows > self.LIMIT:
            return False
        import polars as pl

        hashes = pl.concat(self._parts)
        return hashes.n_unique() == hashes.len()


def import_rows(
    job: ImportJob,
    batches: Iterable[Sequence],
    *,
    reading=None,
    progress: Callable[[int], None] | None = None,
) -> ImportJob:
    """Write the rows of ``batches`` (lists of the reader's ``MetricRow`` or ``ConversionRow``) as the result
    of ``job``: the seam between reading a file and the database.

    ``reading`` is the reader's ``Reading`` (its ``errors``, ``warnings``, ``rows_read`` and ``timezone`` are
    complete once the batches are exhausted); without it the rows are taken as valid. Returns the finished
    job (done or rejected); a replay when another run of the same job finished it first."""
    job = ImportJob.objects.select_related("source").get(pk=job.pk)
    if job.is_finished:
        return mark_replay(job, True)
    # A temporary table lives in its session only: two runs of one job on two connections never meet here.
    table = f"analytics_stage_{job.pk}"
    kind = None
    rows_staged = 0
    keys = KeyHashes()
    with connection.cursor() as cursor:
        try:
            # One COPY for the whole file: the server stores a batch while the next one is being read. Inside
            # a caller's transaction a COPY cut short (a file unreadable after some batches, a stopped worker)
            # rolls back to a savepoint of its own, not the caller's work; outside one, it aborts only itself.
            with contextlib.ExitStack() as copying:
                if connection.in_atomic_block:
                    copying.enter_context(transaction.atomic())
                for batch in batches:
                    if not batch:
                        continue
                    if kind is None:
                        columnar = isinstance(batch, MetricColumns | FrameBatch)
                        kind = "conversion" if not columnar and hasattr(batch[0], "transaction_id") else "metric"
                        stage = _CONVERSION_STAGE if kind == "conversion" else _METRIC_STAGE
                        cursor.execute(stage.format(table=table))
                        columns = _CONVERSION_COLUMNS if kind == "conversion" else _METRIC_COLUMNS
                        as_tuple = _conversion_tuple if kind == "conversion" else _metric_tuple
                        copy = copying.enter_context(cursor.copy(f"COPY {table} ({columns}) FROM STDIN"))
                    if kind == "metric":
                        keys.add(batch)
                    if isinstance(batch, FrameBatch):
                        copy.write(_frame_copy_text(batch.frame))
                    elif isinstance(batch, MetricColumns):
                        copy.write(_copy_text(batch))
                    else:
                        for row in batch:
                            copy.write_row(as_tuple(row))
                    rows_staged += len(batch)
                    _progress(job, rows_staged, progress)
            unique = kind == "metric" and keys.unique()
            return _apply(job, cursor, table, kind, rows_staged, reading, keys_unique=unique)
        finally:
            if kind is not None:
                cursor.execute(f"DROP TABLE IF EXISTS {table}")


def _progress(job: ImportJob, rows: int, progress: Callable[[int], None] | None) -> None:
    if progress is not None:
        progress(rows)
    # Outside a transaction the event goes out at once: the page shows the rows as they are read.
    publish(job.organization_id, EVENT_PROGRESS, {"job": job.pk, "status": job.status, "rows_read": rows})


def _apply(
    job: ImportJob, cursor, table: str, kind: str | None, rows_staged: int, reading, *, keys_unique: bool
) -> ImportJob:
    errors = [_cell(error) for error in getattr(reading, "errors", None) or []]
    warnings = [_warning(warning) for warning in getattr(reading, "warnings", None) or []]
    error_count = max(len(errors), int(getattr(reading, "error_count", 0) or 0))
    rows_read = int(getattr(reading, "rows_read", rows_staged) if reading is not None else rows_staged)
    rows_read = max(rows_read, rows_staged)
    time_zone = (getattr(reading, "timezone", "") if reading is not None else "") or job.source.time_zone or "UTC"
    bad_rows = rows_read - rows_staged  # the reader leaves out every row that has a bad cell
    common = {
        "rows_read": rows_read,
        "warnings": warnings[:ERRORS_KEPT_ON_JOB],
        "time_zone": time_zone,
        "format": job.format or getattr(getattr(reading, "format", None), "code", "") or "",
    }
    if error_count and not job.keep_valid:
        return _reject(job, errors, error_count, bad_rows=max(bad_rows, 1), common=common)

    try:
        return _write(
            job,
            cursor,
            table=table,
            kind=kind,
            rows_staged=rows_staged,
            keys_unique=keys_unique,
            time_zone=time_zone,
            errors=errors,
            error_count=error_count,
            bad_rows=bad_rows,
            common=common,
        )
    except _Refused as refused:  # the transaction is rolled back: nothing of the file was written
        return _reject(job, refused.errors, refused.error_count, bad_rows=refused.bad_rows, common=common)


class _Refused(Exception):
    def __init__(self, errors: list[dict], error_count: int, bad_rows: int):
        super().__init__(error_count)
        self.errors, self.error_count, self.bad_rows = errors, error_count, bad_rows


def _write(
    job: ImportJob,
    cursor,
    *,
    table: str,
    kind: str | None,
    rows_staged: int,
    keys_unique: bool,
    time_zone: str,
    errors: list[dict],
    error_count: int,
    bad_rows: int,
    common: dict,
) -> ImportJob:
    """Publish the staged rows of ``table`` as the result of ``job`` in one transaction: the campaigns first
    seen, the facts (or conversions) upserted, the job's counts, the changed days' rollups, the audit record and
    the live event. Raises :class:`_Refused` (and writes nothing) when rows of one date and cuts mix currencies
    and the job does not keep the valid rows."""
    with transaction.atomic():
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, job.source_id])
        locked = ImportJob.objects.select_for_update().select_related("source").get(pk=job.pk)
        if locked.is_finished:  # another run of this job wrote it while this one was reading
            return mark_replay(locked, True)
        totals = (0, 0, 0, 0, [], 0, None, None)
        if kind is not None:
            # The whole file's upsert hashes up to millions of rows: let it do so in memory, not on disk.
            cursor.execute("SET LOCAL work_mem = '256MB'")
            parameters = {
                "organization": job.organization_id,
                "source": job.source_id,
                "job": job.pk,
                "time_zone": time_zone,
                "rows_staged": rows_staged,
            }
            name_condition = "AND s.campaign_name <> ''" if kind == "conversion" else ""
            cursor.execute(_CAMPAIGNS_CREATE.format(table=table, name_condition=name_condition), parameters)
            if kind == "conversion":
                upsert = _CONVERSIONS_UPSERT.format(table=table)
            else:
                rows = (_FILE_ROWS_SINGLE if keys_unique else _FILE_ROWS_GROUPED).format(table=table)
                lookup = rows_staged < LOOKUP_ROWS
                if not lookup:
                    cursor.execute(f"SELECT min(report_date), max(report_date) FROM {table}")
                    parameters["first_day"], parameters["last_day"] = cursor.fetchone()
                upsert = _FACTS_UPSERT.format(
                    table=table, source_rows=rows, match=_MATCH_LOOKUP if lookup else _MATCH_MERGE
                )
                if lookup:
                    # Through the index whatever the statistics say: a scan of the table per staged row would
                    # also re-read the rows this very statement inserts.
                    cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(upsert, parameters)
            totals = cursor.fetchone()
            cursor.execute("RESET enable_seqscan")
        keys, inserted, updated, mixed_rows, mixed, unmatched, changed_from, changed_to = totals
        if isinstance(mixed, str):
            mixed = json.loads(mixed)
        if unmatched:  # cannot happen (every staged campaign was created above); refuse rather than drop rows
            raise RuntimeError(f"{unmatched} staged rows found no campaign")
        all_errors = errors + [
            {
                "line": line,
                "column": "currency",
                "raw": f"{low} / {high}",
                "expected": _("one currency for the rows of one date and cuts"),
                "message": _(
                    "Line {line}: rows with the same date and cuts are in {low} and {high}; they cannot be added up."
                ).format(line=line, low=low, high=high),
            }
            for line, low, high in mixed
        ]
        all_count = error_count + len(mixed)
        if mixed and not job.keep_valid:
            raise _Refused(all_errors, all_count, bad_rows + mixed_rows)
        locked.rows_inserted = inserted
        locked.rows_updated = updated
        locked.rows_unchanged = keys - inserted - updated
        locked.rows_rejected = bad_rows + mixed_rows
        locked.error_count = all_count
        locked.errors = all_errors[:ERRORS_KEPT_ON_JOB]
        for name, value in common.items():
            setattr(locked, name, value)
        locked.status = ImportJob.Status.DONE
        locked.finished_at = timezone.now()
        if all_errors:
            _attach_error_report(locked, all_errors)
            locked.message = ngettext(
                "{count} bad cell: its row was left out, the valid rows were imported.",
                "{count} bad cells: their rows were left out, the valid rows were imported.",
                all_count,
            ).format(count=all_count)
        locked.save()
        if changed_from is not None:
            # The days whose facts this run inserted or changed are summed again for the reports in the same
            # transaction: the dashboard never shows a day that disagrees with its facts, even for a moment or
            # after a worker dies between the two.
            rollup_refresh(
                organization_id=job.organization_id, source_id=job.source_id, date_from=changed_from, date_to=changed_to
            )
        audit_record(
            action="analytics.import.done", organization=job.organization_id, obj=locked, changes=_counts(locked)
        )
        publish(job.organization_id, EVENT_FINISHED, _event_payload(locked))
    return mark_replay(locked, False)


def _reject(job: ImportJob, errors: list[dict], error_count: int, *, bad_rows: int, common: dict) -> ImportJob:
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.is_finished:
            return mark_replay(locked, True)
        for name, value in common.items():
            setattr(locked, name, value)
        locked.rows_rejected = min(bad_rows, locked.rows_read)
        locked.error_count = error_count
        locked.errors = errors[:ERRORS_KEPT_ON_JOB]
        _attach_error_report(locked, errors)
        return _finish(
            locked,
            status=ImportJob.Status.REJECTED,
            message=ngettext(
                "The file has {count} bad cell; nothing was imported. Correct it and import the file again, or "
                "import the valid rows only.",
                "The file has {count} bad cells; nothing was imported. Correct them and import the file again, or "
                "import the valid rows only.",
                error_count,
            ).format(count=error_count),
        )


def _attach_error_report(job: ImportJob, errors: list[dict]) -> None:
    """Every bad cell as CSV (line, column, value, expected form, message), kept with the job for download."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_("line"), _("column"), _("value"), _("expected"), _("message")])
    for error in errors:
        writer.writerow(
            [
                error.get("line", ""),
                safe_text(str(error.get("column", ""))),
                safe_text(str(error.get("raw", ""))),
                safe_text(str(error.get("expected", ""))),
                safe_text(str(error.get("message", ""))),
            ]
        )
    name = f"import-{job.pk}-errors.csv"
    job.error_report.save(name, ContentFile(buffer.getvalue().encode("utf-8-sig")), save=False)
