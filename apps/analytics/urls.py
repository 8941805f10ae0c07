"""Traffic pages, under the language prefix: /ru/analytics/, /en/analytics/."""

from django.urls import path

from . import views

app_name = "analytics"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("live/", views.dashboard_sections, name="dashboard-sections"),
    path("campaigns/<int:pk>/", views.campaign, name="campaign"),
    path("imports/new/", views.import_upload, name="import-upload"),
    path("imports/<int:pk>/", views.import_job, name="import-job"),
    path("imports/<int:pk>/status/", views.import_job_status, name="import-job-status"),
]
