"""Factories of traffic data, and rows built in code the way the file reader (apps.analytics.formats) builds
them, so the pipeline can be tested without a file."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import factory

from apps.analytics.models import AffiliateProgram, ImportJob, TrafficSource
from apps.analytics.services import import_job_create
from tests.core.factories import OrganizationFactory

try:  # the reader's own row types, once apps.analytics.formats is merged
    from apps.analytics.formats.rows import ConversionRow, MetricRow
except ImportError:  # until then, the same fields as its contract (briefs/aformats.md)

    @dataclass(slots=True)
    class MetricRow:
        line: int
        report_date: date
        campaign_id: str
        campaign_name: str
        ad_group: str = ""
        creative: str = ""
        placement: str = ""
        country: str = ""
        os: str = ""
        sub_id: str = ""
        impressions: int | None = None
        clicks: int | None = None
        installs: int | None = None
        conversions: int | None = None
        events: dict[str, int] | None = None
        spend: Decimal | None = None
        revenue: Decimal | None = None
        currency: str = ""

    @dataclass(slots=True)
    class ConversionRow:
        line: int
        click_id: str
        transaction_id: str
        event: str
        status: str
        payout: Decimal | None
        currency: str
        click_time: datetime | None
        conversion_time: datetime
        campaign_id: str = ""
        campaign_name: str = ""
        country: str = ""
        os: str = ""
        sub_id: str = ""


__all__ = ["ConversionRow", "MetricRow"]


class TrafficSourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrafficSource

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Moloco {n}")
    kind = TrafficSource.Kind.AD_NETWORK
    time_zone = "UTC"
    currency = "USD"


class AffiliateProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AffiliateProgram

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Program {n}")


def import_job(source: TrafficSource, content: bytes = b"", *, keep_valid=False, force=False, name="report.csv"):
    """A queued import job of ``content`` (any bytes: rows are handed to the pipeline directly)."""
    return import_job_create(
        organization=source.organization,
        source=source,
        file=io.BytesIO(content or f"rows for {name}".encode()),
        file_name=name,
        keep_valid=keep_valid,
        force=force,
    )


def fact_rows(count: int, *, day: date = date(2026, 5, 1), spend=Decimal("1.50"), currency="USD", start_line=2):
    """``count`` distinct daily facts of three campaigns, one per country code and creative."""
    rows = []
    for index in range(count):
        rows.append(
            MetricRow(
                line=start_line + index,
                report_date=day,
                campaign_id=f"cmp-{index % 3}",
                campaign_name=f"Campaign {index % 3}",
                creative=f"creative-{index}",
                country="US" if index % 2 else "DE",
                os="ios" if index % 2 else "android",
                impressions=1000 + index,
                clicks=10 + index,
                installs=index,
                spend=spend + index,
                currency=currency,
            )
        )
    return rows


class FakeReading:
    """What the reader reports after the last batch: bad cells, warnings, rows read, the time zone."""

    def __init__(self, *, errors=(), warnings=(), rows_read=None, timezone="UTC"):
        self.errors = list(errors)
        self.warnings = list(warnings)
        self.rows_read = rows_read
        self.timezone = timezone
        self.format = None


def reading_of(rows, *, errors=(), bad_rows=0, warnings=(), timezone="UTC") -> FakeReading:
    return FakeReading(errors=errors, warnings=warnings, rows_read=len(rows) + bad_rows, timezone=timezone)


ImportJobStatus = ImportJob.Status
