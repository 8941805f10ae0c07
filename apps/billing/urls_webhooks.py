"""Billing's webhook addresses, ``/billing/webhooks/<provider>/<endpoint>/`` (mounted outside the language
prefixes: a provider's server posts to one fixed address). ``endpoint`` is the gateway's random token
(``GatewayAccount.endpoint``), which names the gateway whose secret verifies the delivery."""

from django.urls import path

from apps.core.mechanisms.webhooks import webhook_view

from .webhooks import STRIPE, YOOKASSA
from .webhooks.tbank import tbank_webhook_view

app_name = "billing_webhooks"

urlpatterns = [
    path("stripe/<str:endpoint>/", webhook_view, {"source": STRIPE}, name="stripe"),
    path("yookassa/<str:endpoint>/", webhook_view, {"source": YOOKASSA}, name="yookassa"),
    path("tbank/<str:endpoint>/", tbank_webhook_view, name="tbank"),
]
