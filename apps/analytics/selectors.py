"""Reads of traffic data: querysets scoped to one organization, with the joins their callers need."""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet

from .models import ImportJob, MetricFact, TrafficSource


def traffic_source_list(*, organization) -> QuerySet[TrafficSource]:
    return TrafficSource.objects.for_organization(organization).order_by("name")


def import_job_list(*, organization) -> QuerySet[ImportJob]:
    return ImportJob.objects.for_organization(organization).select_related("source", "created_by")


def import_job_get(*, organization, job_id: int) -> ImportJob:
    """The organization's import job (``ImportJob.DoesNotExist`` for another organization's: not found)."""
    return import_job_list(organization=organization).get(pk=job_id)


def metric_fact_list(*, organization, date_from: date, date_to: date) -> QuerySet[MetricFact]:
    """The organization's daily facts from ``date_from`` to ``date_to`` inclusive (the (organization, report
    date) index serves it), with their source and campaign."""
    return (
        MetricFact.objects.for_organization(organization)
        .filter(report_date__gte=date_from, report_date__lte=date_to)
        .select_related("source", "campaign")
    )


def postback_endpoint_get(*, public_id: str):
    """The postback endpoint whose address ends in ``public_id`` (active or not), with its source; None when
    there is none. Not scoped: the tracker calling it is no member; its token is what authenticates."""
    from .models import PostbackEndpoint

    return PostbackEndpoint.objects.select_related("source").filter(public_id=public_id).first()
