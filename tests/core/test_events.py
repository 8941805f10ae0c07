"""Domain events: written with the change they report, delivered after the commit to each subscription once,
in order per aggregate, retried on failure, and never lost when the on-commit dispatch is.

Tasks are run here as a worker would run them (the task's function on its id); one test runs a real Celery
worker on the real broker for the whole path from the commit to the handler."""

from __future__ import annotations

import time
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from apps.core.mechanisms import events
from apps.core.mechanisms.idempotency import IdempotencyConflict, is_replay, product_key
from apps.core.models import AuditLog, DomainEvent, DomainEventDelivery
from apps.core.operations.schedules import EVENTS_SWEEP_TASK_NAME
from apps.core.tasks import domain_event_deliver_task, domain_events_sweep_task
from config.celery import app as celery_app

PAID = "billing.payment_succeeded"
REFUNDED = "billing.payment_refunded"


class Recorder:
    """A subscriber that remembers the events it was handed (and can be told to fail)."""

    def __init__(self, fail_times: int = 0):
        self.seen: list[int] = []
        self.fail_times = fail_times

    def __call__(self, event):
        if self.fail_times:
            self.fail_times -= 1
            raise RuntimeError("the order service is down")
        self.seen.append(event.pk)


@pytest.fixture
def subscriber():
    recorder = Recorder()
    events.subscribe(PAID, recorder, as_name="tests.order_paid")
    events.subscribe(REFUNDED, recorder, as_name="tests.order_paid")
    yield recorder
    events.unsubscribe(as_name="tests.order_paid")


@pytest.fixture
def empty_queue():
    def purge():
        with celery_app.connection_for_write() as connection:
            connection.default_channel.queue_purge(settings.CELERY_TASK_DEFAULT_QUEUE)

    purge()
    yield
    purge()


@contextmanager
def real_worker():
    """A real Celery worker (in a thread) consuming this test process's queue."""
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        yield


def queued_messages() -> int:
    return redis.Redis.from_url(settings.REDIS_URL).llen(settings.CELERY_TASK_DEFAULT_QUEUE)


def emit_committed(organization, name=PAID, *, aggregate="billing.payment:1", payload=None, key=None, capture):
    """Emit in a transaction that commits; returns the event and the ids the commit queued for delivery."""
    with capture() as callbacks, transaction.atomic():
        event = events.emit(name, organization=organization, payload=payload or {}, aggregate=aggregate, key=key)
    return event, callbacks


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    """On-commit callbacks collected, not run: the test runs the task itself, as the worker would."""
    return lambda: django_capture_on_commit_callbacks(execute=False)


# --- writing ---------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_an_event_is_written_in_the_callers_transaction_only(organization):
    with pytest.raises(RuntimeError, match="inside transaction.atomic"):
        events.emit(PAID, organization=organization, payload={})
    assert not DomainEvent.objects.exists()


@pytest.mark.django_db
def test_the_payload_is_stored_as_json_with_decimals_as_strings(organization, capture):
    payload = {"amount": Decimal("10.50"), "payment": 7}
    event, _callbacks = emit_committed(organization, payload=payload, capture=capture)

    event.refresh_from_db()
    assert event.payload == {"amount": "10.50", "payment": 7}


@pytest.mark.django_db
def test_an_event_emitted_in_a_rolled_back_transaction_is_never_delivered(organization, subscriber, capture):
    class Abort(Exception):
        pass

    def emit_then_fail():
        with transaction.atomic():
            events.emit(PAID, organization=organization, payload={})
            raise Abort

    with capture() as callbacks, pytest.raises(Abort):
        emit_then_fail()

    assert callbacks == []
    assert not DomainEvent.objects.exists()
    assert events.domain_events_sweep(now=timezone.now() + timedelta(hours=1)) == 0
    assert subscriber.seen == []


@pytest.mark.django_db
def test_the_same_key_twice_gives_one_event_and_one_delivery(organization, subscriber, capture):
    key = product_key("payment", 1, "succeeded")
    first, first_callbacks = emit_committed(organization, key=key, payload={"payment": 1}, capture=capture)
    again, again_callbacks = emit_committed(organization, key=key, payload={"payment": 1}, capture=capture)

    assert again.pk == first.pk
    assert is_replay(again)
    assert not is_replay(first)
    assert DomainEvent.objects.count() == 1
    assert len(first_callbacks) == 1
    assert again_callbacks == []

    with pytest.raises(IdempotencyConflict), transaction.atomic():
        events.emit(PAID, organization=organization, payload={"payment": 2}, aggregate="billing.payment:1", key=key)


@pytest.mark.django_db
def test_a_clients_key_cannot_take_a_product_key(organization, capture):
    product, _ = emit_committed(organization, key=product_key("payment", 1, "succeeded"), capture=capture)
    client, _ = emit_committed(organization, key="payment:1:succeeded", capture=capture)

    assert client.pk != product.pk
    assert client.key == "client:payment:1:succeeded"


# --- delivery --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_committed_event_is_handed_to_the_subscriber_once_however_often_the_task_runs(
    organization, subscriber, capture
):
    event, callbacks = emit_committed(organization, capture=capture)
    assert len(callbacks) == 1  # the delivery is queued by the commit

    assert domain_event_deliver_task(event.pk) == {"tests.order_paid": "done"}
    assert domain_event_deliver_task(event.pk) == {"tests.order_paid": "already"}

    assert subscriber.seen == [event.pk]
    delivery = DomainEventDelivery.objects.get()
    assert (delivery.event_id, delivery.subscription, delivery.status) == (event.pk, "tests.order_paid", "done")
    event.refresh_from_db()
    assert event.settled_at is not None


@pytest.mark.django_db(transaction=True)
def test_two_task_runs_side_by_side_hand_the_event_over_once(organization, subscriber):
    from tests.helpers import run_in_threads

    with transaction.atomic():
        event = events.emit(PAID, organization=organization, payload={})

    results = run_in_threads(lambda _i: domain_event_deliver_task(event.pk), 4)

    assert subscriber.seen == [event.pk]
    assert sorted(result["tests.order_paid"] for result in results) == ["already", "already", "already", "done"]


@pytest.mark.django_db
def test_every_subscription_gets_its_own_delivery(organization, subscriber, capture):
    other = Recorder()
    events.subscribe(PAID, other, as_name="tests.receipt_mail")
    try:
        event, _ = emit_committed(organization, capture=capture)
        domain_event_deliver_task(event.pk)
    finally:
        events.unsubscribe(as_name="tests.receipt_mail")

    assert subscriber.seen == [event.pk]
    assert other.seen == [event.pk]
    assert set(DomainEventDelivery.objects.values_list("subscription", "status")) == {
        ("tests.order_paid", "done"),
        ("tests.receipt_mail", "done"),
    }


@pytest.mark.django_db
def test_a_handlers_writes_are_undone_when_it_fails(organization, capture):
    def writes_then_fails(event):
        DomainEvent.objects.filter(pk=event.pk).update(aggregate="changed by a failed handler")
        raise RuntimeError("half way")

    events.subscribe(PAID, writes_then_fails, as_name="tests.half_way")
    try:
        event, _ = emit_committed(organization, aggregate="billing.payment:1", capture=capture)
        assert domain_event_deliver_task(event.pk) == {"tests.half_way": "retry"}
    finally:
        events.unsubscribe(as_name="tests.half_way")

    event.refresh_from_db()
    assert event.aggregate == "billing.payment:1"


@pytest.mark.django_db
def test_a_failing_handler_is_retried_with_backoff_then_marked_failed(organization, capture, settings):
    settings.DOMAIN_EVENTS_MAX_ATTEMPTS = 3
    failing = Recorder(fail_times=10)
    events.subscribe(PAID, failing, as_name="tests.always_down")
    try:
        event, _ = emit_committed(organization, capture=capture)
        now = timezone.now()

        with capture() as retries:
            assert events.domain_event_deliver(event.pk, now=now) == {"tests.always_down": "retry"}
        delivery = DomainEventDelivery.objects.get()
        assert delivery.status == "pending"
        assert delivery.attempts == 1
        assert delivery.error == "RuntimeError: the order service is down"
        assert delivery.next_attempt_at == now + timedelta(seconds=30)
        assert len(retries) == 1  # a retry is queued, with its countdown

        # Before its time, a run (the sweeper's, a duplicate) leaves it alone.
        early = now + timedelta(seconds=10)
        assert events.domain_event_deliver(event.pk, now=early) == {"tests.always_down": "not_due"}

        assert events.domain_event_deliver(event.pk, now=now + timedelta(seconds=31)) == {"tests.always_down": "retry"}
        delivery.refresh_from_db()
        assert delivery.next_attempt_at == now + timedelta(seconds=31) + timedelta(seconds=60)  # doubled

        later = now + timedelta(hours=1)
        assert events.domain_event_deliver(event.pk, now=later) == {"tests.always_down": "failed"}
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 3, None)
        assert events.domain_event_deliver(event.pk, now=later + timedelta(days=1)) == {"tests.always_down": "already"}
        event.refresh_from_db()
        assert event.settled_at is not None  # given up: the sweeper stops queueing it
    finally:
        events.unsubscribe(as_name="tests.always_down")


@pytest.mark.django_db
def test_a_handler_that_recovers_is_delivered_on_its_retry(organization, capture):
    flaky = Recorder(fail_times=1)
    events.subscribe(PAID, flaky, as_name="tests.flaky")
    try:
        event, _ = emit_committed(organization, capture=capture)
        now = timezone.now()
        assert events.domain_event_deliver(event.pk, now=now) == {"tests.flaky": "retry"}
        assert events.domain_event_deliver(event.pk, now=now + timedelta(minutes=1)) == {"tests.flaky": "done"}
    finally:
        events.unsubscribe(as_name="tests.flaky")

    assert flaky.seen == [event.pk]
    assert DomainEventDelivery.objects.get().attempts == 2


@pytest.mark.django_db
def test_a_later_event_of_an_aggregate_waits_for_the_earlier_one(organization, subscriber, capture):
    first, _ = emit_committed(organization, PAID, aggregate="billing.payment:1", capture=capture)
    second, _ = emit_committed(organization, REFUNDED, aggregate="billing.payment:1", capture=capture)
    elsewhere, _ = emit_committed(organization, PAID, aggregate="billing.payment:2", capture=capture)

    # The second's task runs first (workers pick messages in any order): it must wait.
    assert domain_event_deliver_task(second.pk) == {"tests.order_paid": "waiting"}
    assert domain_event_deliver_task(elsewhere.pk) == {"tests.order_paid": "done"}  # another aggregate goes on
    assert subscriber.seen == [elsewhere.pk]

    with capture() as next_in_line:
        assert domain_event_deliver_task(first.pk) == {"tests.order_paid": "done"}
    assert len(next_in_line) == 1  # delivering the first queues the second
    assert domain_event_deliver_task(second.pk) == {"tests.order_paid": "done"}

    assert subscriber.seen == [elsewhere.pk, first.pk, second.pk]


@pytest.mark.django_db
def test_events_of_an_aggregate_another_subscription_does_not_take_do_not_hold_it_back(
    organization, subscriber, capture
):
    only_refunds = Recorder()
    events.subscribe(REFUNDED, only_refunds, as_name="tests.refunds")
    try:
        paid, _ = emit_committed(organization, PAID, aggregate="billing.payment:1", capture=capture)
        refunded, _ = emit_committed(organization, REFUNDED, aggregate="billing.payment:1", capture=capture)
        assert domain_event_deliver_task(refunded.pk) == {"tests.order_paid": "waiting", "tests.refunds": "done"}
    finally:
        events.unsubscribe(as_name="tests.refunds")
    assert only_refunds.seen == [refunded.pk]
    assert subscriber.seen == []


@pytest.mark.django_db
def test_the_sweeper_delivers_an_event_whose_dispatch_was_lost(organization, subscriber, capture, empty_queue):
    event, callbacks = emit_committed(organization, capture=capture)
    # The process died after the commit: its on-commit dispatch (in `callbacks`) never ran.
    assert queued_messages() == 0

    assert events.domain_events_sweep() == 0  # young events are left to their own dispatch
    assert events.domain_events_sweep(now=timezone.now() + timedelta(minutes=2)) == 1
    assert queued_messages() == 1  # the sweeper queued the delivery on the real broker

    domain_event_deliver_task(event.pk)  # what the worker does with that message
    assert subscriber.seen == [event.pk]
    assert events.domain_events_sweep(now=timezone.now() + timedelta(minutes=2)) == 0  # settled: not again


@pytest.mark.django_db
def test_the_sweeper_runs_every_minute_from_the_database():
    task = PeriodicTask.objects.select_related("crontab").get(name=EVENTS_SWEEP_TASK_NAME)

    assert task.task == events.SWEEP_TASK == domain_events_sweep_task.name
    assert task.enabled
    assert task.crontab.minute == "*"
    assert task.crontab.hour == "*"


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_a_committed_event(organization, subscriber, empty_queue):
    with real_worker():
        with transaction.atomic():
            event = events.emit(PAID, organization=organization, payload={"payment": 1})
            assert queued_messages() == 0  # not before the commit

        deadline = time.monotonic() + 30
        while not DomainEventDelivery.objects.filter(event=event, status="done").exists():
            assert time.monotonic() < deadline, "the worker did not deliver the event in 30 s"
            time.sleep(0.1)

    assert subscriber.seen == [event.pk]


# --- the admin -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_admin_shows_each_organization_its_own_events_only(
    client, organization, other_organization, member_of, capture
):
    own, _ = emit_committed(organization, aggregate="billing.payment:own", capture=capture)
    foreign, _ = emit_committed(other_organization, aggregate="billing.payment:foreign", capture=capture)
    client.force_login(member_of(organization, role="owner"))

    page = client.get(reverse("admin:core_domainevent_changelist")).content.decode()
    assert "billing.payment:own" in page
    assert "billing.payment:foreign" not in page
    assert client.get(reverse("admin:core_domainevent_change", args=[own.pk])).status_code == 200
    assert client.get(reverse("admin:core_domainevent_change", args=[foreign.pk])).status_code == 404


@pytest.mark.django_db
def test_a_failed_delivery_is_retried_from_the_admin_with_an_audit_record(
    client, organization, member_of, capture, settings
):
    settings.DOMAIN_EVENTS_MAX_ATTEMPTS = 1
    flaky = Recorder(fail_times=1)
    events.subscribe(PAID, flaky, as_name="tests.flaky")
    try:
        event, _ = emit_committed(organization, capture=capture)
        assert domain_event_deliver_task(event.pk) == {"tests.flaky": "failed"}
        delivery = DomainEventDelivery.objects.get()
        owner = member_of(organization, role="owner")
        client.force_login(owner)

        with capture() as queued:
            response = client.post(
                reverse("admin:core_domaineventdelivery_changelist"),
                {"action": "retry", "_selected_action": [delivery.pk]},
            )
        assert response.status_code == 302
        assert len(queued) == 1
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == ("pending", 0)
        assert AuditLog.objects.filter(action="core.domain_event.retry", actor=owner).count() == 1

        assert domain_event_deliver_task(event.pk) == {"tests.flaky": "done"}
    finally:
        events.unsubscribe(as_name="tests.flaky")
    assert flaky.seen == [event.pk]


@pytest.mark.django_db
def test_a_viewer_cannot_retry_a_delivery(client, organization, member_of, capture, settings):
    settings.DOMAIN_EVENTS_MAX_ATTEMPTS = 1
    events.subscribe(PAID, Recorder(fail_times=1), as_name="tests.flaky")
    try:
        event, _ = emit_committed(organization, capture=capture)
        domain_event_deliver_task(event.pk)
    finally:
        events.unsubscribe(as_name="tests.flaky")
    client.force_login(member_of(organization, role="viewer"))

    client.post(
        reverse("admin:core_domaineventdelivery_changelist"),
        {"action": "retry", "_selected_action": [DomainEventDelivery.objects.get().pk]},
    )

    assert DomainEventDelivery.objects.get().status == "failed"
    assert not AuditLog.objects.filter(action="core.domain_event.retry").exists()


# --- the migration ---------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_reverses_and_applies_again():
    from django.core.management import call_command
    from django.db import connection

    from apps.core.operations.schedules import NOTIFICATIONS_SWEEP_TASK_NAME

    tables = {"core_domainevent", "core_domaineventdelivery", "core_notification"}
    sweepers = {EVENTS_SWEEP_TASK_NAME, NOTIFICATIONS_SWEEP_TASK_NAME}

    call_command("migrate", "core", "0008_webhook_deliveries", verbosity=0)
    try:
        assert tables.isdisjoint(connection.introspection.table_names())
        assert not PeriodicTask.objects.filter(name__in=sweepers).exists()
    finally:
        call_command("migrate", verbosity=0)

    assert tables <= set(connection.introspection.table_names())
    assert set(PeriodicTask.objects.filter(name__in=sweepers).values_list("name", flat=True)) == sweepers
