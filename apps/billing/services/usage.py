"""Usage of limited resources: the one question any app asks billing ("may this organization use N more of X?").

An app reserves before the work and settles (with the real amount) or releases after it::

    key = product_key("agent-run", run.pk)
    usage_reserve(organization=org, resource=Resource.LLM_TOKENS, amount=4000, key=key)  # or LimitExceeded
    ...  # the work
    usage_settle(organization=org, key=key, actual=3120)  # or usage_release(organization=org, key=key)

Race safety: a reservation is one conditional UPDATE of the counter row (``... WHERE used + reserved + n <=
limit RETURNING``). PostgreSQL re-checks the condition on the newest row version after waiting for a
concurrent writer, so ten concurrent reservations of 1 with 3 units left grant exactly 3 and never overshoot.
Each step also writes an append-only :class:`UsageRecord` under the request's key; the unique indexes make the
same key reserve once and end (settle or release) once, whoever retries.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.billing.models import (
    PER_PERIOD_RESOURCES,
    Resource,
    UsageCounter,
    UsageKind,
    UsageRecord,
    limit_in_force,
    month_of,
    usage_period,
)
from apps.core.mechanisms.idempotency import IdempotencyConflict, ProductKey, display_key, stored_key

from .usage_warnings import usage_threshold_notify

THRESHOLDS = (80, 100)  # percent of the limit: crossing one is recorded once per month and reported


class LimitExceeded(ValidationError):
    """The organization's plan does not leave enough of the resource for the request: nothing was reserved."""

    code = "limit_exceeded"

    def __init__(self, *, resource: str, limit: int, used: int, reserved: int, amount: int):
        self.resource, self.limit, self.amount = resource, limit, amount
        self.left = max(0, limit - used - reserved)
        # Two whole sentences (not one with a chosen ending) so that each is extracted and translated whole.
        if resource in PER_PERIOD_RESOURCES:
            template = _(
                "The plan's limit of {resource} is reached: it allows {limit}, {left} left, and this needs "
                "{amount}. Upgrade the plan or wait for the next month."
            )
        else:
            template = _(
                "The plan's limit of {resource} is reached: it allows {limit}, {left} left, and this needs "
                "{amount}. Upgrade the plan or free some up."
            )
        message = template.format(resource=Resource(resource).label, limit=limit, left=self.left, amount=amount)
        super().__init__(message, code=self.code)


@dataclass
class Reservation:
    key: str
    resource: str
    amount: int
    period: dt.date | None
    limit: int | None  # None: unlimited
    replay: bool = False  # the key had already reserved: nothing more was reserved now


@dataclass
class UsageChange:
    """The outcome of a settle, a release or a give-back: the counter after it, and the thresholds (80, 100)
    whose crossing this change recorded for the first time in the month (for the next wave to notify)."""

    key: str
    resource: str
    period: dt.date | None
    used: int
    reserved: int
    limit: int | None
    thresholds_crossed: list[int] = field(default_factory=list)
    replay: bool = False


def _resource(resource) -> str:
    if resource not in Resource.values:
        raise ValidationError(
            {
                "resource": _("“{value}” is not a limited resource ({choices}).").format(
                    value=resource, choices=", ".join(Resource.values)
                )
            }
        )
    return str(resource)


def _units(amount, *, name: str = "amount", allow_zero: bool = False) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < (0 if allow_zero else 1):
        if allow_zero:
            message = _("{value} is not a whole number of 0 or more.")
        else:
            message = _("{value} is not a whole number of 1 or more.")
        raise ValidationError({name: message.format(value=amount)})
    return amount


def _org_id(organization) -> int:
    return organization.pk


def _counter_filter(period: dt.date | None) -> str:
    return "period IS NULL" if period is None else "period = %(period)s"


def _ensure_counter(org_id: int, resource: str, period: dt.date | None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO billing_usagecounter (organization_id, resource, period, used, reserved, updated_at)
               VALUES (%s, %s, %s, 0, 0, now()) ON CONFLICT DO NOTHING""",
            [org_id, resource, period],
        )


def _insert_record(org_id: int, resource: str, amount: int, period, key: str, kind: str) -> bool:
    """Append a usage record; False when the key already has one of this kind (or already ended)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO billing_usagerecord (organization_id, resource, amount, period, key, kind, created_at)
               VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING id""",
            [org_id, resource, amount, period, key, kind, timezone.now()],
        )
        return cursor.fetchone() is not None


def _counter_now(org_id: int, resource: str, period) -> tuple[int, int]:
    row = (
        UsageCounter.objects.filter(organization_id=org_id, resource=resource, period=period)
        .values_list("used", "reserved")
        .first()
    )
    return row or (0, 0)


def usage_allows(*, organization, resource: str, amount: int) -> bool:
    """Whether the organization may use ``amount`` more of ``resource`` now (a hint: only a reservation holds)."""
    resource, amount = _resource(resource), _units(amount)
    limit = limit_in_force(organization, resource)
    if limit is None:
        return True
    used, reserved = _counter_now(_org_id(organization), resource, usage_period(organization, resource))
    return used + reserved + amount <= limit


def usage_reserve(*, organization, resource: str, amount: int, key) -> Reservation:
    """Reserve ``amount`` of ``resource`` under the request's ``key`` before doing the work, or raise
    :class:`LimitExceeded` (nothing reserved). The same key reserves once: a repeat returns the first
    reservation (``replay``), or :class:`IdempotencyConflict` if it asked for something else."""
    resource, amount = _resource(resource), _units(amount)
    key = stored_key(key, field="key")
    org_id = _org_id(organization)
    period = usage_period(organization, resource)
    with transaction.atomic():
        limit = limit_in_force(organization, resource)
        _ensure_counter(org_id, resource, period)
        if not _insert_record(org_id, resource, amount, period, key, UsageKind.RESERVE):
            earlier = UsageRecord.objects.get(organization_id=org_id, key=key, kind=UsageKind.RESERVE)
            if earlier.resource != resource or earlier.amount != amount:
                raise IdempotencyConflict(key, [_("resource"), _("amount")], field="key")
            return Reservation(key, resource, earlier.amount, earlier.period, limit, replay=True)
        with connection.cursor() as cursor:
            cursor.execute(
                f"""UPDATE billing_usagecounter SET reserved = reserved + %(amount)s, updated_at = now()
                     WHERE organization_id = %(org)s AND resource = %(resource)s AND {_counter_filter(period)}
                       AND (%(limit)s::bigint IS NULL OR used + reserved + %(amount)s <= %(limit)s::bigint)
                 RETURNING used, reserved""",
                {"amount": amount, "org": org_id, "resource": resource, "period": period, "limit": limit},
            )
            granted = cursor.fetchone()
        if granted is None:
            used, reserved = _counter_now(org_id, resource, period)
            # Raising rolls the atomic block back: the reservation record goes with it.
            raise LimitExceeded(resource=resource, limit=limit, used=used, reserved=reserved, amount=amount)
    return Reservation(key, resource, amount, period, limit)


def _reservation_of(org_id: int, key: str) -> UsageRecord:
    reservation = UsageRecord.objects.filter(organization_id=org_id, key=key, kind=UsageKind.RESERVE).first()
    if reservation is None:
        raise ValidationError({"key": _("Nothing is reserved under the key {key}.").format(key=display_key(key))})
    return reservation


def _end(*, organization, key, kind: str, actual: int | None) -> UsageChange:
    key = stored_key(key, field="key")
    org_id = _org_id(organization)
    with transaction.atomic():
        reservation = _reservation_of(org_id, key)
        resource, period = reservation.resource, reservation.period
        amount = reservation.amount if actual is None else actual
        limit = limit_in_force(organization, resource)
        if not _insert_record(org_id, resource, amount, period, key, kind):
            earlier = UsageRecord.objects.get(
                organization_id=org_id, key=key, kind__in=[UsageKind.SETTLE, UsageKind.RELEASE]
            )
            if earlier.kind != kind or earlier.amount != amount:
                raise IdempotencyConflict(key, [_("what ended the reservation")], field="key")
            used, reserved = _counter_now(org_id, resource, period)
            return UsageChange(key, resource, period, used, reserved, limit, replay=True)
        used_delta = amount if kind == UsageKind.SETTLE else 0
        with connection.cursor() as cursor:
            # Settled usage may exceed the reservation (the real amount is known only after the work): the
            # excess is overage, which the counter keeps (used may pass the limit; reserved never goes below 0).
            cursor.execute(
                f"""UPDATE billing_usagecounter
                       SET reserved = reserved - %(reserved)s, used = used + %(used)s, updated_at = now()
                     WHERE organization_id = %(org)s AND resource = %(resource)s AND {_counter_filter(period)}
                 RETURNING used, reserved""",
                {
                    "reserved": reservation.amount,
                    "used": used_delta,
                    "org": org_id,
                    "resource": resource,
                    "period": period,
                },
            )
            used, reserved = cursor.fetchone()
        crossed = _record_thresholds(organization, resource, period, used, limit) if used_delta else []
    return UsageChange(key, resource, period, used, reserved, limit, crossed)


def usage_settle(*, organization, key, actual: int) -> UsageChange:
    """End the reservation under ``key`` with the amount really used (the rest of the reservation is freed;
    more than reserved is counted as overage). Settling twice with the same amount is a replay."""
    return _end(
        organization=organization, key=key, kind=UsageKind.SETTLE, actual=_units(actual, name="actual", allow_zero=True)
    )


def usage_release(*, organization, key) -> UsageChange:
    """End the reservation under ``key`` without using it (the work failed or was abandoned)."""
    return _end(organization=organization, key=key, kind=UsageKind.RELEASE, actual=None)


def usage_release_stale(*, older_than: dt.timedelta, now: dt.datetime | None = None) -> int:
    """Release every reservation older than ``older_than`` that was never settled or released (its worker died
    mid-work), so that it stops holding capacity; returns how many. For a periodic task; safe to run twice at
    once (each release is once per key)."""
    cutoff = (now or timezone.now()) - older_than
    ended = UsageRecord.objects.filter(kind__in=[UsageKind.SETTLE, UsageKind.RELEASE]).values("organization_id", "key")
    stale = (
        UsageRecord.objects.filter(kind=UsageKind.RESERVE, created_at__lt=cutoff)
        .exclude(Exists(ended.filter(organization_id=OuterRef("organization_id"), key=OuterRef("key"))))
        .select_related("organization")
        .order_by("pk")
    )
    released = 0
    for reservation in stale.iterator():
        # The stored key as it stands (it is already namespaced): a ProductKey is taken as it is.
        change = usage_release(organization=reservation.organization, key=ProductKey(reservation.key))
        released += not change.replay
    return released


def usage_free(*, organization, resource: str, amount: int, key) -> UsageChange:
    """Give back ``amount`` of a standing resource no longer in use (a seat removed, an agent deleted, files
    deleted), under its own ``key`` (given back once). Per-period usage is never given back."""
    resource, amount = _resource(resource), _units(amount)
    if resource in PER_PERIOD_RESOURCES:
        raise ValidationError(
            {
                "resource": _("{resource} is counted per month and cannot be given back.").format(
                    resource=Resource(resource).label
                )
            }
        )
    key = stored_key(key, field="key")
    org_id = _org_id(organization)
    with transaction.atomic():
        limit = limit_in_force(organization, resource)
        if not _insert_record(org_id, resource, amount, None, key, UsageKind.FREE):
            used, reserved = _counter_now(org_id, resource, None)
            return UsageChange(key, resource, None, used, reserved, limit, replay=True)
        with connection.cursor() as cursor:
            cursor.execute(
                """UPDATE billing_usagecounter SET used = used - %s, updated_at = now()
                    WHERE organization_id = %s AND resource = %s AND period IS NULL AND used >= %s
                RETURNING used, reserved""",
                [amount, org_id, resource, amount],
            )
            row = cursor.fetchone()
        if row is None:
            used, _reserved = _counter_now(org_id, resource, None)
            raise ValidationError(
                {
                    "amount": _("Only {used} of {resource} are in use; {amount} cannot be given back.").format(
                        used=used, resource=Resource(resource).label, amount=amount
                    )
                }
            )
    return UsageChange(key, resource, None, row[0], row[1], limit)


def _record_thresholds(organization, resource: str, period, used: int, limit: int | None) -> list[int]:
    """Record each threshold that ``used`` has reached for the first time this month; return those."""
    if not limit:
        return []
    month = period or month_of(organization)
    crossed = []
    with connection.cursor() as cursor:
        for percent in THRESHOLDS:
            if used * 100 < percent * limit:
                break
            cursor.execute(
                """INSERT INTO billing_usagethreshold (organization_id, resource, period, percent, used, "limit",
                                                      crossed_at)
                   VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING id""",
                [organization.pk, resource, month, percent, used, limit, timezone.now()],
            )
            if cursor.fetchone() is not None:
                crossed.append(percent)
    for percent in crossed:
        # In the same transaction as the threshold's row: the owners hear of it once, and only if it stands.
        usage_threshold_notify(
            organization=organization, resource=resource, period=month, percent=percent, used=used, limit=limit
        )
    return crossed
