"""The daily rollup (``DailyRollup``): the facts of each day summed per source, campaign, country, OS,
currency and time zone, so reports and dashboards read thousands of rows where the facts hold millions.

:func:`rollup_refresh` recomputes whole days of one source from the facts (delete the days' rollup rows,
insert their sums), so it is idempotent and a rollup row always equals the sum of its facts, whatever
happened before: the import pipeline calls it after each import for the days that import changed, and it can
be called by hand for any range (after a repair of the facts, say).
"""

from __future__ import annotations

from datetime import date

from django.db import connection, transaction

from apps.core.realtime.events import publish

# Told to the organization's live stream after a refresh commits (an import's, with its facts, or a
# command's): dashboards fetch their figures then.
EVENT_REFRESHED = "analytics.rollup_refreshed"

# The import pipeline's lock (services.imports.LOCK_NAMESPACE): a refresh of a source waits for an import
# writing into it and the other way round, so the sums are never read from a half-written source; two
# refreshes of one source never interleave their delete and insert either.
LOCK_NAMESPACE = 0x7A11

_SUMMED = ("impressions", "clicks", "installs", "conversions", "spend", "revenue")
# In the order of the facts' natural key (organization, source, report date, campaign, …), whose index the refresh
# reads a date range of: the facts arrive sorted by the first four and only the rest is sorted.
_KEY = ("organization_id", "source_id", "report_date", "campaign_id", "time_zone", "country", "os", "currency")

_REFRESH = f"""
    DELETE FROM analytics_dailyrollup
    WHERE organization_id = %(organization)s AND source_id = %(source)s
      AND report_date BETWEEN %(date_from)s AND %(date_to)s;

    INSERT INTO analytics_dailyrollup ({", ".join(_KEY)}, {", ".join(_SUMMED)}, fact_count)
    SELECT {", ".join(_KEY)}, {", ".join(f"sum({m})" for m in _SUMMED)}, count(*)
    FROM analytics_metricfact
    WHERE organization_id = %(organization)s AND source_id = %(source)s
      AND report_date BETWEEN %(date_from)s AND %(date_to)s
    GROUP BY {", ".join(_KEY)};
"""


def rollup_refresh(
    *,
    organization_id: int,
    source_id: int,
    date_from: date,
    date_to: date,
) -> tuple[date, date]:
    """Recompute the rollup of source ``source_id`` from ``date_from`` to ``date_to`` inclusive from its facts
    (an import does so for the days it changed, in its own transaction). Returns the range refreshed."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, source_id])
        # A range of a busy source holds millions of facts: let their sums be hashed in memory.
        cursor.execute("SET LOCAL work_mem = '256MB'")
        parameters = {"organization": organization_id, "source": source_id, "date_from": date_from, "date_to": date_to}
        cursor.execute(_REFRESH, parameters)
        publish(
            organization_id,
            EVENT_REFRESHED,
            {"source": source_id, "date_from": str(date_from), "date_to": str(date_to)},
        )
    return date_from, date_to
