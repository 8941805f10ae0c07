"""Reconciliation (ad network vs attribution platform vs tracker, by day and campaign) and freshness."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from apps.analytics.models import TrafficSource
from apps.analytics.reports import reconciliation_list, source_freshness_list
from apps.analytics.services import import_rows
from tests.analytics.factories import MetricRow, TrafficSourceFactory, import_job, reading_of

pytestmark = pytest.mark.django_db

MAY_1, MAY_2 = date(2026, 5, 1), date(2026, 5, 2)


def load(source, *rows):
    metric_rows = [
        MetricRow(line=i + 2, report_date=day, campaign_id="", campaign_name=name, spend=Decimal(spend), currency="USD")
        for i, (day, name, spend) in enumerate(rows)
    ]
    import_rows(import_job(source), [metric_rows], reading=reading_of(metric_rows))  # the rollup is summed with it


@pytest.fixture
def org(organization):
    organization.reporting_currency_id = "USD"
    organization.save()
    return organization


def test_spend_is_compared_across_the_three_kinds_and_big_differences_are_flagged(org):
    network = TrafficSourceFactory(organization=org, name="Net", kind=TrafficSource.Kind.AD_NETWORK)
    attribution = TrafficSourceFactory(organization=org, name="AF", kind=TrafficSource.Kind.ATTRIBUTION)
    tracker = TrafficSourceFactory(organization=org, name="Keitaro", kind=TrafficSource.Kind.TRACKER)
    load(network, (MAY_1, "Brand", "100.00"), (MAY_1, "Promo", "50.00"), (MAY_2, "Brand", "80.00"))
    load(attribution, (MAY_1, " brand ", "98.00"), (MAY_1, "Promo", "40.00"))
    load(tracker, (MAY_1, "BRAND", "101.00"))

    result = reconciliation_list(organization=org, date_from=MAY_1, date_to=MAY_2)

    rows = {(row.report_date, row.campaign.casefold()): row for row in result.rows}
    brand = rows[(MAY_1, "brand")]
    assert brand.amounts == {
        "ad_network": Decimal("100.00"),
        "attribution": Decimal("98.00"),
        "tracker": Decimal("101.00"),
    }
    assert (brand.difference, brand.share, brand.flagged) == (Decimal("3.00"), Decimal("0.0300"), False)
    promo = rows[(MAY_1, "promo")]
    assert (promo.difference, promo.share, promo.flagged) == (Decimal("10.00"), Decimal("0.2000"), True)
    alone = rows[(MAY_2, "brand")]
    assert (alone.difference, alone.flagged) == (None, False)  # nothing to compare it with

    strict = reconciliation_list(organization=org, date_from=MAY_1, date_to=MAY_2, threshold=Decimal("0.01"))
    assert [(row.campaign.casefold(), row.flagged) for row in strict.rows if row.report_date == MAY_1] == [
        ("brand", True),
        ("promo", True),
    ]


def test_a_source_older_than_its_expected_delay_is_stale(org, other_organization):
    fresh = TrafficSourceFactory(organization=org, name="Fresh", time_zone="UTC", expected_delay=timedelta(days=1))
    late = TrafficSourceFactory(organization=org, name="Late", time_zone="UTC", expected_delay=timedelta(days=1))
    TrafficSourceFactory(organization=org, name="Silent")
    TrafficSourceFactory(organization=other_organization, name="Theirs")
    load(fresh, (MAY_2, "Brand", "1"))
    load(late, (MAY_1, "Brand", "1"))

    now = datetime(2026, 5, 3, 10, 0, tzinfo=UTC)
    found = {item.source.name: item for item in source_freshness_list(organization=org, now=now)}

    assert set(found) == {"Fresh", "Late", "Silent"}
    assert (found["Fresh"].newest, found["Fresh"].age, found["Fresh"].stale) == (MAY_2, timedelta(hours=10), False)
    assert (found["Late"].newest, found["Late"].stale) == (MAY_1, True)
    assert (found["Silent"].newest, found["Silent"].stale) == (None, True)
