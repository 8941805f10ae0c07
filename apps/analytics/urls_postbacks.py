"""Trackers' postback addresses, ``/analytics/postback/<public id>/?token=…`` (mounted outside the language
prefixes: a tracker calls one fixed address). See apps.analytics.webhooks."""

from django.urls import path

from .webhooks import postback_view

app_name = "analytics_postbacks"

urlpatterns = [
    path("<str:public_id>/", postback_view, name="postback"),
]
