"""Settings shared by every environment. Each value is read from the environment with a safe local default;
``prod.py`` refuses to start without the secrets that have no safe default. Every variable is listed in the
README."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from config import embedded
from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = env_str("DJANGO_SECRET_KEY", "dev-only-insecure-key-never-use-in-production")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
SITE_URL = env_str("SITE_URL", "http://localhost:8000")

# --- Applications -------------------------------------------------------------------------------------

INSTALLED_APPS = [
    "daphne",
    "apps.core.apps.KontoraAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "axes",
    "django_celery_beat",
    "channels",
    "django_prometheus",
    # Kontora: core first, then the domain apps in dependency order (see DESIGN.md).
    "apps.core",
    "apps.ledger",
    "apps.analytics",
    "apps.leads",
    "apps.billing",
    "apps.marketplace",
    "apps.agents",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "apps.core.operations.middleware.RequestIdMiddleware",
    # Outside everything that answers, so every response carries the policy (see the middleware).
    "apps.core.operations.middleware.ContentSecurityPolicyMiddleware",
    "apps.core.operations.middleware.ApiQueryNulMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "apps.core.operations.middleware.OrganizationMfaMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # axes must come last: it turns a lockout raised during authentication into the lockout page.
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"
AUTH_USER_MODEL = "core.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.core.context_processors.kontora",
            ],
        },
    },
]

# --- Database and Redis: the servers named by the environment, else the embedded ones ------------------

# Two roles: the application's (DATABASE_URL) reads and writes rows; the schema's owner
# (DATABASE_OWNER_URL) runs the migrations (`manage.py migrate` switches to it by itself, see
# apps.core.operations.database_roles). The application's role must own nothing and be no superuser, or a
# session of it could switch the tables' rules off. DATABASE_OWNER: what differs for the owner (user,
# password, and host or port if the URL says), or None when one role does both.
DATABASE_URL = env_str("DATABASE_URL")
DATABASE_OWNER = None
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
    if env_str("DATABASE_OWNER_URL"):
        _owner = dj_database_url.parse(env_str("DATABASE_OWNER_URL"))
        DATABASE_OWNER = {key: _owner[key] for key in ("USER", "PASSWORD", "HOST", "PORT") if _owner.get(key)}
else:
    _pg = embedded.ensure_postgres()
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": _pg.name,
            "USER": _pg.user,
            "HOST": _pg.socket_dir,
            "PORT": _pg.port,
            "CONN_MAX_AGE": 60,
        }
    }
    DATABASE_OWNER = {"USER": _pg.owner}
# What the application's role is granted on every table and sequence after each migrate: rows, never
# TRUNCATE (which skips the row triggers) or TRIGGER.
DATABASE_APP_TABLE_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE")
DATABASES["default"]["ENGINE"] = "django.db.backends.postgresql"
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
# The web server (ASGI, set by config/asgi.py) runs each request's sync code in a thread of its own, so a kept
# connection would be one per thread, left open until the thread's garbage is collected: a busy server ran
# PostgreSQL out of connections ("too many clients"). Django's advice for ASGI is psycopg's pool instead; it
# bounds the process's connections (a request waits up to DB_POOL_TIMEOUT seconds for one) and reuses them.
# Workers, beat and commands keep one connection per process, for DB_CONN_MAX_AGE seconds.
if env_bool("KONTORA_DB_POOL", False):
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env_int("DB_POOL_MIN_SIZE", 2),
        "max_size": env_int("DB_POOL_MAX_SIZE", 20),
        "timeout": env_int("DB_POOL_TIMEOUT", 10),
    }
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL") or embedded.ensure_redis()


def _kombu_url(url: str) -> str:
    # kombu spells a unix-socket Redis URL "redis+socket:///path"; redis-py spells it "unix:///path".
    return "redis+socket://" + url.removeprefix("unix://") if url.startswith("unix://") else url


# While Redis is away a request must fail fast (the API answers 503, see apps.core.api.errors), not hang on
# a connect to an unreachable host for the operating system's minutes.
REDIS_CONNECT_TIMEOUT = env_int("REDIS_CONNECT_TIMEOUT", 3)
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "kontora",
        "OPTIONS": {"socket_connect_timeout": REDIS_CONNECT_TIMEOUT, "socket_timeout": 10},
    }
}

# --- Celery ---------------------------------------------------------------------------------------------

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or _kombu_url(REDIS_URL)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "kontora")

# --- Channels -------------------------------------------------------------------------------------------

# Each open page waits for its messages with a blocking Redis pop of 5 seconds (channels_redis'
# brpop_timeout). redis-py's default socket timeout is also 5 seconds, so an idle page's wait timed out on
# the socket first and the page was closed with 1011: the read timeout must outlast the blocking pop. It still
# bounds a read from a Redis that stopped answering, so a dead connection is noticed and replaced.
REALTIME_REDIS_SOCKET_TIMEOUT = env_int("REALTIME_REDIS_SOCKET_TIMEOUT", 30)
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [
                {
                    "address": REDIS_URL,
                    "socket_timeout": REALTIME_REDIS_SOCKET_TIMEOUT,
                    "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
                }
            ],
            "prefix": "kontora:asgi",
        },
    }
}
# How many past events of each organization's live stream are kept for replay on reconnect.
REALTIME_REPLAY_LIMIT = env_int("REALTIME_REPLAY_LIMIT", 1000)
# How often (seconds) an open live connection re-reads its user's memberships and session; membership
# services also tell open connections at once (apps.core.realtime.notify_membership_changed).
REALTIME_MEMBERSHIP_RECHECK_SECONDS = env_int("REALTIME_MEMBERSHIP_RECHECK_SECONDS", 60)

# --- Authentication -------------------------------------------------------------------------------------

AUTHENTICATION_BACKENDS = [
    # axes first: it refuses a locked-out login before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "pages:account"
LOGOUT_REDIRECT_URL = "pages:home"

ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = env_str("ACCOUNT_EMAIL_VERIFICATION", "mandatory")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Kontora] "
ACCOUNT_ADAPTER = "apps.core.accounts.adapters.AccountAdapter"
# allauth keeps its limits on password resets, sign-ups, e-mail confirmations and changes; failed logins
# (and the sign-in code step) are limited by django-axes instead, the same way on every login path.
ACCOUNT_RATE_LIMITS = {"login_failed": None}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Kontora"
MFA_ADAPTER = "apps.core.accounts.mfa.MfaAdapter"
# The sign-in code step counts towards the axes lockout like a wrong password (allauth's limits are off).
MFA_FORMS = {"authenticate": "apps.core.accounts.mfa.AuthenticateForm"}

# Brute-force protection (django-axes): a user+address pair is locked after AXES_FAILURE_LIMIT failures,
# unlocked after AXES_COOLOFF_MINUTES or by an admin (admin "Access attempts", or `manage.py axes_reset`).
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "login"
AXES_USERNAME_CALLABLE = "apps.core.accounts.lockout.username_from_request"
AXES_LOCKOUT_CALLABLE = "apps.core.accounts.lockout.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True

# API tokens: short-lived access tokens, rotating refresh tokens (a reused one revokes its whole family).
API_ACCESS_TOKEN_LIFETIME = timedelta(minutes=env_int("API_ACCESS_TOKEN_MINUTES", 5))
API_REFRESH_TOKEN_LIFETIME = timedelta(days=env_int("API_REFRESH_TOKEN_DAYS", 14))

# --- REST API -------------------------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.core.api.authentication.AccessTokenAuthentication",
        "apps.core.api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["apps.core.api.permissions.IsMember"],
    # DRF's parsers, refusing NUL characters and deeply nested JSON (apps/core/api/parsers.py).
    "DEFAULT_PARSER_CLASSES": [
        "apps.core.api.parsers.JSONParser",
        "apps.core.api.parsers.FormParser",
        "apps.core.api.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "apps.core.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "apps.core.api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "apps.core.api.throttling.UserRateThrottle",
        "apps.core.api.throttling.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": env_str("API_THROTTLE_USER", "1200/min"),
        "anon": env_str("API_THROTTLE_ANON", "60/min"),
        "token": env_str("API_THROTTLE_TOKEN", "20/min"),
    },
    "COERCE_DECIMAL_TO_STRING": True,
    "DATETIME_FORMAT": "iso-8601",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Kontora API",
    # Translated: the schema and its docs follow ?lang= or Accept-Language (ru by default, en on request).
    "DESCRIPTION": _(
        "Books, traffic, leads, shop, billing and agents of one business. Money amounts are decimal strings "
        "with an ISO currency code. Sign in with a token pair (POST /api/v1/auth/token/) or an organization's "
        'API key (Authorization: Api-Key …). Errors have one JSON shape: {"error": {"code", "message", '
        '"fields"}}. Messages come in the language of Accept-Language (Russian or English).'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # One name for a choice set used by several serializers (a traffic source's kind, the kinds a report sums).
    "ENUM_NAME_OVERRIDES": {"TrafficSourceKindEnum": "apps.analytics.models.TrafficSource.Kind"},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "apps.core.api.schema.add_error_responses",
    ],
    # Swagger UI is served from the drf-spectacular-sidecar wheel: no CDN at run time.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Languages and time ---------------------------------------------------------------------------------

LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["apps.core.language.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files --------------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
# Local uploads live beside the embedded database, under var/ (or KONTORA_VAR_DIR), unless MEDIA_ROOT says.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or Path(env_str("KONTORA_VAR_DIR") or BASE_DIR / "var") / "media")
# Uploaded files: the local MEDIA_ROOT folder (served by Django only when DEBUG), or an S3 bucket (AWS S3,
# MinIO) when AWS_STORAGE_BUCKET_NAME is set. The bucket stays private: links are signed and expire.
AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME")
if AWS_STORAGE_BUCKET_NAME:
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            # MinIO or another S3-compatible server; signed links carry this host, so browsers must reach it.
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL") or None,
            "region_name": env_str("AWS_S3_REGION_NAME") or None,
            # "path" for MinIO (bucket in the path, no per-bucket DNS names); unset lets boto3 choose.
            "addressing_style": env_str("AWS_S3_ADDRESSING_STYLE") or None,
            # Unset keys fall back to boto3's own chain (instance role, ~/.aws) rather than to empty strings.
            "access_key": env_str("AWS_ACCESS_KEY_ID") or None,
            "secret_key": env_str("AWS_SECRET_ACCESS_KEY") or None,
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": env_int("AWS_QUERYSTRING_EXPIRE", 3600),
            # boto3 would otherwise sign links with the legacy v2 scheme, refused by newer AWS regions.
            "signature_version": "s3v4",
            "file_overwrite": False,
        },
    }
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Uploads: the largest accepted file, in bytes (each upload field may set a lower limit of its own).
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES

# --- Webhook inbox (apps.core.mechanisms.webhooks) ---------------------------------------------------------

# Proxies (addresses or CIDRs, comma-separated) whose X-Forwarded-For is believed. Empty: the peer's address is
# the client's, and a forged X-Forwarded-For is ignored (verifiers that accept only a provider's IP ranges rely
# on this).
KONTORA_TRUSTED_PROXIES = env_list("KONTORA_TRUSTED_PROXIES")
# The largest webhook body stored; a larger one is answered 413 and recorded as rejected, without its body.
KONTORA_WEBHOOK_MAX_BODY_BYTES = env_int("KONTORA_WEBHOOK_MAX_BODY_BYTES", 1024 * 1024)

# --- E-mail ---------------------------------------------------------------------------------------------

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Kontora <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Domain events and notifications (apps.core.mechanisms.events, .notifications) ---------------------------

# Attempts before a failing event handler's delivery, or a notification the provider keeps deferring, is
# marked failed (the waits between them double, from 30 s and 1 min, up to an hour).
DOMAIN_EVENTS_MAX_ATTEMPTS = env_int("DOMAIN_EVENTS_MAX_ATTEMPTS", 8)
NOTIFICATIONS_MAX_ATTEMPTS = env_int("NOTIFICATIONS_MAX_ATTEMPTS", 8)

# --- Security -------------------------------------------------------------------------------------------

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # the small JS client reads it to send X-CSRFToken
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# --- Secrets at rest and billing's platform accounts ---------------------------------------------------

# Fernet keys of stored credentials (apps/core/mechanisms/secrets.py), comma-separated, the encrypting one
# first. Empty here: development and tests derive one from SECRET_KEY; production settings require it.
KONTORA_SECRET_KEYS = env_list("KONTORA_SECRET_KEYS")

# The platform's own payment accounts (apps/billing/models/gateways.py, ``platform_gateway``): the operator's
# organization (by slug) whose books receive platform payments, and each provider's credentials.
KONTORA_PLATFORM_ORGANIZATION = env_str("KONTORA_PLATFORM_ORGANIZATION", "")
KONTORA_PAYMENTS_TEST_MODE = env_bool("KONTORA_PAYMENTS_TEST_MODE", True)
KONTORA_STRIPE_SECRET_KEY = env_str("KONTORA_STRIPE_SECRET_KEY", "")
KONTORA_STRIPE_WEBHOOK_SECRET = env_str("KONTORA_STRIPE_WEBHOOK_SECRET", "")
KONTORA_YOOKASSA_SHOP_ID = env_str("KONTORA_YOOKASSA_SHOP_ID", "")
KONTORA_YOOKASSA_SECRET_KEY = env_str("KONTORA_YOOKASSA_SECRET_KEY", "")
KONTORA_TBANK_TERMINAL_KEY = env_str("KONTORA_TBANK_TERMINAL_KEY", "")
KONTORA_TBANK_PASSWORD = env_str("KONTORA_TBANK_PASSWORD", "")
# Billing's stub checkout page (apps/billing/services/checkout.py): when the platform has no gateway configured,
# a checkout goes to a labelled test page of our own. Works only together with KONTORA_PAYMENTS_TEST_MODE;
# production settings switch it off whatever the environment says.
KONTORA_BILLING_STUB_CHECKOUT = env_bool("KONTORA_BILLING_STUB_CHECKOUT", False)
# The platform's VAT code on subscription receipts and invoices (YooKassa's numbering: 1 no VAT, 4 20%…), and the
# seller's details printed on invoices for bank transfer (name, tax id, bank account; several lines allowed).
KONTORA_BILLING_VAT_CODE = env_int("KONTORA_BILLING_VAT_CODE", 1)
# Which platform provider takes subscription payments: roubles (default yookassa) and other currencies (stripe).
KONTORA_BILLING_PROVIDER_RUB = env_str("KONTORA_BILLING_PROVIDER_RUB", "yookassa")
KONTORA_BILLING_PROVIDER_OTHER = env_str("KONTORA_BILLING_PROVIDER_OTHER", "stripe")
KONTORA_BILLING_SELLER_DETAILS = env_str("KONTORA_BILLING_SELLER_DETAILS", "").replace("\\n", "\n")

# --- Operations -----------------------------------------------------------------------------------------

# /metrics is served only to these addresses or with "Authorization: Bearer <METRICS_TOKEN>".
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", ["127.0.0.1", "::1"])
LOG_FORMAT = env_str("LOG_FORMAT", "text")  # "text" for people, "json" for log collectors
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
SENTRY_DSN = env_str("SENTRY_DSN", "")

from config.logging import build_logging  # noqa: E402

LOGGING = build_logging(fmt=LOG_FORMAT, level=LOG_LEVEL)
