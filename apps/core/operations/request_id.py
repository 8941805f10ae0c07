"""The id of the request being served, for everything below the middleware that sets it (the audit log,
log records): one context variable, set by ``apps.core.operations.middleware.RequestIdMiddleware``."""

from __future__ import annotations

import contextvars

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("kontora_request_id", default=None)


def current_request_id() -> str | None:
    return request_id_var.get()
