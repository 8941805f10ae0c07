"""The one place provider clients get their HTTP transports, so that tests stub the providers at the transport
(a requests adapter for Stripe and YooKassa, an httpx transport for T-Bank) and nothing above it is faked."""

from __future__ import annotations

import httpx
import requests

TIMEOUT_SECONDS = 30

# Set by tests (tests/billing/conftest.py): a requests adapter mounted on https:// and an httpx transport.
requests_adapter: requests.adapters.BaseAdapter | None = None
httpx_transport: httpx.BaseTransport | None = None


def requests_session() -> requests.Session:
    session = requests.Session()
    if requests_adapter is not None:
        session.mount("https://", requests_adapter)
    return session


def httpx_client() -> httpx.Client:
    return httpx.Client(timeout=TIMEOUT_SECONDS, transport=httpx_transport)
