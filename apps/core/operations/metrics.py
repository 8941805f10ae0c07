"""Prometheus metrics at /metrics, for the monitoring network only: a request from one of the addresses or
networks in METRICS_ALLOWED_IPS that came straight in (no X-Forwarded-For: through the proxy every client
would look local), or one bearing ``Authorization: Bearer <METRICS_TOKEN>``. Anyone else gets a 404, so the
endpoint does not even admit it exists."""

from __future__ import annotations

import hmac
import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpResponseNotFound
from django_prometheus.exports import ExportToDjangoView


@lru_cache(maxsize=8)
def _networks(allowed: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    # "10.0.0.5" and "10.0.0.0/8" both work; a malformed entry is skipped rather than opening the endpoint.
    networks = []
    for entry in allowed:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            continue
    return tuple(networks)


def _token_ok(request) -> bool:
    token = settings.METRICS_TOKEN
    if not token:
        return False
    header = request.headers.get("Authorization", "")
    # Bytes, because compare_digest refuses non-ASCII str (a stray header must give 404, not 500).
    return hmac.compare_digest(header.encode(), f"Bearer {token}".encode())


def _address_ok(request) -> bool:
    if request.headers.get("X-Forwarded-For"):
        return False
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in network for network in _networks(tuple(settings.METRICS_ALLOWED_IPS)))


def metrics_view(request):
    if not (_token_ok(request) or _address_ok(request)):
        return HttpResponseNotFound()
    return ExportToDjangoView(request)
