"""The test suite: the same real PostgreSQL and Redis, isolated per xdist worker by key prefixes."""

import os

from .base import *  # noqa: F403
from .base import CACHES, CHANNEL_LAYERS, DATABASES, REST_FRAMEWORK

DEBUG = False
# Each xdist worker gets its own Redis key space and Celery queue, so parallel workers never see each
# other's cache entries, live events or tasks.
# The run id is inherited by xdist workers and by servers the tests start (daphne), so they share a key
# space with their test process, while two runs side by side never touch each other's keys.
_RUN = os.environ.setdefault("KONTORA_TEST_RUN", str(os.getpid()))
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
CACHES["default"]["KEY_PREFIX"] = f"kontora-test-{_RUN}-{_WORKER}"
CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = f"kontora-test-{_RUN}-{_WORKER}:asgi"
CELERY_TASK_DEFAULT_QUEUE = f"kontora-test-{_RUN}-{_WORKER}"
# Durability is not under test: skipping the WAL flush on commit makes the suite several times faster.
DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c synchronous_commit=off"
DATABASES["default"]["CONN_MAX_AGE"] = 0
# One test database per test process, so that test runs side by side (several checkouts, a developer and an
# editor's test runner) never drop each other's database; xdist adds its worker suffix to this name.
DATABASES["default"]["TEST"] = {"NAME": f"test_kontora_{_RUN}"}
# The tests run as the application's role, with its privileges, as the product does: tests/conftest.py
# creates and migrates the test database as the owner, and `flush` (between transactional tests) runs as it.
# Assertions read English; tests of Russian ask for it (/ru/ pages, Accept-Language), as users do.
LANGUAGE_CODE = "en"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {**REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# A browser test whose server (daphne) and Celery worker are different processes shares uploads through a
# folder it names here; every other test keeps files in memory.
if os.environ.get("KONTORA_TEST_MEDIA_ROOT"):
    STORAGES["default"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": os.environ["KONTORA_TEST_MEDIA_ROOT"]},
    }
WHITENOISE_AUTOREFRESH = True
# Serve static files straight from the apps and static/ (no collectstatic needed outside production).
WHITENOISE_USE_FINDERS = True
