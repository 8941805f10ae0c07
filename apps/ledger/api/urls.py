"""/api/v1/ledger/: each area registers its viewsets and views (books, invoices, reports, crypto)."""

from rest_framework.routers import SimpleRouter

from . import books, crypto, invoices, reports

router = SimpleRouter()
for area in (books, invoices, reports, crypto):
    area.register(router)

urlpatterns = [*router.urls]
for area in (books, invoices, reports, crypto):
    urlpatterns += area.urlpatterns
