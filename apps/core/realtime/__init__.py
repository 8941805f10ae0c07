"""Realtime: each organization has a live stream; pages follow it over one WebSocket (``/ws/live/``).

Domain apps call :func:`publish` (after commit, numbered, kept for replay); ``consumers.LiveConsumer`` serves
the streams of the signed-in user's organizations; ``static/js/live.js`` is the page side.
"""

from apps.core.realtime.events import notify_membership_changed, publish

__all__ = ["notify_membership_changed", "publish"]
