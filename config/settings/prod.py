"""Production: refuses to start without DATABASE_URL, REDIS_URL, a secret key and allowed hosts;
`manage.py check --deploy` is clean.

Behind nginx (docker/nginx.conf), which terminates or forwards HTTPS and sets X-Forwarded-Proto/-For.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_required

# Checked before base.py runs: base.py starts the embedded PostgreSQL and Redis for a missing URL, and those
# are for development, tests and the demo only. Importing production settings must never spawn a server.
_missing = [name for name in ("DATABASE_URL", "REDIS_URL") if not os.environ.get(name)]
if _missing:
    raise ImproperlyConfigured(
        "{names} must be set in production: the embedded PostgreSQL and Redis are for development, tests and "
        "the demo only.".format(names=" and ".join(_missing))
    )

from .base import *  # noqa: E402, F403
from .base import SENTRY_DSN  # noqa: E402

DEBUG = False

SECRET_KEY = env_required("DJANGO_SECRET_KEY")
if SECRET_KEY.startswith(("dev-only-", "django-insecure")) or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is too weak for production: use at least 50 random characters, e.g. the output of "
        "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
    )
ALLOWED_HOSTS = [host.strip() for host in env_required("DJANGO_ALLOWED_HOSTS").split(",") if host.strip()]
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must list the site's host names, separated by commas.")

# Stored credentials are encrypted with these keys (apps/core/mechanisms/secrets.py); in production they are
# never derived from DJANGO_SECRET_KEY.
KONTORA_SECRET_KEYS = [key.strip() for key in env_required("KONTORA_SECRET_KEYS").split(",") if key.strip()]
try:
    from cryptography.fernet import Fernet

    for _key in KONTORA_SECRET_KEYS:
        Fernet(_key)
except ValueError:
    raise ImproperlyConfigured(
        "KONTORA_SECRET_KEYS must hold Fernet keys separated by commas, e.g. the output of "
        "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`."
    ) from None

# Billing's stub checkout page never exists in production, whatever the environment says.
KONTORA_BILLING_STUB_CHECKOUT = False

# HTTPS only. The proxy tells Django which scheme the client used; /healthz and /metrics answer on plain HTTP
# too, because container health checks and Prometheus talk to the web containers directly.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^(healthz|metrics)$"]  # matched against the path without its leading "/"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)
STORAGES["staticfiles"] = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}

# Celery workers log through LOGGING (JSON when LOG_FORMAT=json) instead of replacing the root handler.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    # SENTRY_ENVIRONMENT and SENTRY_RELEASE are read by the SDK itself. No personal data leaves the site:
    # no user e-mails, IP addresses or cookies (send_default_pii), and no request bodies (forms carry
    # passwords, invoices, customer details).
    sentry_sdk.init(
        dsn=SENTRY_DSN,
        integrations=[DjangoIntegration(), CeleryIntegration(monitor_beat_tasks=False)],
        send_default_pii=False,
        max_request_body_size="never",
        traces_sample_rate=0.0,
    )
