"""API routes of this app, mounted at /api/v1/analytics/. Each area registers its viewsets (one line each, so
areas added side by side merge cleanly)."""

from rest_framework.routers import SimpleRouter

from . import payouts, profitability, reference, reports, upload

router = SimpleRouter()
upload.register(router)
payouts.register(router)
reference.register(router)

urlpatterns = [*router.urls, *reports.urlpatterns, *profitability.urlpatterns]
