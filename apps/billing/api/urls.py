"""API routes of this app, mounted at /api/v1/billing/. Register viewsets based on
apps.core.api.viewsets.TenantModelViewSet so every queryset is scoped before filters run."""

from rest_framework.routers import SimpleRouter

router = SimpleRouter()

urlpatterns = router.urls
