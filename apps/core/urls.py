"""Customer pages of core, under the language prefix (/ru/, /en/)."""

from django.urls import path

from apps.core import views

urlpatterns = [
    path("", views.home, name="home"),
    path("account/", views.account, name="account"),
]
