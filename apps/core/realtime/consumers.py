"""The live WebSocket ``/ws/live/``: the events of the signed-in user's organizations, with replay.

Protocol, in JSON text frames. The server sends:

- ``{"type": "hello", "streams": [{"stream": "org:1", "name": "…", "seq": 41}, …]}`` after connecting, and
  again whenever the user's organizations change (a stream that is no longer listed is no longer followed);
- the event envelopes themselves: ``{"stream": "org:1", "seq": 42, "type": "ledger.balance_changed",
  "data": {…}, "at": "2026-01-31T12:00:00+00:00"}`` (event types always contain a dot, control messages never);
- ``{"type": "gap", "stream": "org:1", "after": 3, "first": 120, "seq": 1119}`` when a resume asks for
  events that were already trimmed (``first`` is the oldest one kept, or null): the page should reload;
- ``{"type": "pong"}``, and ``{"type": "error", "code": "…", "message": "…"}``.

The page sends ``{"type": "resume", "stream": "org:1", "after": 41}`` (replays the stored events with a higher
sequence number, in order) and ``{"type": "ping"}``. A connection without a signed-in user is accepted and
closed at once with code 4401, so the page can tell "signed out" from a network failure and stop retrying.

Only memberships count: a superuser follows the organizations they are a member of, never "all of them".

Membership re-check: the consumer keeps the user's organization ids and re-reads them, together with the
session (signed out, password changed, user deactivated → closed with 4401), when they are older than
``REALTIME_MEMBERSHIP_RECHECK_SECONDS`` (60 by default) at the moment an event is delivered, a resume is
asked or a ping arrives. A removed member therefore stops receiving that organization's events at the latest
one interval after the removal, at the cost of at most one small query per connection per interval, and
only while events flow. Services can make it immediate with ``notify_membership_changed(user)``, which sends
``live.refresh`` to the user's personal group.
"""

from __future__ import annotations

import json
import time
from importlib import import_module
from types import SimpleNamespace

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.contrib import auth
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from apps.core.realtime import streams
from apps.core.realtime.events import organization_group, user_group

CLOSE_UNAUTHENTICATED = 4401
DEFAULT_RECHECK_SECONDS = 60


def recheck_seconds() -> float:
    return float(getattr(settings, "REALTIME_MEMBERSHIP_RECHECK_SECONDS", DEFAULT_RECHECK_SECONDS))


def load_access(session_key: str | None, user_id: int) -> dict[int, str] | None:
    """``{organization_id: name}`` of the user's memberships, or ``None`` if the session no longer signs
    this user in (logged out, expired, password changed, user deactivated or deleted)."""
    from apps.core.models import Membership

    if not session_key:
        return None
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    # The same check Django makes on every request: the backend loads the user (active ones only) and the
    # session's hash must match the user's password hash.
    user = auth.get_user(SimpleNamespace(session=session))
    if not user.is_authenticated or user.pk != user_id:
        return None
    rows = Membership.objects.filter(user_id=user_id).values_list("organization_id", "organization__name")
    return dict(rows)


class LiveConsumer(AsyncJsonWebsocketConsumer):
    """One page's live connection: the streams of its user's organizations (see the module docstring)."""

    user_id: int | None = None
    session_key: str | None = None
    language: str = ""
    organizations: dict[int, str]
    checked_at: float = 0.0
    ended: bool = False

    async def connect(self):
        self.organizations = {}
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            # Accept, then close: a refusal before the handshake reaches the browser as a bare 1006.
            await self.accept()
            await self.end()
            return
        self.user_id = user.pk
        self.session_key = getattr(self.scope.get("session"), "session_key", None)
        self.language = getattr(user, "language", "") or settings.LANGUAGE_CODE
        await self.accept()
        await self.channel_layer.group_add(user_group(self.user_id), self.channel_name)
        await self.refresh(announce=True)

    async def disconnect(self, code):
        if self.user_id is None:
            return
        for organization_id in self.organizations:
            await self.channel_layer.group_discard(organization_group(organization_id), self.channel_name)
        await self.channel_layer.group_discard(user_group(self.user_id), self.channel_name)

    async def end(self):
        self.ended = True
        await self.close(code=CLOSE_UNAUTHENTICATED)

    # --- memberships ------------------------------------------------------------------------------------

    def stale(self) -> bool:
        return time.monotonic() - self.checked_at >= recheck_seconds()

    async def refresh(self, *, announce: bool = False) -> bool:
        """Re-read the session and the memberships; follow exactly the user's organizations. False if ended."""
        access = await database_sync_to_async(load_access)(self.session_key, self.user_id)
        self.checked_at = time.monotonic()
        if access is None:
            await self.end()
            return False
        before, after = set(self.organizations), set(access)
        for organization_id in after - before:
            await self.channel_layer.group_add(organization_group(organization_id), self.channel_name)
        for organization_id in before - after:
            await self.channel_layer.group_discard(organization_group(organization_id), self.channel_name)
        self.organizations = access
        if announce or before != after:
            await self.send_hello()
        return True

    async def ensure_fresh(self) -> bool:
        if self.ended:
            return False
        if self.stale():
            return await self.refresh()
        return True

    async def send_hello(self):
        ids = sorted(self.organizations, key=lambda org_id: (self.organizations[org_id], org_id))
        seqs = await sync_to_async(streams.current_seqs, thread_sensitive=False)(ids)
        hello = [
            {"stream": streams.stream_name(org_id), "name": self.organizations[org_id], "seq": seqs[org_id]}
            for org_id in ids
        ]
        await self.send_json({"type": "hello", "streams": hello})

    # --- from the channel layer -------------------------------------------------------------------------

    async def live_event(self, message):
        if not await self.ensure_fresh():
            return
        if message["organization"] in self.organizations:
            await self.send(text_data=message["text"])

    async def live_refresh(self, message):
        if not self.ended:
            await self.refresh()

    # --- from the page ----------------------------------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if self.user_id is None or self.ended:
            return
        try:
            content = json.loads(text_data) if text_data else None
        except ValueError:
            content = None
        if not isinstance(content, dict):
            await self.send_error("bad_request", _("Send a JSON object with a “type”."))
            return
        await self.receive_json(content)

    async def receive_json(self, content, **kwargs):
        kind = content.get("type")
        if kind == "ping":
            if await self.ensure_fresh():
                await self.send_json({"type": "pong"})
        elif kind == "resume":
            await self.resume(content.get("stream"), content.get("after"))
        else:
            await self.send_error("unknown_type", _("Unknown message type."))

    async def resume(self, stream, after):
        if isinstance(after, bool) or not isinstance(after, int) or after < 0:
            await self.send_error("bad_request", _("“after” must be a sequence number (0 or more)."), stream=stream)
            return
        if not await self.ensure_fresh():
            return
        organization_id = streams.organization_id_of_stream(stream)
        if organization_id not in self.organizations:
            # The same answer for a foreign organization and one that does not exist: nothing leaks.
            await self.send_error("forbidden_stream", _("You do not follow this stream."), stream=stream)
            return
        replay = await sync_to_async(streams.replay, thread_sensitive=False)(organization_id, after=after)
        if replay.gap:
            await self.send_json(
                {"type": "gap", "stream": stream, "after": after, "first": replay.first, "seq": replay.seq}
            )
        for envelope in replay.events:
            await self.send(text_data=envelope)

    async def send_error(self, code: str, message: str, **extra):
        with translation.override(self.language or settings.LANGUAGE_CODE):
            text = str(message)
        await self.send_json({"type": "error", "code": code, "message": text, **extra})
