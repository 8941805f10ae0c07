"""Background work of core: the refresh-token purge, queueing on commit, and its schedule in the database.

The worker test runs a real Celery worker (in a thread) on the real Redis broker, consuming this xdist
worker's own queue, against the test database: the task is queued with ``enqueue_on_commit`` inside a
committed transaction and its effect is checked in the database.
"""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.apps import apps as django_apps
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask, PeriodicTasks

from apps.core.mechanisms.jobs import enqueue_on_commit
from apps.core.models import RefreshToken
from apps.core.operations import beat
from apps.core.operations.maintenance import refresh_token_purge_expired
from apps.core.operations.schedules import PURGE, PURGE_TASK_NAME
from apps.core.tasks import REFRESH_TOKENS_PURGE_TASK, refresh_tokens_purge_task
from config.celery import app as celery_app
from tests.core.factories import UserFactory


def refresh_token(user, *, expired_ago: timedelta | None = None, valid_for: timedelta | None = None, family=None):
    expires_at = timezone.now() - expired_ago if expired_ago is not None else timezone.now() + valid_for
    return RefreshToken.objects.create(
        user=user, family=family or uuid.uuid4(), token_hash=uuid.uuid4().hex, expires_at=expires_at
    )


def queued_messages() -> int:
    """Messages waiting in this test worker's Celery queue, read from the broker itself."""
    return redis.Redis.from_url(settings.REDIS_URL).llen(settings.CELERY_TASK_DEFAULT_QUEUE)


def purge_queue() -> None:
    with celery_app.connection_for_write() as connection:
        connection.default_channel.queue_purge(settings.CELERY_TASK_DEFAULT_QUEUE)


@pytest.fixture
def empty_queue():
    purge_queue()
    yield
    purge_queue()


# --- the purge itself -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_purge_deletes_tokens_expired_more_than_a_day_ago_and_nothing_else():
    user = UserFactory()
    long_gone = refresh_token(user, expired_ago=timedelta(days=3))
    also_gone = refresh_token(user, expired_ago=timedelta(days=1, minutes=5))
    just_expired = refresh_token(user, expired_ago=timedelta(hours=20))
    live = refresh_token(user, valid_for=timedelta(days=10))

    assert refresh_token_purge_expired() == 2
    assert set(RefreshToken.objects.values_list("pk", flat=True)) == {just_expired.pk, live.pk}
    assert not RefreshToken.objects.filter(pk__in=[long_gone.pk, also_gone.pk]).exists()

    assert refresh_token_purge_expired() == 0  # idempotent: a second run finds nothing more


@pytest.mark.django_db
def test_the_purge_keeps_the_used_tokens_of_a_family_that_is_still_alive():
    # Reuse detection: presenting an old, used token of a live family must still revoke that family.
    user = UserFactory()
    family = uuid.uuid4()
    old = refresh_token(user, expired_ago=timedelta(days=5), family=family)
    current = refresh_token(user, valid_for=timedelta(days=9), family=family)

    assert refresh_token_purge_expired() == 0
    assert set(RefreshToken.objects.values_list("pk", flat=True)) == {old.pk, current.pk}

    # Ten days later the whole family is past: all of it goes.
    assert refresh_token_purge_expired(now=timezone.now() + timedelta(days=11)) == 2
    assert not RefreshToken.objects.exists()


@pytest.mark.django_db
def test_the_purge_works_through_a_backlog_in_batches():
    user = UserFactory()
    for _ in range(7):
        refresh_token(user, expired_ago=timedelta(days=2))

    assert refresh_token_purge_expired(batch_size=3) == 7
    assert not RefreshToken.objects.exists()


@pytest.mark.django_db
def test_the_task_runs_the_purge():
    refresh_token(UserFactory(), expired_ago=timedelta(days=2))

    assert refresh_tokens_purge_task.name == REFRESH_TOKENS_PURGE_TASK
    assert refresh_tokens_purge_task.apply().get() == 1
    assert not RefreshToken.objects.exists()


# --- queueing on commit ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_enqueue_on_commit_queues_only_committed_work(empty_queue):
    class Abort(Exception):
        pass

    try:
        with transaction.atomic():
            enqueue_on_commit(refresh_tokens_purge_task)
            raise Abort
    except Abort:
        pass
    assert queued_messages() == 0

    with transaction.atomic():
        enqueue_on_commit(refresh_tokens_purge_task)
        assert queued_messages() == 0  # not before the commit
    assert queued_messages() == 1


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_purges_the_tokens_after_the_commit(empty_queue):
    user = UserFactory()
    live = refresh_token(user, valid_for=timedelta(days=3))

    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        with transaction.atomic():
            expired = refresh_token(user, expired_ago=timedelta(days=2))
            enqueue_on_commit(refresh_tokens_purge_task)

        deadline = time.monotonic() + 30
        while RefreshToken.objects.filter(pk=expired.pk).exists():
            assert time.monotonic() < deadline, "the worker did not purge the expired token in 30 s"
            time.sleep(0.1)

    assert list(RefreshToken.objects.values_list("pk", flat=True)) == [live.pk]
    assert queued_messages() == 0


# --- the schedule in the database -----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_migration_scheduled_the_purge_daily_at_0315_utc():
    task = PeriodicTask.objects.select_related("crontab").get(name=PURGE_TASK_NAME)

    assert task.task == REFRESH_TOKENS_PURGE_TASK
    assert task.enabled
    assert task.interval_id is None
    crontab = task.crontab
    assert (crontab.minute, crontab.hour, crontab.day_of_month, crontab.month_of_year, crontab.day_of_week) == (
        "15",
        "3",
        "*",
        "*",
        "*",
    )
    assert str(crontab.timezone) == "UTC"
    # Beat finds the task by this name in the Celery app.
    celery_app.loader.import_default_modules()
    assert REFRESH_TOKENS_PURGE_TASK in celery_app.tasks


@pytest.mark.django_db
def test_the_migration_is_idempotent_and_reversible():
    crontabs_before = CrontabSchedule.objects.count()
    crontab = PeriodicTask.objects.get(name=PURGE_TASK_NAME).crontab

    beat.install(django_apps, None, specs=(PURGE,))  # again, on top of the migrated state
    assert PeriodicTask.objects.filter(name=PURGE_TASK_NAME).count() == 1
    assert CrontabSchedule.objects.count() == crontabs_before

    PeriodicTask.objects.filter(name=PURGE_TASK_NAME).update(enabled=False, task="renamed.elsewhere")
    beat.install(django_apps, None, specs=(PURGE,))  # puts the definition back in place
    task = PeriodicTask.objects.get(name=PURGE_TASK_NAME)
    assert (task.enabled, task.task) == (True, REFRESH_TOKENS_PURGE_TASK)

    changed_before = PeriodicTasks.objects.get(ident=1).last_update
    beat.uninstall(django_apps, None, specs=(PURGE,))
    assert not PeriodicTask.objects.filter(name=PURGE_TASK_NAME).exists()
    # The schedule goes with it, unless another task still runs on it.
    assert (
        CrontabSchedule.objects.filter(pk=crontab.pk).exists() == PeriodicTask.objects.filter(crontab=crontab).exists()
    )
    assert PeriodicTasks.objects.get(ident=1).last_update > changed_before  # beat reloads its schedule
