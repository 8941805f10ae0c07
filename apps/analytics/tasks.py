"""Celery tasks of traffic analytics. Thin: re-fetch by id, call a service, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from .services.imports import import_job_run

TRAFFIC_IMPORT_TASK = "apps.analytics.tasks.traffic_import_task"


@shared_task(name=TRAFFIC_IMPORT_TASK)
def traffic_import_task(job_id: int) -> str:
    """Run an uploaded file's import (queued on commit by whoever created the job). A second run of a finished
    job changes nothing; a run interrupted by a dying worker is simply run again."""
    return import_job_run(job=job_id).status


IMPORT_SCHEDULES_DUE_TASK = "apps.analytics.tasks.import_schedules_run_due_task"
IMPORT_SCHEDULE_RUN_TASK = "apps.analytics.tasks.import_schedule_run_task"


@shared_task(name=IMPORT_SCHEDULE_RUN_TASK)
def import_schedule_run_task(schedule_id: int) -> dict:
    """One run of a claimed schedule: fetch and import its files."""
    from .services.schedules import import_schedule_run

    return import_schedule_run(schedule_id=schedule_id)


@shared_task(name=IMPORT_SCHEDULES_DUE_TASK)
def import_schedules_run_due_task() -> list[int]:
    """From Celery beat, every minute: claim the due schedules (each once, whatever else is claiming) and queue
    a run of each."""
    from apps.core.mechanisms.jobs import enqueue_on_commit

    from .services.schedules import import_schedules_claim_due

    claimed = import_schedules_claim_due()
    for schedule_id in claimed:
        enqueue_on_commit(import_schedule_run_task, schedule_id)
    return claimed
