"""Request-wide middleware: the request id that ties log lines together, and the organization MFA rule."""

from __future__ import annotations

import contextvars
import logging
import re
import uuid

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("kontora_request_id", default=None)
_VALID_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def current_request_id() -> str | None:
    return _request_id.get()


class RequestIdMiddleware:
    """Takes a sane ``X-Request-ID`` from the proxy (nginx sets one) or makes one, exposes it to every log
    record of the request and to Sentry, and echoes it in the response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        # Anything else (too long, spaces, quotes, newlines) would let a client forge or break log lines.
        request_id = incoming if _VALID_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = _request_id.set(request_id)
        try:
            _tag_sentry_scope(request_id)
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response["X-Request-ID"] = request_id
        return response


def _tag_sentry_scope(request_id: str) -> None:
    # From a Sentry event to the log lines of the same request. Sentry's Django integration gives each
    # request its own isolation scope; without a DSN there is nothing to tag.
    import sentry_sdk

    if sentry_sdk.get_client().is_active():
        sentry_sdk.get_isolation_scope().set_tag("request_id", request_id)


class RequestIdLogFilter(logging.Filter):
    """Adds ``request_id`` to every record: the current request's id, or "-" outside a request.

    Django logs "Not Found"/"Internal Server Error" after the middleware has returned, with the request in
    ``extra``: those records take the id from that request.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        record.request_id = _request_id.get() or getattr(request, "request_id", None) or "-"
        return True


class OrganizationMfaMiddleware:
    """Placeholder replaced by the MFA work (see apps.core.auth)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)
