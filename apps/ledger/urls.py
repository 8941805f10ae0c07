"""Pages of the books, under the language prefix: /ru/ledger/, /en/ledger/."""

from django.urls import path

from . import views

app_name = "ledger"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("live/", views.dashboard_sections, name="dashboard-sections"),
]
