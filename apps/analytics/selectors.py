"""Reads of traffic data: querysets scoped to one organization, with the joins their callers need."""

from __future__ import annotations

from datetime import date

from django.db.models import Max, QuerySet

from apps.core.accounts.roles import write_power
from apps.core.accounts.tenancy import has_power, scope

from .models import Campaign, DailyRollup, ImportJob, MetricFact, TrafficSource


def traffic_source_list(*, organization) -> QuerySet[TrafficSource]:
    return TrafficSource.objects.for_organization(organization).order_by("name")


def import_job_list(*, organization) -> QuerySet[ImportJob]:
    return ImportJob.objects.for_organization(organization).select_related("source", "created_by")


def import_job_get(*, organization, job_id: int) -> ImportJob:
    """The organization's import job (``ImportJob.DoesNotExist`` for another organization's: not found)."""
    return import_job_list(organization=organization).get(pk=job_id)


def campaign_get(*, user, campaign_id: int) -> Campaign:
    """A campaign of one of the user's organizations (``Campaign.DoesNotExist`` for anyone else's: not found),
    with its source, offer and program."""
    campaigns = scope(Campaign.objects.select_related("source", "offer__program", "organization"), user)
    return campaigns.get(pk=campaign_id)


def campaign_fact_list(
    *, organization_id: int, campaign_ids: list[int], date_from: date, date_to: date
) -> QuerySet[MetricFact]:
    """The daily facts of the campaigns ``campaign_ids`` (one campaign as its sources report it) from
    ``date_from`` to ``date_to``, newest first, each with its source and the import it came from. The natural
    key's unique index (organization, source, report date, campaign…) finds them; a page of them is sorted."""
    return (
        MetricFact.objects.filter(
            organization_id=organization_id,
            source_id__in=Campaign.objects.filter(pk__in=campaign_ids).values("source_id"),
            campaign_id__in=campaign_ids,
            report_date__gte=date_from,
            report_date__lte=date_to,
        )
        .select_related("import_job", "source")
        .order_by("-report_date", "source_id", "import_job_id", "line", "pk")
    )


def campaign_newest_date(*, organization_id: int, campaign_ids: list[int]) -> date | None:
    return (
        DailyRollup.objects.filter(organization_id=organization_id, campaign_id__in=campaign_ids)
        .aggregate(newest=Max("report_date"))
        .get("newest")
    )


def import_job_for_user(*, user, job_id: int) -> ImportJob:
    """An import job of one of the user's organizations (``ImportJob.DoesNotExist`` otherwise: not found)."""
    return scope(ImportJob.objects.select_related("source", "created_by", "organization"), user).get(pk=job_id)


def writable_traffic_sources(*, user) -> list[TrafficSource]:
    """The traffic sources the user may import into: of their organizations, where their role may write."""
    sources = scope(TrafficSource.objects.select_related("organization"), user).order_by("organization__name", "name")
    return [source for source in sources if has_power(user, write_power("analytics"), source.organization_id)]


def postback_endpoint_get(*, public_id: str):
    """The postback endpoint whose address ends in ``public_id`` (active or not), with its source; None when
    there is none. Not scoped: the tracker calling it is no member; its token is what authenticates."""
    from .models import PostbackEndpoint

    return PostbackEndpoint.objects.select_related("source").filter(public_id=public_id).first()
