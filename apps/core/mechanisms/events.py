"""Domain events: how a lower app tells higher apps that something happened, without importing them.

A service of a lower app calls :func:`emit` inside its transaction (``emit("billing.payment_succeeded",
organization=org, payload={"payment": 12, "amount": "10.00"}, aggregate="billing.payment:12",
key=product_key("payment", 12, "succeeded"))``); the event row is written with its change, so it exists
exactly when the change does. A higher app subscribes in its ``AppConfig.ready``::

    subscribe("billing.payment_succeeded", order_mark_paid_on_payment, as_name="marketplace.order_paid")

After the commit a Celery task (``apps.core.tasks.domain_event_deliver_task``) hands the event to each
subscription's handler, ``handler(event)``:

- **At least once, done once.** One :class:`~apps.core.models.DomainEventDelivery` row per (event,
  subscription), locked while its handler runs; the handler runs inside that transaction, so its writes and
  the "done" mark commit together, and a second run of the task (a retry, the sweeper, a duplicate message)
  finds it done and skips it. A process that dies mid-handler rolls both back and the event is delivered
  again: handlers must still be idempotent by ``event.pk`` for their effects outside the database.
- **In order per aggregate.** An event is not delivered to a subscription while an earlier event (lower id)
  of the same organization and aggregate, of a name that subscription takes, is not yet done for it. The
  check runs under a transaction-scoped advisory lock on (subscription, organization, aggregate), so two
  workers never deliver two events of one aggregate to one subscription side by side. "Earlier" is the
  order of ids, which is the order of commits when the emitting service locks the aggregate's row (as
  services that change one do). A waiting event is delivered when the one before it is done (that delivery
  queues it) or by the sweeper. An earlier event that *failed* for good keeps the later ones waiting until
  an operator retries it from the admin: skipping it would break the order the subscriber relies on.
- **Failures.** A handler that raises is rolled back, its error recorded, and it is tried again after a
  growing delay (30 s, 1, 2, 4… minutes, at most an hour); after ``DOMAIN_EVENTS_MAX_ATTEMPTS`` attempts (8
  by default) the delivery is marked failed, shown in the admin with its error, and can be retried there.
- **Nothing lost.** A beat task (``domain_events_sweep_task``, every minute) queues again each event that
  some subscription still lacks, so an event whose on-commit dispatch died with its process is delivered.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.mechanisms.audit import audit_record, register_action_labels
from apps.core.mechanisms.idempotency import mark_replay, replay_of, stored_key
from apps.core.mechanisms.jobs import enqueue_swept_on_commit
from apps.core.models import DomainEvent, DomainEventDelivery

logger = logging.getLogger(__name__)

# The names are written out: the tasks in apps.core.tasks and the periodic task (migration 0009) use them.
DELIVER_TASK = "apps.core.tasks.domain_event_deliver_task"
SWEEP_TASK = "apps.core.tasks.domain_events_sweep_task"

DEFAULT_MAX_ATTEMPTS = 8
# The sweeper leaves young events to their own on-commit dispatch.
SWEEP_GRACE = timedelta(minutes=1)
SWEEP_BATCH = 500

Handler = Callable[[DomainEvent], object]


@dataclass(frozen=True)
class Subscription:
    as_name: str
    name: str
    handler: Handler


# {as_name: {event name: handler}}: a subscription may take several event names (its order per aggregate
# then spans them), and it is known by its stable name in the delivery rows.
_subscriptions: dict[str, dict[str, Handler]] = {}


def subscribe(name: str, handler: Handler, *, as_name: str) -> None:
    """Have ``handler(event)`` called for every event named ``name``; ``as_name`` is the subscription's
    stable name (``"marketplace.order_paid"``), stored with its deliveries, so it must not change once
    deployed. Called from the subscribing app's ``AppConfig.ready``; subscribing the same handler again is
    harmless, another handler under the same names is a mistake and refused."""
    handlers = _subscriptions.setdefault(as_name, {})
    if handlers.get(name, handler) is not handler:
        raise ValueError(f"the subscription {as_name!r} already has a handler for {name!r}")
    handlers[name] = handler


def unsubscribe(*, as_name: str, name: str | None = None) -> None:
    """Remove a subscription (or one of its event names): for tests and for apps that are switched off."""
    if name is None:
        _subscriptions.pop(as_name, None)
    else:
        _subscriptions.get(as_name, {}).pop(name, None)
        if not _subscriptions.get(as_name, True):
            del _subscriptions[as_name]


def subscriptions_of(name: str) -> list[Subscription]:
    """The subscriptions that take events named ``name``, by their names."""
    return [
        Subscription(as_name, name, handlers[name])
        for as_name, handlers in sorted(_subscriptions.items())
        if name in handlers
    ]


def max_attempts() -> int:
    return int(getattr(settings, "DOMAIN_EVENTS_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS))


def retry_delay(attempts: int) -> timedelta:
    """The wait after failed attempt number ``attempts``: 30 s, 1, 2, 4… minutes, at most an hour."""
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


def json_payload(payload) -> dict:
    """The payload as it will be stored and read back: Decimals and dates as strings (DjangoJSONEncoder),
    so the handler of a first delivery sees what a later one will."""
    return json.loads(json.dumps(payload or {}, cls=DjangoJSONEncoder))


def emit(name: str, *, organization, payload: dict, aggregate: str = "", key=None) -> DomainEvent:
    """Record that ``name`` happened in ``organization``, in the caller's transaction, and deliver it to the
    subscriptions after the commit (nothing, if the transaction rolls back).

    ``key`` (a :func:`~apps.core.mechanisms.idempotency.product_key`, or a client's key, which is stored in
    the clients' namespace) makes the emit repeatable: the event of a key met again is returned (marked as a
    replay) and nothing new is written or delivered; the same key with another name, organization, aggregate
    or payload raises :class:`~apps.core.mechanisms.idempotency.IdempotencyConflict`."""
    if not connection.in_atomic_block:
        raise RuntimeError("emit() writes the event in the caller's transaction: call it inside transaction.atomic")
    if not name or "." not in name:
        raise ValueError(f"an event is named «app.what_happened», not {name!r}")
    payload = json_payload(payload)
    org_id = getattr(organization, "pk", organization)
    if org_id is None:
        raise ValueError("an event belongs to an organization")
    if key is None:
        event = DomainEvent.objects.create(name=name, organization_id=org_id, aggregate=aggregate, payload=payload)
        created = True
    else:
        stored = stored_key(key, field="key")
        # get_or_create inserts under a savepoint: a racing emit of the same key waits for the first to
        # commit, then finds its event (or inserts its own if the first rolled back).
        event, created = DomainEvent.objects.get_or_create(
            key=stored, defaults={"name": name, "organization_id": org_id, "aggregate": aggregate, "payload": payload}
        )
        if not created:
            return replay_of(
                event,
                stored,
                [
                    ("name", event.name == name),
                    ("organization", event.organization_id == org_id),
                    ("aggregate", event.aggregate == aggregate),
                    ("payload", event.payload == payload),
                ],
            )
    dispatch_on_commit(event.pk)
    return mark_replay(event, not created)


def dispatch_on_commit(event_id: int, *, countdown: float | None = None) -> None:
    """Queue the delivery after commit; a broker that is away is logged and left to the sweeper."""
    enqueue_swept_on_commit(DELIVER_TASK, event_id, countdown=countdown)


def dispatch(event_id: int, *, countdown: float | None = None) -> None:
    """Queue the delivery task of an event now (the task is named, not imported: tasks sit above mechanisms)."""
    current_app.send_task(DELIVER_TASK, args=[event_id], countdown=countdown)


# --- delivery --------------------------------------------------------------------------------------------


def domain_event_deliver(event_id: int, *, now=None) -> dict[str, str]:
    """Deliver one event to each of its subscriptions that still lacks it; what happened, by subscription
    (``done``, ``already``, ``waiting``, ``not_due``, ``retry``, ``failed``). Safe to run any number of times."""
    event = DomainEvent.objects.filter(pk=event_id).first()
    if event is None:  # never committed, or deleted with its organization
        return {}
    outcome = {
        subscription.as_name: _deliver_one(event, subscription, now=now)
        for subscription in subscriptions_of(event.name)
    }
    if all(result in ("done", "already", "failed") for result in outcome.values()):
        DomainEvent.objects.filter(pk=event.pk, settled_at__isnull=True).update(settled_at=timezone.now())
    return outcome


def _deliver_one(event: DomainEvent, subscription: Subscription, *, now=None) -> str:
    with transaction.atomic():
        delivery, _created = DomainEventDelivery.objects.get_or_create(event=event, subscription=subscription.as_name)
        # The row lock makes a second run (a retry racing the sweeper) wait, then see the delivery done.
        delivery = DomainEventDelivery.objects.select_for_update().get(pk=delivery.pk)
        if delivery.status != DomainEventDelivery.Status.PENDING:
            return "already"
        moment = now or timezone.now()
        if delivery.next_attempt_at is not None and delivery.next_attempt_at > moment:
            return "not_due"
        if event.aggregate:
            _lock_aggregate(subscription.as_name, event)
            earlier = _earlier_undelivered(event, subscription.as_name)
            if earlier is not None:
                # Delivered when the earlier one is done (its delivery queues this one) or by the sweeper.
                return "waiting"
        try:
            with transaction.atomic():
                subscription.handler(event)
        except Exception as error:  # any handler's failure is recorded and retried, never lost
            return _record_failure(delivery, error, moment)
        delivery.status = DomainEventDelivery.Status.DONE
        delivery.attempts += 1
        delivery.delivered_at = timezone.now()
        delivery.next_attempt_at = None
        delivery.error = ""
        delivery.save(update_fields=["status", "attempts", "delivered_at", "next_attempt_at", "error"])
        if event.aggregate:
            _queue_next_of_aggregate(event, subscription.as_name)
        return "done"


def _lock_aggregate(as_name: str, event: DomainEvent) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
            [f"domain-event:{as_name}:{event.organization_id}:{event.aggregate}"],
        )


def _subscription_names(as_name: str) -> list[str]:
    return list(_subscriptions.get(as_name, {}))


def _done_for(as_name: str) -> Exists:
    return Exists(
        DomainEventDelivery.objects.filter(
            event=OuterRef("pk"), subscription=as_name, status=DomainEventDelivery.Status.DONE
        )
    )


def _earlier_undelivered(event: DomainEvent, as_name: str) -> int | None:
    """The id of an earlier event of the aggregate that ``as_name`` takes and has not received, if any."""
    return (
        DomainEvent.objects.filter(
            organization_id=event.organization_id,
            aggregate=event.aggregate,
            name__in=_subscription_names(as_name),
            pk__lt=event.pk,
        )
        .exclude(_done_for(as_name))
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )


def _queue_next_of_aggregate(event: DomainEvent, as_name: str) -> None:
    following = (
        DomainEvent.objects.filter(
            organization_id=event.organization_id,
            aggregate=event.aggregate,
            name__in=_subscription_names(as_name),
            pk__gt=event.pk,
        )
        .exclude(_done_for(as_name))
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    if following is not None:
        dispatch_on_commit(following)


def _record_failure(delivery: DomainEventDelivery, error: Exception, moment) -> str:
    delivery.attempts += 1
    delivery.error = f"{type(error).__name__}: {error}"[:4000]
    logger.warning(
        "domain event #%s: %s failed (attempt %d): %s",
        delivery.event_id,
        delivery.subscription,
        delivery.attempts,
        delivery.error,
    )
    if delivery.attempts >= max_attempts():
        delivery.status = DomainEventDelivery.Status.FAILED
        delivery.next_attempt_at = None
        result = "failed"
    else:
        delay = retry_delay(delivery.attempts)
        delivery.next_attempt_at = moment + delay
        event_id = delivery.event_id
        dispatch_on_commit(event_id, countdown=delay.total_seconds())
        result = "retry"
    delivery.save(update_fields=["attempts", "error", "status", "next_attempt_at"])
    return result


def domain_events_sweep(*, now=None, grace: timedelta = SWEEP_GRACE, batch: int = SWEEP_BATCH) -> int:
    """Queue again the delivery of each event older than ``grace`` that some subscription still lacks (the
    beat task, every minute); returns how many were queued. Deliveries waiting for their retry time are
    skipped by the task itself, so queuing too much is harmless."""
    cutoff = (now or timezone.now()) - grace
    ids = list(
        DomainEvent.objects.filter(settled_at__isnull=True, created_at__lte=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:batch]
    )
    for event_id in ids:
        dispatch(event_id)
    return len(ids)


def domain_event_delivery_retry(*, delivery: DomainEventDelivery, user) -> DomainEventDelivery:
    """Give a failed delivery a new series of attempts (the admin's "retry"), with its audit record."""
    with transaction.atomic():
        delivery = DomainEventDelivery.objects.select_for_update().select_related("event").get(pk=delivery.pk)
        if delivery.status != DomainEventDelivery.Status.FAILED:
            return delivery
        delivery.status = DomainEventDelivery.Status.PENDING
        delivery.attempts = 0
        delivery.next_attempt_at = None
        delivery.save(update_fields=["status", "attempts", "next_attempt_at"])
        DomainEvent.objects.filter(pk=delivery.event_id).update(settled_at=None)
        audit_record(
            action="core.domain_event.retry",
            actor=user,
            organization=delivery.event.organization_id,
            obj=delivery.event,
            changes={"subscription": delivery.subscription, "error": delivery.error},
        )
        dispatch_on_commit(delivery.event_id)
    return delivery


register_action_labels({"core.domain_event.retry": _("Domain event delivery retried")})
