"""The core endpoints at /api/v1/: sign-in tokens and the core resources."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from apps.core.api import (
    schema,  # noqa: F401  (registers the OpenAPI description of the credentials)
    views,
)

router = DefaultRouter()
router.register("organizations", views.OrganizationViewSet, basename="organization")
router.register("memberships", views.MembershipViewSet, basename="membership")
router.register("users", views.UserViewSet, basename="user")
router.register("currencies", views.CurrencyViewSet, basename="currency")
router.register("audit-log", views.AuditLogViewSet, basename="auditlog")
router.register("api-keys", views.ApiKeyViewSet, basename="apikey")

urlpatterns = [
    path("auth/token/", views.TokenObtainView.as_view(), name="api-token-obtain"),
    path("auth/token/refresh/", views.TokenRefreshView.as_view(), name="api-token-refresh"),
    path("auth/token/revoke/", views.TokenRevokeView.as_view(), name="api-token-revoke"),
    *router.urls,
]

from apps.core.api.fx import urlpatterns as fx_urlpatterns  # noqa: E402  (exchange rates: /api/v1/fx-rates/)

urlpatterns += fx_urlpatterns
