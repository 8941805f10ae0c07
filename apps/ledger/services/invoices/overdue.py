"""The overdue sweep: one set-based statement, run hourly by a task."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from apps.core.models import Organization

from ..common import pk as _pk

logger = logging.getLogger(__name__)

_MARK_OVERDUE = """
UPDATE ledger_invoice i SET status = 'overdue'
  FROM core_organization o
 WHERE o.id = i.organization_id
   AND i.status IN ('issued', 'partially_paid')
   AND i.due_date < (%s::timestamptz AT TIME ZONE o.time_zone)::date
"""


def invoices_mark_overdue(*, organization: Organization | int | None = None, now: datetime | None = None) -> int:
    """Mark as overdue every issued or partly paid invoice whose due date has passed where its organization
    is (its time zone). One set-based statement; running it again changes nothing. Returns how many changed."""
    sql, params = _MARK_OVERDUE, [now or timezone.now()]
    if organization is not None:
        sql += " AND i.organization_id = %s"
        params.append(_pk(organization))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        changed = cursor.rowcount
    if changed:
        logger.info("%s invoice(s) marked overdue", changed)
    return changed
