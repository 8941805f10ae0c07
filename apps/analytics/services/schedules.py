"""Scheduled imports: schedules saved (with their credentials encrypted), the due ones claimed by Celery beat
so that no schedule runs twice at once, and each run fetched (``apps.analytics.feeds``) and imported through
the same pipeline as an upload (:func:`import_job_create`, :func:`import_job_run`).

Claiming: ``SELECT … FOR UPDATE SKIP LOCKED`` over the due schedules, and in the same short transaction each
claimed schedule's next run is moved one interval on. A second beat or worker claiming at the same moment
skips the rows the first holds, and once the first commits they are no longer due: each due run is taken
once. A run that dies is simply the next interval's run.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import time
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.mechanisms.audit import audit_record
from apps.core.mechanisms.idempotency import is_replay

from ..feeds import FeedError, fetcher
from ..models import ImportJob, ImportSchedule, TrafficSource
from .imports import import_job_create, import_job_run

logger = logging.getLogger(__name__)

CLAIM_BATCH = 50
MAX_ERROR_LENGTH = 2000

# What each kind needs in its settings and credentials.
REQUIRED = {
    ImportSchedule.Kind.FOLDER: (("path",), ()),
    ImportSchedule.Kind.S3: (("bucket",), ("access_key_id", "secret_access_key")),
    ImportSchedule.Kind.MOLOCO_API: (("ad_account_id",), ("api_key",)),
    ImportSchedule.Kind.APPSFLYER_API: (("app_id",), ("api_token",)),
}


def import_schedule_save(
    *,
    schedule: ImportSchedule | None = None,
    source: TrafficSource | None = None,
    name: str,
    kind: str,
    settings: dict,
    credentials: dict | None = None,
    format: str = "",
    repull_days: int = 7,
    interval: dt.timedelta = dt.timedelta(hours=1),
    is_active: bool = True,
    user=None,
) -> ImportSchedule:
    """Create a schedule for ``source``, or change ``schedule``. ``credentials``: the values given replace the
    stored ones, an empty value keeps the stored one. The first run is due at once."""
    creating = schedule is None
    if creating and source is None:
        raise ValidationError({"source": _("Choose the traffic source to import into.")})
    stored = {} if creating else dict(schedule.credentials or {})
    merged = {**stored, **{key: value for key, value in (credentials or {}).items() if value}}
    settings = {key: value for key, value in (settings or {}).items() if value not in (None, "")}
    needs_settings, needs_credentials = REQUIRED.get(kind, ((), ()))
    errors = {}
    if kind not in ImportSchedule.Kind.values:
        errors["kind"] = _("Unknown kind “{kind}”.").format(kind=kind)
    missing = [key for key in needs_settings if not settings.get(key)]
    if missing:
        errors["settings"] = _("The settings need {keys}.").format(keys=", ".join(missing))
    missing = [key for key in needs_credentials if not merged.get(key)]
    if missing:
        errors["credentials"] = _("The credentials need {keys}.").format(keys=", ".join(missing))
    if repull_days < 1 or repull_days > 90:
        errors["repull_days"] = _("Re-pull from 1 to 90 days.")
    if interval < dt.timedelta(minutes=1):
        errors["interval"] = _("The interval is at least one minute.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if creating:
            schedule = ImportSchedule(organization_id=source.organization_id, source=source, next_run_at=timezone.now())
        else:
            schedule = ImportSchedule.objects.select_for_update().get(pk=schedule.pk)
        before = {"name": schedule.name, "kind": schedule.kind, "settings": schedule.settings}
        schedule.name, schedule.kind, schedule.settings, schedule.credentials = name, kind, settings, merged
        schedule.format, schedule.repull_days, schedule.interval = format or "", repull_days, interval
        if is_active and not schedule.is_active:
            schedule.next_run_at = timezone.now()
        schedule.is_active = is_active
        schedule.full_clean(exclude=["credentials"])
        schedule.save()
        audit_record(
            action="analytics.schedule.create" if creating else "analytics.schedule.update",
            actor=user,
            organization=schedule.organization_id,
            obj=schedule,
            # Credentials are named, never their values.
            changes={
                "before": None if creating else before,
                "after": {"name": name, "kind": kind, "settings": settings, "credentials": sorted(merged)},
            },
        )
    return schedule


def import_schedules_claim_due(*, now: dt.datetime | None = None, limit: int = CLAIM_BATCH) -> list[int]:
    """Take the active schedules whose run is due (skipping any another process holds) and move each one's
    next run one interval on; returns their ids, to be run."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            ImportSchedule.objects.select_for_update(skip_locked=True)
            .filter(Q(next_run_at__isnull=True) | Q(next_run_at__lte=now), is_active=True)
            .order_by("next_run_at", "pk")[:limit]
        )
        for schedule in due:
            schedule.next_run_at = now + schedule.interval
            schedule.save(update_fields=["next_run_at"])
    return [schedule.pk for schedule in due]


def import_schedule_claim(*, schedule: ImportSchedule, now: dt.datetime | None = None) -> bool:
    """Take ``schedule`` for a run now ("run now"), whether due or not; False when another process holds it."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = ImportSchedule.objects.select_for_update(skip_locked=True).filter(pk=schedule.pk).first()
        if locked is None:
            return False
        locked.next_run_at = now + locked.interval
        locked.save(update_fields=["next_run_at"])
    return True


def import_schedule_run(
    *,
    schedule_id: int,
    today: dt.date | None = None,
    sleep: Callable[[float], None] = time.sleep,
    run_job: Callable[[ImportJob], ImportJob] | None = None,
) -> dict:
    """Fetch what the schedule names and import each file through the pipeline; returns and records the
    run's summary (files fetched, imported, already imported, rejected or failed, and the jobs). A fetch that
    fails is recorded as the schedule's last error; the files imported before it stay imported."""
    schedule = ImportSchedule.objects.select_related("source").get(pk=schedule_id)
    run_job = run_job or (lambda job: import_job_run(job=job))
    started = timezone.now()
    summary = {"fetched": 0, "imported": 0, "already_imported": 0, "rejected": 0, "failed": 0, "jobs": []}
    error = ""
    try:
        for fetched in fetcher(schedule.kind)(schedule, today=today or timezone.localdate(), sleep=sleep):
            summary["fetched"] += 1
            file = fetched.path if fetched.path is not None else io.BytesIO(fetched.content or b"")
            job = import_job_create(
                organization=schedule.organization_id,
                source=schedule.source,
                file=file,
                file_name=fetched.name,
                format=schedule.format,
            )
            if is_replay(job):
                summary["already_imported"] += 1
                continue
            job = run_job(job)
            summary["jobs"].append(job.pk)
            if job.status == ImportJob.Status.DONE:
                summary["imported"] += 1
            elif job.status == ImportJob.Status.REJECTED:
                summary["rejected"] += 1
            else:
                summary["failed"] += 1
    except FeedError as failure:
        error = str(failure)
    except (OSError, ValueError) as failure:
        logger.exception("Import schedule %s failed", schedule.pk)
        error = f"{type(failure).__name__}: {failure}"
    summary["seconds"] = round((timezone.now() - started).total_seconds(), 3)
    ImportSchedule.objects.filter(pk=schedule.pk).update(
        last_run_at=started, last_error=error[:MAX_ERROR_LENGTH], last_summary=summary, state=schedule.state
    )
    return {**summary, "error": error}
