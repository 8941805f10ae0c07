"""Storage of the organizations' live streams in Redis: a sequence number and the last events, for replay.

Each organization's stream has two keys (under the cache's ``KEY_PREFIX``, so test workers never collide):

- ``<prefix>:live:org:<id>:seq``: the stream's counter, incremented once per event;
- ``<prefix>:live:org:<id>:events``: a sorted set of the last ``REALTIME_REPLAY_LIMIT`` events, each stored
  as its JSON envelope and scored by its sequence number.

One Lua script numbers, stores and trims an event, so two publishers can never store the same number, and a
reader never sees the counter ahead of the stored event. Everything here is synchronous (redis-py, one
client per process); the consumer calls it through ``sync_to_async``.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import redis
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder

# The envelope is assembled inside the script: the sequence number only exists once INCR has run. ARGV[2]
# is the JSON object of the other fields without its opening brace, so the result is one valid JSON object
# whose keys read in the documented order: stream, seq, type, data, at.
_APPEND_SCRIPT = """
local seq = redis.call('INCR', KEYS[1])
local envelope = '{"stream":' .. ARGV[1] .. ',"seq":' .. string.format('%d', seq) .. ',' .. ARGV[2]
redis.call('ZADD', KEYS[2], seq, envelope)
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(tonumber(ARGV[3]) + 1))
return {seq, envelope}
"""


@functools.cache
def client() -> redis.Redis:
    """The process's Redis client (redis-py's pool reconnects by itself after a fork)."""
    return redis.Redis.from_url(settings.REDIS_URL)


@functools.cache
def _append_script():
    return client().register_script(_APPEND_SCRIPT)


def stream_name(organization_id: int) -> str:
    return f"org:{organization_id}"


def organization_id_of_stream(stream: Any) -> int | None:
    """``"org:12"`` → ``12``; anything else → ``None``."""
    if not isinstance(stream, str) or not stream.startswith("org:"):
        return None
    number = stream.removeprefix("org:")
    if not number.isascii() or not number.isdigit() or len(number) > 18:
        return None
    return int(number)


def _key(organization_id: int, part: str) -> str:
    return f"{settings.CACHES['default']['KEY_PREFIX']}:live:org:{organization_id}:{part}"


def replay_limit() -> int:
    return max(1, int(settings.REALTIME_REPLAY_LIMIT))


def encode(value: Any) -> str:
    """Compact JSON; ``Decimal``, dates, UUIDs and lazy translations become strings."""
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))


def append(organization_id: int, *, body: str) -> tuple[int, str]:
    """Number and store one event; ``body`` is the encoded ``{"type", "data", "at"}`` object.

    Returns the sequence number and the complete envelope (JSON text), as stored.
    """
    if not body.startswith("{") or body == "{}":
        raise ValueError("body must be a non-empty JSON object")
    seq, envelope = _append_script()(
        keys=[_key(organization_id, "seq"), _key(organization_id, "events")],
        args=[encode(stream_name(organization_id)), body[1:], replay_limit()],
    )
    return int(seq), envelope.decode() if isinstance(envelope, bytes) else envelope


def current_seqs(organization_ids: list[int]) -> dict[int, int]:
    """The last sequence number of each stream (0 for a stream that never had an event)."""
    if not organization_ids:
        return {}
    values = client().mget([_key(org_id, "seq") for org_id in organization_ids])
    return {org_id: int(value or 0) for org_id, value in zip(organization_ids, values)}


@dataclass(frozen=True)
class Replay:
    """What a reconnecting page missed: the stored events after its last one, and whether some are gone."""

    events: list[str]  # JSON envelopes, in sequence order
    seq: int  # the stream's last sequence number
    first: int | None  # the oldest stored sequence number, if any event is stored
    gap: bool  # events after ``after`` were trimmed (or the stream was reset): the page should reload


def replay(organization_id: int, *, after: int) -> Replay:
    """The stored events of the stream with a sequence number above ``after``."""
    pipe = client().pipeline(transaction=True)  # one consistent view of counter and events
    pipe.get(_key(organization_id, "seq"))
    pipe.zrange(_key(organization_id, "events"), 0, 0, withscores=True)
    pipe.zrangebyscore(_key(organization_id, "events"), f"({after}", "+inf")
    seq, oldest, events = pipe.execute()
    seq = int(seq or 0)
    first = int(oldest[0][1]) if oldest else None
    # A client ahead of the counter saw a stream that has since been reset (Redis lost its data): it cannot
    # know what it missed either.
    gap = after > seq or (after < seq and (first is None or first > after + 1))
    return Replay(events=[event.decode() for event in events], seq=seq, first=first, gap=gap)


def envelope_body(*, event_type: str, data: Mapping[str, Any], at: str) -> str:
    return encode({"type": event_type, "data": data, "at": at})
