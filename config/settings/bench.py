"""Benchmarks: production-like settings (DEBUG off) on a database of their own, `kontora_bench`."""

from .base import *  # noqa: F403
from .base import DATABASES

DEBUG = False
DATABASES["default"]["NAME"] = "kontora_bench"
CACHES["default"]["KEY_PREFIX"] = "kontora-bench"
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]
