"""The webhook inbox: one way for every integration (payments, channels, CRM, postbacks, carriers) to take
deliveries from the outside world.

A delivery is **stored first**, exactly as it arrived (in its own transaction, before anything in it is
believed), then **verified** by the verifier its source registered (a signature, a token, an IP range, a
re-fetch from the provider), **answered at once**, and **handled in Celery** by the source's handler. The
pair (source, event id) is claimed through a partial unique index, so a provider's retries, concurrent
deliveries of one event and task re-runs all come down to one handling.

An app registers its source in its ``AppConfig.ready``::

    webhook_source_register(
        "billing.stripe", verify=stripe_verify, handle=stripe_handle, label=_("Stripe")
    )

and mounts :func:`webhook_view` (or calls :func:`webhook_receive` from a view of its own) under its URLs.

- ``verify(incoming: Incoming) -> Verified`` reads the delivery (headers, raw body, remote address) and
  returns the event's id and type, its organization when known, and the payload it established; it raises
  :class:`WebhookRejected` with a reason when the delivery is not to be believed. It must not change
  anything: a rejected delivery changes nothing but its own row.
- ``handle(delivery: WebhookDelivery)`` does the work, inside a transaction that also marks the delivery
  processed. It must be idempotent (keyed by the event id): a delivery may be handled again after a crash,
  by the sweeper, or by an operator's "reprocess".
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, RequestDataTooBig, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from apps.core.accounts.roles import write_power
from apps.core.accounts.tenancy import has_power, sees_everything
from apps.core.mechanisms.audit import audit_record
from apps.core.mechanisms.jobs import enqueue_on_commit, enqueue_swept_on_commit
from apps.core.models import WebhookDelivery

logger = logging.getLogger(__name__)

Status = WebhookDelivery.Status

# Headers that carry credentials: stored with their value removed (the verifier still sees them).
SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "x-auth-token", "x-csrftoken"}
)
REMOVED = "[removed]"

# Handling: the attempts a delivery gets, and the wait before each retry (1, 2, 4 … minutes, at most an hour).
MAX_ATTEMPTS = 8
RETRY_BASE_SECONDS = 60
RETRY_MAX_SECONDS = 3600
# A handling that has not finished after this long is taken to have died with its worker.
PROCESSING_LEASE = dt.timedelta(minutes=15)
# The sweeper leaves a verified delivery alone this long: its task is normally on the way.
SWEEP_AFTER = dt.timedelta(minutes=5)

MAX_ERROR_LENGTH = 2000
_EVENT_ONCE = "webhookdelivery_event_once"
# The handling task, named rather than imported where it is queued (tasks sit above the mechanisms).
PROCESS_TASK = "apps.core.tasks.webhook_delivery_process_task"


class WebhookRejected(Exception):
    """Raised by a verifier: the delivery is not to be believed. ``reason`` is stored and shown in the admin;
    the sender gets a short 400 that does not repeat it."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = str(reason)


@dataclass(frozen=True)
class Incoming:
    """A delivery as received, for the verifier. ``headers`` are complete (credentials included)."""

    source: str
    endpoint: str
    headers: dict[str, str]
    body: bytes
    remote_address: str | None
    received_at: dt.datetime
    method: str = "POST"
    # The raw query string: a tracker's postback is a GET whose data are all in it. Not stored with the
    # delivery (it may carry a token); a verifier keeps in ``Verified.payload`` what it established from it.
    query: str = ""

    def header(self, name: str, default: str = "") -> str:
        """A header by name, whatever the case it was sent in."""
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return default


@dataclass(frozen=True)
class Verified:
    """What a verifier established: the provider's event id (unique per source), its type, the organization
    it is for (an Organization or its id, when known) and the payload the handler works from."""

    event_id: str
    event_type: str = ""
    organization: Any = None
    payload: Any = field(default=None)


@dataclass(frozen=True)
class WebhookSource:
    name: str
    verify: Callable[[Incoming], Verified]
    handle: Callable[[WebhookDelivery], object]
    label: Any

    @property
    def app_label(self) -> str:
        """The app that owns the source (``billing`` of ``billing.stripe``): its write power may reprocess."""
        return self.name.split(".", 1)[0]


_sources: dict[str, WebhookSource] = {}


def webhook_source_register(name: str, *, verify, handle, label) -> WebhookSource:
    """Register the inbox ``name`` ("billing.stripe"). Called from the owning app's ``AppConfig.ready``;
    registering the same name again with other functions is a configuration error."""
    source = WebhookSource(name=name, verify=verify, handle=handle, label=label)
    existing = _sources.get(name)
    if existing is not None and (existing.verify, existing.handle) != (verify, handle):
        raise ImproperlyConfigured(f"webhook source {name!r} is already registered")
    if not name or len(name) > WebhookDelivery._meta.get_field("source").max_length:
        raise ImproperlyConfigured(f"webhook source name {name!r} is empty or too long")
    _sources[name] = source
    return source


def webhook_source_unregister(name: str) -> None:
    """Forget a source (for tests that register their own)."""
    _sources.pop(name, None)


def webhook_source_get(name: str) -> WebhookSource | None:
    return _sources.get(name)


def webhook_sources() -> dict[str, WebhookSource]:
    return dict(_sources)


# --- the client's address ---------------------------------------------------------------------------------


def _networks(entries) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError as error:
            raise ImproperlyConfigured(f"KONTORA_TRUSTED_PROXIES: {entry!r} is not an address or CIDR") from error
    return networks


def _parse_ip(text: str | None):
    try:
        return ipaddress.ip_address((text or "").strip())
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The address the request came from: the peer (``REMOTE_ADDR``), unless the peer is one of
    ``KONTORA_TRUSTED_PROXIES``; then the nearest address in X-Forwarded-For that is not a trusted proxy.

    Read from the right: each proxy appends the address it saw, so only the entries our own proxies added
    can be believed; whatever the client wrote itself is further left and is never taken while an untrusted
    address stands between."""
    peer = _parse_ip(request.META.get("REMOTE_ADDR"))
    if peer is None:
        return None
    trusted = _networks(getattr(settings, "KONTORA_TRUSTED_PROXIES", []) or [])

    def is_trusted(address) -> bool:
        return any(address in network for network in trusted)

    if not trusted or not is_trusted(peer):
        return str(peer)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [_parse_ip(part) for part in forwarded.split(",") if part.strip()]
    address = peer
    for hop in reversed(hops):
        if hop is None:
            break  # garbage in the chain: stop at the last address a trusted proxy vouched for
        address = hop
        if not is_trusted(hop):
            break
    return str(address)


# --- intake -----------------------------------------------------------------------------------------------


def stored_headers(headers) -> dict[str, str]:
    """The headers as stored: every one, with the values of credentials removed."""
    return {name: (REMOVED if name.lower() in SECRET_HEADERS else value) for name, value in headers.items()}


def _rejected_response(status: int = 400) -> JsonResponse:
    # Short and the same for every reason: the sender learns nothing about what we check.
    return JsonResponse({"status": "rejected"}, status=status)


def webhook_receive(request: HttpRequest, *, source: str, endpoint: str) -> HttpResponse:
    """Take one delivery for ``source`` at ``endpoint``: store it, verify it, claim its event, queue its
    handling after commit, and answer (200 for a verified or duplicate delivery, 400 for a rejected one,
    413 for one too large, 404 for an unknown source). Runs outside any request-wide transaction."""
    registered = _sources.get(source)
    if registered is None:
        return JsonResponse({"status": "unknown source"}, status=404)
    now = timezone.now()
    headers = dict(request.headers.items())
    address = client_ip(request)
    limit = settings.KONTORA_WEBHOOK_MAX_BODY_BYTES
    row = WebhookDelivery(
        source=source,
        endpoint=endpoint[:128],
        method=request.method[:10],
        headers=stored_headers(headers),
        remote_address=address,
        received_at=now,
    )

    body = _read_body(request, limit)
    if body is None:
        row.status = Status.REJECTED
        row.body_size = _announced_length(request)
        row.error = _("The body is larger than {limit} bytes; it was not stored.").format(limit=limit)
        row.save(force_insert=True)
        return _rejected_response(413)

    # Stored before it is verified, in its own transaction: whatever happens next, the delivery is on record.
    row.body = body
    row.body_size = len(body)
    row.save(force_insert=True)

    incoming = Incoming(
        source=source,
        endpoint=endpoint,
        headers=headers,
        body=body,
        remote_address=address,
        received_at=now,
        method=request.method,
        query=request.META.get("QUERY_STRING", ""),
    )
    try:
        verified = registered.verify(incoming)
        if not isinstance(verified, Verified) or not str(verified.event_id or "").strip():
            raise WebhookRejected(_("The verifier established no event id."))
    except WebhookRejected as rejection:
        _mark_rejected(row, rejection.reason)
        return _rejected_response()
    except Exception as error:  # a verifier's bug or an unreachable provider: on record, and the sender retries
        logger.exception("webhooks: the verifier of %s failed on delivery %s", source, row.pk)
        _mark_rejected(row, _("The verifier failed: {error}").format(error=_describe(error)))
        return JsonResponse({"status": "error"}, status=503)

    _claim(row, verified)
    return JsonResponse({"status": row.status})


def _announced_length(request) -> int:
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0


def _read_body(request, limit: int) -> bytes | None:
    """The raw body, or None when it is larger than ``limit`` (known from Content-Length before reading, or
    found while reading a body sent without one)."""
    if _announced_length(request) > limit:
        return None
    try:
        body = request.body
    except RequestDataTooBig:
        return None
    return None if len(body) > limit else bytes(body)


def _mark_rejected(row: WebhookDelivery, reason: str) -> None:
    WebhookDelivery.objects.filter(pk=row.pk).update(status=Status.REJECTED, error=reason[:MAX_ERROR_LENGTH])
    row.status = Status.REJECTED
    row.error = reason


def _organization_id(value) -> int | None:
    return getattr(value, "pk", value)


def _claim(row: WebhookDelivery, verified: Verified) -> None:
    """Make ``row`` the delivery of its event, or a duplicate of the one that is. The partial unique index on
    (source, event id) decides: of deliveries racing for one event, one UPDATE passes, and the others wait
    for its commit and then fail on the index."""
    event_id = str(verified.event_id).strip()[:255]
    values = {
        "event_id": event_id,
        "event_type": str(verified.event_type or "")[:128],
        "organization_id": _organization_id(verified.organization),
        "payload": verified.payload,
    }
    try:
        with transaction.atomic():
            WebhookDelivery.objects.filter(pk=row.pk).update(status=Status.VERIFIED, **values)
            enqueue_swept_on_commit(PROCESS_TASK, row.pk)
        row.status = Status.VERIFIED
        return
    except IntegrityError as error:
        diagnosis = getattr(error.__cause__, "diag", None)
        if getattr(diagnosis, "constraint_name", None) != _EVENT_ONCE:
            raise
    first = (
        WebhookDelivery.objects.filter(source=row.source, event_id=event_id, status__in=WebhookDelivery.CLAIMED)
        .values_list("pk", flat=True)
        .first()
    )
    WebhookDelivery.objects.filter(pk=row.pk).update(status=Status.DUPLICATE, duplicate_of_id=first, **values)
    row.status = Status.DUPLICATE
    row.duplicate_of_id = first


def _process_task():
    # The task calls back into this module; imported here, where it is needed, as the layers allow.
    from apps.core.tasks import webhook_delivery_process_task

    return webhook_delivery_process_task


@csrf_exempt
@require_POST
@transaction.non_atomic_requests
def webhook_view(request: HttpRequest, source: str, endpoint: str = "") -> HttpResponse:
    """A view an app mounts for its source: ``path("webhooks/<str:endpoint>/", webhook_view,
    {"source": "billing.stripe"})``. No CSRF (the sender is a server, the verifier authenticates it)."""
    return webhook_receive(request, source=source, endpoint=endpoint)


# --- handling ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What one handling run did: ``status`` afterwards (or "skipped"), and when to try again, if ever."""

    status: str
    retry_in: int | None = None


def retry_delay(attempts: int) -> int:
    """Seconds to wait after failed attempt number ``attempts``: 1, 2, 4 … minutes, at most an hour."""
    return min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2 ** max(0, attempts - 1))


def _describe(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}"
    return text[:MAX_ERROR_LENGTH]


def _runnable(now: dt.datetime) -> Q:
    return (
        Q(status=Status.VERIFIED)
        | Q(status=Status.FAILED, next_attempt_at__isnull=False)
        | Q(status=Status.PROCESSING, next_attempt_at__lte=now)
    )


def webhook_delivery_process(*, delivery_id: int) -> Outcome:
    """Handle one delivery through its source's handler, once.

    Claimed first in a short transaction (a row lock that skips a delivery another worker holds, then the
    status "processing" with a lease), then handled in a transaction that also marks it processed, so the
    handler's effect and the mark commit together or not at all. A failure is recorded with the attempt
    count and the time of the next attempt; after :data:`MAX_ATTEMPTS` the delivery stays failed."""
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True).filter(_runnable(now), pk=delivery_id).first()
        )
        if delivery is None:
            return Outcome("skipped")
        delivery.status = Status.PROCESSING
        delivery.attempts += 1
        delivery.next_attempt_at = now + PROCESSING_LEASE
        delivery.save(update_fields=["status", "attempts", "next_attempt_at"])

    source = _sources.get(delivery.source)
    try:
        if source is None:
            raise ImproperlyConfigured(f"no webhook source {delivery.source!r} is registered")
        with transaction.atomic():
            # Still ours? (A lease that ran out may have let another run take it.)
            current = (
                WebhookDelivery.objects.select_for_update()
                .filter(pk=delivery.pk, status=Status.PROCESSING, attempts=delivery.attempts)
                .first()
            )
            if current is None:
                return Outcome("skipped")
            source.handle(current)
            WebhookDelivery.objects.filter(pk=delivery.pk).update(
                status=Status.PROCESSED, processed_at=timezone.now(), next_attempt_at=None, error=""
            )
        return Outcome(Status.PROCESSED)
    except Exception as error:
        logger.warning(
            "webhooks: delivery %s (%s %s) failed, attempt %d of %d: %s",
            delivery.pk,
            delivery.source,
            delivery.event_id,
            delivery.attempts,
            MAX_ATTEMPTS,
            _describe(error),
        )
        retry_in = retry_delay(delivery.attempts) if delivery.attempts < MAX_ATTEMPTS else None
        WebhookDelivery.objects.filter(pk=delivery.pk, status=Status.PROCESSING, attempts=delivery.attempts).update(
            status=Status.FAILED,
            error=_describe(error),
            next_attempt_at=(timezone.now() + dt.timedelta(seconds=retry_in)) if retry_in is not None else None,
        )
        return Outcome(Status.FAILED, retry_in)


def webhook_deliveries_sweep(*, now: dt.datetime | None = None) -> list[int]:
    """Queue again the deliveries whose handling was lost: verified ones that waited longer than
    :data:`SWEEP_AFTER`, failed ones whose retry is overdue by as much, and handlings whose lease ran out.
    Returns their ids. Queuing one twice is harmless: the handling run skips what is not runnable."""
    now = now or timezone.now()
    overdue = now - SWEEP_AFTER
    ids = list(
        WebhookDelivery.objects.filter(
            Q(status=Status.VERIFIED, received_at__lte=overdue)
            | Q(status=Status.FAILED, next_attempt_at__lte=overdue)
            | Q(status=Status.PROCESSING, next_attempt_at__lte=now)
        )
        .order_by("received_at")
        .values_list("pk", flat=True)[:1000]
    )
    for delivery_id in ids:
        enqueue_on_commit(_process_task(), delivery_id)
    return ids


# --- reprocessing -----------------------------------------------------------------------------------------


def webhook_delivery_may_reprocess(user, delivery: WebhookDelivery) -> bool:
    """Superusers; or, for a delivery of one of the user's organizations, whoever may write to the app that
    owns the source (a bookkeeper for billing's, an owner or administrator for any)."""
    if sees_everything(user):
        return True
    if delivery.organization_id is None:
        return False
    return has_power(user, write_power(delivery.source.split(".", 1)[0]), delivery.organization_id)


def webhook_delivery_reprocess(*, delivery: WebhookDelivery, user) -> WebhookDelivery:
    """Run a processed or failed delivery through its handler again (handlers are idempotent): it becomes
    verified with a fresh count of attempts and is queued after commit. Writes the audit record."""
    with transaction.atomic():
        locked = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
        if not webhook_delivery_may_reprocess(user, locked):
            raise PermissionDenied(_("You may not reprocess this webhook delivery."))
        if locked.status not in (Status.PROCESSED, Status.FAILED):
            raise ValidationError(
                _("Only a processed or failed delivery can be reprocessed; this one is {status}.").format(
                    status=locked.get_status_display().lower()
                ),
                code="not_reprocessable",
            )
        before = {"status": locked.status, "attempts": locked.attempts, "error": locked.error}
        locked.status = Status.VERIFIED
        locked.attempts = 0
        locked.error = ""
        locked.next_attempt_at = None
        locked.save(update_fields=["status", "attempts", "error", "next_attempt_at"])
        audit_record(
            action="core.webhook_delivery.reprocess",
            actor=user,
            organization=locked.organization_id,
            obj=locked,
            changes={"before": before, "after": {"status": locked.status}},
        )
        enqueue_swept_on_commit(PROCESS_TASK, locked.pk)
    return locked
