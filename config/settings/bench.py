"""Benchmarks: production-like settings (DEBUG off) on a database of their own, `kontora_bench`."""

import os

from .base import *  # noqa: F403
from .base import DATABASES

DEBUG = False
# KONTORA_BENCH_DATABASE: another name, for benches of a branch whose migrations differ (worktrees side by side).
DATABASES["default"]["NAME"] = os.environ.get("KONTORA_BENCH_DATABASE", "kontora_bench")
CACHES["default"]["KEY_PREFIX"] = "kontora-bench"
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]
