"""/api/v1/: the core endpoints at the root, each domain app under its own prefix."""

from django.urls import include, path

urlpatterns = [
    path("", include("apps.core.api.urls")),
    path("ledger/", include("apps.ledger.api.urls")),
    path("analytics/", include("apps.analytics.api.urls")),
    path("leads/", include("apps.leads.api.urls")),
    path("marketplace/", include("apps.marketplace.api.urls")),
    path("billing/", include("apps.billing.api.urls")),
    path("agents/", include("apps.agents.api.urls")),
]
