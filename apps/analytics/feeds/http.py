"""The HTTP client of scheduled imports: one transport (``TRANSPORT``: tests put an ``httpx.MockTransport``
here; in production it stays None, the real network) and the back-off every provider's rate limit needs."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable

import httpx
from django.utils import timezone
from django.utils.translation import gettext as _

from . import FeedError

TIMEOUT = httpx.Timeout(60.0, connect=10.0)
TRANSPORT: httpx.BaseTransport | None = None

# Rate limits: the attempts one request gets, and the longest wait between two (a Retry-After above it is cut).
ATTEMPTS = 5
BACKOFF_BASE_SECONDS = 2.0
BACKOFF_MAX_SECONDS = 120.0
BACKED_OFF = frozenset({429, 503})


def client() -> httpx.Client:
    return httpx.Client(timeout=TIMEOUT, transport=TRANSPORT, follow_redirects=True)


def retry_after(response: httpx.Response, attempt: int) -> float:
    """Seconds to wait before trying again: the server's Retry-After (seconds or an HTTP date) when it sends
    one, else 2, 4, 8 … seconds; never more than :data:`BACKOFF_MAX_SECONDS`."""
    header = response.headers.get("Retry-After", "").strip()
    wait = None
    if header.isdigit():
        wait = float(header)
    elif header:
        try:
            wait = (email.utils.parsedate_to_datetime(header) - timezone.now()).total_seconds()
        except (TypeError, ValueError):
            wait = None
    if wait is None:
        wait = BACKOFF_BASE_SECONDS * 2 ** (attempt - 1)
    return max(0.0, min(wait, BACKOFF_MAX_SECONDS))


def send(
    http: httpx.Client, method: str, url: str, *, sleep: Callable[[float], None] = time.sleep, **kwargs
) -> httpx.Response:
    """The response to the request, after waiting out rate limits (429, 503) up to :data:`ATTEMPTS` times;
    a connection that fails is a :class:`FeedError`."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            response = http.request(method, url, **kwargs)
        except httpx.HTTPError as error:
            raise FeedError(_("{url} could not be reached: {error}").format(url=_safe(url), error=error)) from None
        if response.status_code not in BACKED_OFF or attempt == ATTEMPTS:
            return response
        sleep(retry_after(response, attempt))
    return response  # pragma: no cover - the loop returns


def _safe(url: str) -> str:
    """The address without its query (a signed link's query is a credential)."""
    return url.split("?", 1)[0]


def refused(response: httpx.Response, what: str) -> FeedError:
    """The error of a response that is not a success, naming what was asked and what the server said."""
    body = response.text[:300].strip() if response.content else ""
    return FeedError(
        _("{what}: the server answered {status}. {body}").format(what=what, status=response.status_code, body=body)
    )
