"""Shared set-up for bench scripts: Django on the bench database, and small statistics helpers."""

from __future__ import annotations

import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.bench")

import django

django.setup()


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def figure(name: str, value: float | int) -> None:
    """Print one result line, ``name=value``."""
    print(f"{name}={value:.3f}" if isinstance(value, float) else f"{name}={value}", flush=True)
