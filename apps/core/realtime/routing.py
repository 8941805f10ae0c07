"""WebSocket URLs (mounted by ``config.asgi`` behind the origin check and the session authentication)."""

from django.urls import path

from apps.core.realtime.consumers import LiveConsumer

websocket_urlpatterns = [
    path("ws/live/", LiveConsumer.as_asgi(), name="live"),
]
