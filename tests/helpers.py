"""Helpers the tests share: races on real database connections, and the proof that a refusal wrote nothing."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from django.apps import apps as django_apps
from django.db import connections
from django.utils import translation

_UNFINISHED = object()


def run_in_threads(work: Callable[[int], object], count: int, *, timeout: float = 120, raises: bool = True) -> list:
    """Run ``work(index)`` for each index below ``count``, each in its own thread on its own database
    connection, all released at once (a barrier) so that they really race. Returns what each returned, in
    index order.

    The test fails when a thread has not finished within ``timeout`` seconds: a deadlock or a hang must not
    pass for success. An exception a thread raised is raised again here (several as an ExceptionGroup); with
    ``raises=False`` it takes the thread's place in the results instead, for races where some must be refused.
    The threads speak the caller's language, and each closes its database connection when it is done."""
    language = translation.get_language()
    barrier = threading.Barrier(count, timeout=timeout)
    results: list = [_UNFINISHED] * count

    def runner(index: int) -> None:
        try:
            with translation.override(language):
                barrier.wait()
                results[index] = work(index)
        except BaseException as error:  # handed to the test thread
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(i,), name=f"race-{i}", daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    stuck = [thread.name for thread in threads if thread.is_alive()]
    if stuck:
        pytest.fail(f"{len(stuck)} of {count} threads did not finish within {timeout} s: {', '.join(stuck)}")
    errors = [result for result in results if isinstance(result, BaseException)]
    if errors and raises:
        if len(errors) == 1:
            raise errors[0]
        raise BaseExceptionGroup(f"{len(errors)} of {count} threads failed", errors)
    return results


def _snapshot(app_labels: tuple[str, ...]) -> dict[str, object]:
    """Row counts of every table of the apps and of the audit trail, and every stored balance."""
    models = [model for label in app_labels for model in django_apps.get_app_config(label).get_models()]
    models.append(django_apps.get_model("core", "AuditLog"))
    state: dict[str, object] = {model._meta.label: model._base_manager.count() for model in models}
    if "ledger" in app_labels:
        balance = django_apps.get_model("ledger", "AccountBalance")
        state["balances"] = sorted(balance._base_manager.values_list("account_id", "balance", "entry_count"))
    return state


@contextmanager
def assert_nothing_written(*app_labels: str) -> Iterator[None]:
    """Fails when the block changed a row count of the apps' tables (the ledger's by default) or of the audit
    trail, or a stored balance. Put it around a ``pytest.raises`` of a refusal::

        with assert_nothing_written(), pytest.raises(ValidationError):
            transaction_post(...)
    """
    labels = app_labels or ("ledger",)
    before = _snapshot(labels)
    yield
    after = _snapshot(labels)
    changed = {name: (before[name], after[name]) for name in before if before[name] != after[name]}
    assert not changed, f"a refusal wrote something (before, after): {changed}"


def run_queued_tasks(*names: str) -> list:
    """Run the tasks named ``names`` that wait in this test worker's Celery queue, as a worker would: each
    message is read from the broker itself (kombu's Redis list), taken off the queue and applied. Messages of
    other tasks stay queued. Returns what each task returned, in queue order."""
    import base64
    import json

    import redis
    from django.conf import settings

    from config.celery import app

    client = redis.Redis.from_url(settings.REDIS_URL)  # the broker (kombu spells a socket's URL its own way)
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    results = []
    # kombu pushes new messages at the head of the list and a worker takes them from its tail.
    for raw in reversed(client.lrange(queue, 0, -1)):
        message = json.loads(raw)
        name = message["headers"]["task"]
        if name not in names:
            continue
        client.lrem(queue, 1, raw)
        args, kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        results.append(app.tasks[name].apply(args=args, kwargs=kwargs).get())
    return results
