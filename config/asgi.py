"""ASGI entry point: HTTP through Django, WebSockets through Channels (one authenticated endpoint)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
# The web process pools its database connections (see DATABASES in config/settings/base.py).
os.environ.setdefault("KONTORA_DB_POOL", "1")
django_asgi_app = get_asgi_application()

from django.urls import get_resolver  # noqa: E402

# Every URL's views are imported now, before the server accepts a connection, rather than by the first request
# (0.7 s of imports that the first requests after each start would all wait behind).
get_resolver().url_patterns  # noqa: B018 (read for its import)

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from apps.core.realtime.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
