"""Queueing Celery tasks after the current transaction commits.

A task queued inside a transaction could run before the commit (and miss the rows it is about) or after a
rollback (and act on rows that never existed). Queued on commit, it runs only for committed work; outside a
transaction it is queued at once. Tasks take ids, not objects, and re-fetch what they need.
"""

from __future__ import annotations

from celery import current_app
from django.db import transaction


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """Queue ``task.delay(*args, **kwargs)`` once the current transaction commits; nothing on rollback.

    A broker failure at that point is raised, not swallowed: the caller's work is committed, but silently
    losing its follow-up would be worse than an error that says so.
    """

    def enqueue_task() -> None:
        task.delay(*args, **kwargs)

    transaction.on_commit(enqueue_task)


def enqueue_swept_on_commit(task_name: str, *args, countdown: float | None = None) -> None:
    """Queue the task named ``task_name`` once the current transaction commits, for work whose row a sweeper
    also hands over (webhook deliveries, domain events, notifications).

    There the row is the truth and the message only a shortcut: when the broker is away the failure is logged,
    not raised, and the sweeper queues the row once the broker is back. So the caller's committed work (a
    webhook already stored and claimed, a payment already applied) never answers as failed, which would make
    a provider send it again or a person retry what was done. The task is named, not imported: tasks sit above
    the mechanisms that queue them.
    """

    def enqueue_swept_task() -> None:
        current_app.send_task(task_name, args=list(args), countdown=countdown)

    transaction.on_commit(enqueue_swept_task, robust=True)
