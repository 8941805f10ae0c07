"""Production settings, each in a fresh process (settings are imported once per process): they refuse to start
without their secrets, pass `check --deploy`, send errors to Sentry when asked, and redirect to HTTPS
everything but the health and metrics endpoints."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import textwrap
from pathlib import Path
from urllib.parse import quote

import pytest
from cryptography.fernet import Fernet
from django.conf import settings

from tests.core.throwaway import stop_embedded

BASE_DIR = Path(__file__).resolve().parent.parent.parent
SECRET_KEY = secrets.token_urlsafe(50)
PROD = {
    "DJANGO_SETTINGS_MODULE": "config.settings.prod",
    "DJANGO_SECRET_KEY": SECRET_KEY,
    "KONTORA_SECRET_KEYS": Fernet.generate_key().decode(),
}
PROD_WITH_HOSTS = {**PROD, "DJANGO_ALLOWED_HOSTS": "example.com,www.example.com"}


def _servers() -> dict[str, str]:
    """The URLs of the servers this test run uses (production settings refuse to start without them)."""
    db = settings.DATABASES["default"]
    database_url = "postgres://{user}@{host}:{port}/{name}".format(
        user=quote(db["USER"] or "", safe=""),
        host=quote(str(db["HOST"] or ""), safe=""),
        port=db["PORT"] or "",
        name=quote(db["NAME"], safe=""),
    )
    return {"DATABASE_URL": database_url, "REDIS_URL": settings.REDIS_URL}


def run(args: list[str], env: dict[str, str], *, servers: bool = True) -> subprocess.CompletedProcess:
    # The test's environment minus everything that configures Kontora, plus the URLs of this run's
    # PostgreSQL and Redis (unless ``servers`` is false), plus ``env``.
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "SENTRY_", "AWS_", "LOG_", "METRICS_"))
        # KONTORA_DB_POOL: set in this process by any test that imported config.asgi.
        and key not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "MEDIA_ROOT", "KONTORA_DB_POOL")
    }
    if servers:
        base.update(_servers())
    return subprocess.run(
        [sys.executable, *args], env={**base, **env}, cwd=BASE_DIR, capture_output=True, text=True, timeout=120
    )


def run_script(script: str, env: dict[str, str]) -> dict:
    """Runs ``script`` after django.setup(); the script sets ``result``, which comes back decoded."""
    code = "import json, django\ndjango.setup()\n" + textwrap.dedent(script) + "\nprint(json.dumps(result))\n"
    done = run(["-c", code], env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_production_refuses_to_start_without_a_secret_key():
    done = run(["manage.py", "check"], {"DJANGO_SETTINGS_MODULE": "config.settings.prod"})

    assert done.returncode != 0
    assert "ImproperlyConfigured: DJANGO_SECRET_KEY must be set in production" in done.stderr


@pytest.mark.parametrize(
    ("given", "named"),
    [
        ({}, "DATABASE_URL and REDIS_URL must be set in production"),
        ({"DATABASE_URL": "postgres://kontora@db.invalid/kontora"}, "REDIS_URL must be set in production"),
        ({"REDIS_URL": "redis://redis.invalid:6379/0"}, "DATABASE_URL must be set in production"),
    ],
)
def test_production_refuses_to_start_without_its_servers_and_starts_none_of_its_own(tmp_path, given, named):
    # A var dir of its own: if importing the settings started an embedded server, it would show up here.
    var = tmp_path / "var"
    code = "import django; django.setup()"
    try:
        done = run(["-c", code], {**PROD_WITH_HOSTS, **given, "KONTORA_VAR_DIR": str(var)}, servers=False)
    finally:
        stop_embedded(var)  # were one started, it would not outlive the test

    assert done.returncode != 0
    assert f"ImproperlyConfigured: {named}: the embedded PostgreSQL and Redis are for development" in done.stderr
    assert not (var / "postgres").exists()
    assert not (var / "redis").exists()


def test_production_refuses_to_start_without_allowed_hosts():
    done = run(["manage.py", "check"], PROD)

    assert done.returncode != 0
    assert "ImproperlyConfigured: DJANGO_ALLOWED_HOSTS must be set in production" in done.stderr


@pytest.mark.parametrize("key", ["short-key", "dev-only-insecure-key-never-use-in-production", "ab" * 40])
def test_production_refuses_a_weak_secret_key(key):
    done = run(["manage.py", "check"], {**PROD_WITH_HOSTS, "DJANGO_SECRET_KEY": key})

    assert done.returncode != 0
    assert "DJANGO_SECRET_KEY is too weak for production: use at least 50 random characters" in done.stderr


def test_check_deploy_reports_no_issues():
    done = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], PROD_WITH_HOSTS)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues (0 silenced)." in done.stdout


def test_check_deploy_refuses_an_application_role_that_owns_the_tables():
    from apps.core.operations.database_roles import owner_values

    owner_url = _servers()["DATABASE_URL"].replace(
        "postgres://" + quote(settings.DATABASES["default"]["USER"], safe=""),
        "postgres://" + quote(owner_values()["USER"], safe=""),
        1,
    )
    done = run(["manage.py", "check", "--deploy"], {**PROD_WITH_HOSTS, "DATABASE_URL": owner_url})

    assert done.returncode != 0
    assert "kontora.E100" in done.stderr
    assert "could switch the tables' rules off: it owns" in done.stderr


def test_production_security_settings():
    result = run_script(
        """
        from django.conf import settings as s
        result = {name: getattr(s, name) for name in (
            "DEBUG", "ALLOWED_HOSTS", "SECURE_SSL_REDIRECT", "SECURE_PROXY_SSL_HEADER", "SECURE_HSTS_SECONDS",
            "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "SESSION_COOKIE_SECURE",
            "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "CELERY_WORKER_HIJACK_ROOT_LOGGER")}
        """,
        PROD_WITH_HOSTS,
    )

    assert result == {
        "DEBUG": False,
        "ALLOWED_HOSTS": ["example.com", "www.example.com"],
        "SECURE_SSL_REDIRECT": True,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "CELERY_WORKER_HIJACK_ROOT_LOGGER": False,
    }


def test_production_redirects_to_https_except_health_and_metrics():
    result = run_script(
        """
        from django.test import Client
        from django.urls import Resolver404, resolve

        client = Client(HTTP_HOST="example.com")
        def answer(path, **extra):
            response = client.get(path, **extra)
            return [response.status_code, response.get("Location"), response.get("Strict-Transport-Security")]

        try:
            resolve("/media/organizations/logos/a.png")
            media = "served"
        except Resolver404:
            media = "not served"
        result = {
            "page": answer("/ru/"),
            "healthz": answer("/healthz"),
            "metrics": answer("/metrics", REMOTE_ADDR="203.0.113.9"),
            "via_proxy_https": answer("/healthz", HTTP_X_FORWARDED_PROTO="https"),
            "media": media,
        }
        """,
        PROD_WITH_HOSTS,
    )

    assert result["page"][:2] == [301, "https://example.com/ru/"]
    assert result["healthz"][0] in (200, 503)  # answered, not redirected
    assert result["metrics"][0] == 404  # answered (and refused), not redirected
    assert result["via_proxy_https"][2] == "max-age=31536000; includeSubDomains; preload"
    assert result["media"] == "not served"  # uploads come from S3/MinIO in production


def test_sentry_is_configured_when_a_dsn_is_set():
    result = run_script(
        """
        import sentry_sdk
        client = sentry_sdk.get_client()
        result = {
            "active": client.is_active(),
            "dsn": client.options["dsn"],
            "send_default_pii": client.options["send_default_pii"],
            "max_request_body_size": client.options["max_request_body_size"],
            "integrations": sorted(client.integrations),
        }
        """,
        {**PROD_WITH_HOSTS, "SENTRY_DSN": "https://public-key@sentry.example.invalid/42"},
    )

    assert result["active"] is True
    assert result["dsn"] == "https://public-key@sentry.example.invalid/42"
    assert result["send_default_pii"] is False
    assert result["max_request_body_size"] == "never"
    assert {"django", "celery"} <= set(result["integrations"])


def test_sentry_stays_off_without_a_dsn():
    result = run_script("import sentry_sdk\nresult = sentry_sdk.get_client().is_active()", PROD_WITH_HOSTS)

    assert result is False


def test_production_refuses_to_start_without_the_keys_of_stored_secrets():
    env = {name: value for name, value in PROD_WITH_HOSTS.items() if name != "KONTORA_SECRET_KEYS"}

    done = run(["manage.py", "check"], env)

    assert done.returncode != 0
    assert "ImproperlyConfigured: KONTORA_SECRET_KEYS must be set in production" in done.stderr


def test_production_refuses_a_malformed_secret_key():
    done = run(["manage.py", "check"], {**PROD_WITH_HOSTS, "KONTORA_SECRET_KEYS": "not-a-fernet-key"})

    assert done.returncode != 0
    assert "KONTORA_SECRET_KEYS must hold Fernet keys separated by commas" in done.stderr


def test_the_web_process_pools_its_database_connections_and_reuses_them():
    # The ASGI app runs each request's sync code in a thread of its own; kept connections would be one per
    # thread. The web process takes them from a pool instead: 40 requests' threads, 3 connections. The script
    # starts as daphne does, by importing the application.
    code = textwrap.dedent(
        """
        import json, threading
        import config.asgi
        from django.conf import settings
        from django.db import connection

        pids = set()

        def request():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pids.add(cursor.fetchone()[0])
            connection.close()  # what Django does at the end of each request

        for _ in range(4):
            threads = [threading.Thread(target=request) for _ in range(10)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        db = settings.DATABASES["default"]
        print(json.dumps({"pool": db["OPTIONS"]["pool"], "max_age": db["CONN_MAX_AGE"], "connections": len(pids)}))
        """
    )
    done = run(["-c", code], {**PROD_WITH_HOSTS, "DB_POOL_MIN_SIZE": "1", "DB_POOL_MAX_SIZE": "3"})
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])

    assert result["pool"] == {"min_size": 1, "max_size": 3, "timeout": 10}
    assert result["max_age"] == 0
    assert 1 <= result["connections"] <= 3


def test_a_worker_or_command_keeps_one_connection_per_process_without_a_pool():
    result = run_script(
        """
        from django.conf import settings as s
        db = s.DATABASES["default"]
        result = {"pool": "pool" in db.get("OPTIONS", {}), "max_age": db["CONN_MAX_AGE"]}
        """,
        PROD_WITH_HOSTS,
    )

    assert result == {"pool": False, "max_age": 60}
