"""Usage warnings: when an organization's use of a resource reaches 80 % or 100 % of its plan's limit in a month,
its owners get one e-mail per threshold per month.

The usage services record each threshold the first time it is crossed in a month (a UsageThreshold row, unique
per organization, resource, month and threshold) and call :func:`usage_threshold_notify` in the same
transaction; the notification keys repeat that uniqueness, so a threshold is announced once whatever runs
twice."""

from __future__ import annotations

import datetime as dt

from django.utils import formats

from apps.billing.models import Resource
from apps.core.models import Notification, Organization

from .notices import owners_notify

TEMPLATE = "billing_usage_threshold"


def usage_threshold_notify(
    *, organization, resource: str, period: dt.date, percent: int, used: int, limit: int
) -> list[Notification]:
    """Tell the organization's owners that ``resource`` reached ``percent`` % of its limit in the month of
    ``period`` (once per owner; a repeat returns the first notifications)."""
    if not isinstance(organization, Organization):
        organization = Organization.objects.get(pk=organization)

    def context() -> dict:
        return {
            "organization": organization.name,
            "resource": str(Resource(resource).label),
            "percent": percent,
            "used": used,
            "limit": limit,
            "month": formats.date_format(period, "YEAR_MONTH_FORMAT"),
            "reached": percent >= 100,
        }

    return owners_notify(
        organization=organization,
        template=TEMPLATE,
        context=context,
        key_parts=("usage-threshold", organization.pk, resource, period.isoformat(), percent),
    )
