from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from apps.core import views as core_views

# Under /api/ even Django's own errors (no route, a malformed request) answer in the API's JSON error shape.
handler400 = "apps.core.api.errors.bad_request"
handler403 = "apps.core.api.errors.permission_denied"
handler404 = "apps.core.api.errors.not_found"
handler500 = "apps.core.api.errors.server_error"

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("metrics", core_views.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file (?script): the Content-Security-Policy allows no inline
    # script. Swagger UI itself comes from the drf-spectacular-sidecar wheel (SWAGGER_UI_DIST), not a CDN.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("i18n/", include("django.conf.urls.i18n")),
    # Payment providers post to one fixed address, whatever the language: outside i18n_patterns.
    path("billing/webhooks/", include("apps.billing.urls_webhooks")),
    # Trackers' server-to-server postbacks, likewise at one fixed address.
    path("analytics/postback/", include("apps.analytics.urls_postbacks")),
]

# Customer pages carry their language in the path: /ru/…, /en/….
urlpatterns += i18n_patterns(
    path("", include(("apps.core.urls", "pages"))),
    path("accounts/", include("allauth.urls")),
    path("ledger/", include("apps.ledger.urls")),
    path("analytics/", include("apps.analytics.urls")),
    path("billing/", include("apps.billing.urls")),
    prefix_default_language=True,
)

if settings.DEBUG:  # uploaded files, in development only: production serves them from S3/MinIO
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
