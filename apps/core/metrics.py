"""Prometheus metrics at /metrics, for the monitoring network only: the addresses in METRICS_ALLOWED_IPS,
or a request bearing ``Authorization: Bearer <METRICS_TOKEN>``."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpResponseNotFound
from django_prometheus.exports import ExportToDjangoView


def _allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(header, f"Bearer {token}"):
        return True
    return request.META.get("REMOTE_ADDR") in settings.METRICS_ALLOWED_IPS and not request.headers.get(
        "X-Forwarded-For"
    )


def metrics_view(request):
    if not _allowed(request):
        return HttpResponseNotFound()
    return ExportToDjangoView(request)
