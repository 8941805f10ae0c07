"""The state of the parts Kontora needs: database, Redis (cache, channel layer) and the Celery broker.

Each check opens its own short-lived connection with a timeout of ``CHECK_TIMEOUT`` seconds, and the three
run side by side, so /healthz answers within about that time even when a server is unreachable. The public
answer names only the kind of error; the details (host names, paths) go to the log.
"""

from __future__ import annotations

import contextvars
import logging
import time
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import connections

logger = logging.getLogger(__name__)

CHECK_TIMEOUT = 2  # seconds, per check


def _timed(name: str, check, *args) -> dict:
    started = time.perf_counter()
    try:
        check(*args)
    except Exception as error:  # any failure of a dependency is reported, not raised
        elapsed = round((time.perf_counter() - started) * 1000, 1)
        logger.warning("Health check %s failed after %s ms: %s: %s", name, elapsed, type(error).__name__, error)
        return {"ok": False, "ms": elapsed, "error": type(error).__name__}
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}


def _database(params: dict) -> None:
    # A fresh connection rather than the request's own: it has a connect timeout, and a broken persistent
    # connection of this thread cannot make the check lie either way.
    import psycopg

    with psycopg.connect(**params, connect_timeout=CHECK_TIMEOUT, autocommit=True) as conn:
        conn.execute(f"SET statement_timeout = {CHECK_TIMEOUT * 1000}")
        conn.execute("SELECT 1").fetchone()


def _redis(url: str) -> None:
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    client = redis.Redis.from_url(
        url, socket_connect_timeout=CHECK_TIMEOUT, socket_timeout=CHECK_TIMEOUT, retry=Retry(NoBackoff(), 0)
    )
    try:
        client.ping()
    finally:
        client.close()


def _broker(url: str) -> None:
    # Built from the current settings, not from the Celery app (which read its configuration at import).
    from kombu import Connection

    options = {"socket_connect_timeout": CHECK_TIMEOUT, "socket_timeout": CHECK_TIMEOUT, "max_retries": 0}
    with Connection(url, connect_timeout=CHECK_TIMEOUT, transport_options=options) as conn:
        conn.ensure_connection(max_retries=0, timeout=CHECK_TIMEOUT)


def health_report() -> tuple[dict, bool]:
    """``({"status": "ok"|"unavailable", "checks": {name: {"ok", "ms"[, "error"]}}}, healthy)``."""
    database = connections["default"]
    db_params = {key: value for key, value in database.get_connection_params().items() if key != "connect_timeout"}
    plan = {
        "database": (_database, db_params),
        "redis": (_redis, settings.REDIS_URL),
        "broker": (_broker, settings.CELERY_BROKER_URL),
    }
    with ThreadPoolExecutor(max_workers=len(plan), thread_name_prefix="healthz") as pool:
        # Each check runs in a copy of this context, so its log lines keep the request id.
        futures = {
            name: pool.submit(contextvars.copy_context().run, _timed, name, check, arg)
            for name, (check, arg) in plan.items()
        }
        checks = {name: future.result() for name, future in futures.items()}
    healthy = all(check["ok"] for check in checks.values())
    return {"status": "ok" if healthy else "unavailable", "checks": checks}, healthy
