"""Publishing live events: the one call domain apps use, and the channel-layer groups it sends to."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.utils import timezone

from apps.core.realtime import streams

logger = logging.getLogger(__name__)

# Event types are namespaced by the publishing app ("ledger.balance_changed"); the consumer's own messages
# (hello, pong, gap, error) have no dot, so a page can never mistake one for the other.
EVENT_TYPE_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
EVENT_TYPE_MAX_LENGTH = 100


def organization_group(organization_id: int) -> str:
    return f"org.{organization_id}"


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def publish(organization, event_type: str, payload: Mapping[str, Any] | None = None, *, using: str | None = None):
    """Publish ``event_type`` with ``payload`` to the organization's live stream once the transaction commits.

    ``organization`` is an Organization or its id; ``payload`` a JSON-able mapping (``Decimal`` becomes a
    string). Outside a transaction the event goes out at once; a rolled-back transaction publishes nothing.
    The payload is encoded now, so a value that is not JSON fails here, in the caller, and later changes to
    the objects it came from do not leak into the event. A failure to deliver after the commit is logged,
    never raised: the business change is already committed and must not look failed.

    Call it from synchronous code (services, tasks); async code wraps it in ``sync_to_async``.
    """
    organization_id = _organization_id(organization)
    if (
        not isinstance(event_type, str)
        or len(event_type) > EVENT_TYPE_MAX_LENGTH
        or not EVENT_TYPE_RE.fullmatch(event_type)
    ):
        raise ValueError(f"Event type {event_type!r} must look like 'app.something_happened' (lower case, dotted).")
    if payload is None:
        payload = {}
    if not isinstance(payload, Mapping):
        raise TypeError(f"The payload of a live event must be a mapping, not {type(payload).__name__}.")
    body = streams.envelope_body(event_type=event_type, data=payload, at=timezone.now().isoformat())

    # A named function, not functools.partial: Django logs a robust callback's failure by its __qualname__.
    def deliver_live_event() -> None:
        _deliver(organization_id, body)

    transaction.on_commit(deliver_live_event, using=using, robust=True)


def notify_membership_changed(user, *, using: str | None = None) -> None:
    """Tell the user's open live connections to re-read their memberships now (after the commit).

    Membership services may call it when they add or remove a member; without it a connection notices a
    change within ``REALTIME_MEMBERSHIP_RECHECK_SECONDS`` anyway.
    """
    group = user_group(getattr(user, "pk", user))

    def refresh_live_connections() -> None:
        _group_send(group, {"type": "live.refresh"})

    transaction.on_commit(refresh_live_connections, using=using, robust=True)


def _organization_id(organization) -> int:
    organization_id = getattr(organization, "pk", organization)
    if isinstance(organization_id, bool) or not isinstance(organization_id, int):
        raise TypeError(f"Expected an Organization or its id, got {organization!r}.")
    return organization_id


def _deliver(organization_id: int, body: str) -> None:
    seq, envelope = streams.append(organization_id, body=body)
    _group_send(
        organization_group(organization_id),
        {"type": "live.event", "organization": organization_id, "seq": seq, "text": envelope},
    )


def _group_send(group: str, message: dict) -> None:
    layer = get_channel_layer()
    if layer is None:  # no CHANNEL_LAYERS: the event is stored for replay, nobody is listening live
        logger.warning("No channel layer is configured; live message to %s not sent", group)
        return
    send = async_to_sync(layer.group_send)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        send(group, message)  # plain synchronous code: the usual case
        return
    # Synchronous code on an event loop's thread (Playwright's sync API, a notebook, DJANGO_ALLOW_ASYNC_UNSAFE):
    # async_to_sync refuses to block that loop from inside, so the send runs on a helper thread instead.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(send, group, message).result()
