"""API routes of this app, mounted at /api/v1/analytics/. Register viewsets based on
apps.core.api.viewsets.TenantModelViewSet so every queryset is scoped before filters run."""

from rest_framework.routers import SimpleRouter

from . import reports

router = SimpleRouter()

urlpatterns = [*router.urls, *reports.urlpatterns]
