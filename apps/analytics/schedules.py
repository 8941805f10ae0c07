"""Analytics' periodic task, installed by its migration 0004 (see :mod:`apps.core.operations.beat`), so that it
shows (and can be paused or run now) in the admin under "Periodic tasks"."""

from __future__ import annotations

from apps.core.operations.beat import PeriodicTaskSpec

IMPORT_SCHEDULES = PeriodicTaskSpec(
    name="Run the due scheduled traffic imports",
    task="apps.analytics.tasks.import_schedules_run_due_task",
    minute="*",
    description="Claims each active import schedule whose next run is due (a schedule is never run twice at "
    "once, whatever the number of beats and workers) and queues its run: new files of a folder or an S3 prefix, "
    "or the last N days of a Moloco or AppsFlyer report, imported through the same pipeline as an upload.",
)

TASKS = (IMPORT_SCHEDULES,)
