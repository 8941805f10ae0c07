"""Helpers for the format readers' tests: read a fixture or an in-memory file to a list of rows."""

from __future__ import annotations

import io
from pathlib import Path

from apps.analytics.formats import read

FIXTURES = Path(__file__).parent / "fixtures"


def read_all(source, **options):
    """(reading, rows) for a fixture name, bytes or text."""
    if isinstance(source, str) and "\n" not in source and (FIXTURES / source).exists():
        data = (FIXTURES / source).read_bytes()
    elif isinstance(source, str):
        data = source.encode("utf-8")
    else:
        data = source
    reading = read(io.BytesIO(data), **options)
    rows = [row for batch in reading.batches() for row in batch]
    return reading, rows
