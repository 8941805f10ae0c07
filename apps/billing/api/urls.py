"""API routes of billing, mounted at /api/v1/billing/ (``views`` documents them)."""

from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
views.register(router)

urlpatterns = router.urls
