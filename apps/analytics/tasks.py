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
