"""/healthz: the real database, Redis and broker answer; unreachable or silent ones make it 503, quickly."""

from __future__ import annotations

import io
import logging
import socket

import pytest
from django.test import override_settings

from apps.core.operations import health

pytestmark = pytest.mark.django_db

DEAD_SOCKET = "/nonexistent/redis.sock"


@pytest.fixture
def silent_server():
    """A loopback port that accepts connections (the kernel does) but never answers a byte."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    yield server.getsockname()[1]
    server.close()


def test_healthz_is_ok_when_everything_answers(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "redis", "broker"}
    for check in body["checks"].values():
        assert check["ok"] is True
        assert isinstance(check["ms"], int | float)


def test_healthz_needs_no_login_and_no_language_prefix(client):
    response = client.get("/healthz", follow=False)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"


@pytest.mark.timeout(20)
@pytest.mark.parametrize(
    ("redis_url", "broker_url"),
    [
        pytest.param(f"unix://{DEAD_SOCKET}", f"redis+socket://{DEAD_SOCKET}", id="missing-unix-socket"),
        pytest.param("redis://127.0.0.1:1/0", "redis://127.0.0.1:1/0", id="refused-tcp-port"),
    ],
)
def test_healthz_is_503_when_redis_and_broker_are_down(client, redis_url, broker_url):
    with override_settings(REDIS_URL=redis_url, CELERY_BROKER_URL=broker_url):
        response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["redis"]["ok"] is False
    assert body["checks"]["broker"]["ok"] is False


@pytest.mark.timeout(20)
def test_a_server_that_accepts_but_never_answers_fails_the_check_instead_of_hanging(client, silent_server):
    url = f"redis://127.0.0.1:{silent_server}/0"
    with override_settings(REDIS_URL=url, CELERY_BROKER_URL=url):
        response = client.get("/healthz")

    assert response.status_code == 503
    checks = response.json()["checks"]
    assert (checks["redis"]["ok"], checks["redis"]["error"]) == (False, "TimeoutError")
    assert checks["broker"]["ok"] is False


@pytest.mark.timeout(20)
def test_the_database_check_has_a_connect_timeout(silent_server):
    result = health._timed("database", health._database, {"host": "127.0.0.1", "port": silent_server, "dbname": "x"})

    assert result["ok"] is False


def test_a_failure_shows_only_the_kind_of_error_publicly_and_the_details_in_the_log(client):
    console = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    stream = io.StringIO()
    previous = console.setStream(stream)
    try:
        with override_settings(REDIS_URL=f"unix://{DEAD_SOCKET}"):
            response = client.get("/healthz", headers={"X-Request-ID": "probe-1"})
    finally:
        console.setStream(previous)

    assert response.json()["checks"]["redis"]["error"] == "ConnectionError"
    assert DEAD_SOCKET not in response.content.decode()
    [line] = [line for line in stream.getvalue().splitlines() if "Health check redis failed" in line]
    assert DEAD_SOCKET in line
    assert "probe-1" in line  # the check ran in a worker thread, and still logged the request's id


def test_the_broker_check_follows_the_current_settings_not_the_celery_app_import():
    from config.celery import app

    assert app.conf.broker_url != f"redis+socket://{DEAD_SOCKET}"
    with override_settings(CELERY_BROKER_URL=f"redis+socket://{DEAD_SOCKET}"):
        report, healthy = health.health_report()

    assert not healthy
    assert report["checks"]["broker"]["ok"] is False
    assert report["checks"]["redis"]["ok"] is True
