"""The project's URLs plus the generic webhook view under a test path, as an app would mount it (core mounts no
webhook route of its own; each app mounts its sources)."""

from django.urls import path

from apps.core.mechanisms.webhooks import webhook_view
from config.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("test-webhooks/<str:source>/<str:endpoint>/", webhook_view, name="test_webhook"),
    *project_urlpatterns,
]
