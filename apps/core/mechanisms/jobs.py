"""Queueing Celery tasks after the current transaction commits.

A task queued inside a transaction could run before the commit (and miss the rows it is about) or after a
rollback (and act on rows that never existed). Queued on commit, it runs only for committed work; outside a
transaction it is queued at once. Tasks take ids, not objects, and re-fetch what they need.
"""

from __future__ import annotations

from django.db import transaction


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """Queue ``task.delay(*args, **kwargs)`` once the current transaction commits; nothing on rollback.

    A broker failure at that point is raised, not swallowed: the caller's work is committed, but silently
    losing its follow-up would be worse than an error that says so.
    """

    def enqueue_task() -> None:
        task.delay(*args, **kwargs)

    transaction.on_commit(enqueue_task)
