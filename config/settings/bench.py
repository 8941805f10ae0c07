"""Benchmarks: production-like settings (DEBUG off) on a database of their own, `kontora_bench`."""

from .base import *  # noqa: F403
from .base import DATABASES

DEBUG = False
DATABASES["default"]["NAME"] = "kontora_bench"
CACHES["default"]["KEY_PREFIX"] = "kontora-bench"  # noqa: F405
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]  # noqa: F405  (the in-process client of the benches)
