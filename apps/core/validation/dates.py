"""The range of business dates Kontora accepts, in one place for serializers, filters, forms and reports.

Python reads any year from 1 to 9999, PostgreSQL more; a date far outside a business's life is a typo
(2206 for 2026) or a probe, and periods computed from it (a P&L by month from year 1) cost unbounded work or
run past year 9999. So every date that comes in must lie in ``MIN_DATE``..``MAX_DATE``.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(2100, 12, 31)


def check_date(value, *, field: str | None = None):
    """Return ``value`` (a date or datetime) if it lies in the accepted range, else raise a ValidationError
    naming the range (and ``field``, when given)."""
    if value is None:
        return value
    day = value.date() if isinstance(value, dt.datetime) else value
    if not MIN_DATE <= day <= MAX_DATE:
        message = _("Dates must lie between {start} and {end}; {value} does not.").format(
            start=MIN_DATE.isoformat(), end=MAX_DATE.isoformat(), value=day.isoformat()
        )
        raise ValidationError({field: message} if field else message, code="date_range")
    return value


def date_range_validator(value):
    """``check_date`` as a Django/DRF field validator."""
    check_date(value)
