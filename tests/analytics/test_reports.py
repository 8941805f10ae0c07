"""Traffic reports: sums and KPIs per grouping from the rollup, amounts in the reporting currency at each
day's rate (the rates shown), time zones kept apart, filters, totals, a pinned number of queries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.analytics.models import AffiliateProgram, Campaign, Offer, TrafficSource
from apps.analytics.reports import MissingRate, ReportFilters, traffic_report
from apps.analytics.services import import_rows
from apps.core.models import FxRate
from tests.analytics.factories import MetricRow, TrafficSourceFactory, import_job, reading_of

pytestmark = pytest.mark.django_db

MAY_1, MAY_2, MAY_3 = date(2026, 5, 1), date(2026, 5, 2), date(2026, 5, 3)


def row(line, day, campaign, *, country="US", os="ios", creative="", spend="0", revenue=None, currency="USD", **m):
    return MetricRow(
        line=line,
        report_date=day,
        campaign_id=campaign,
        campaign_name=campaign.title(),
        country=country,
        os=os,
        creative=creative,
        spend=Decimal(spend),
        revenue=None if revenue is None else Decimal(revenue),
        currency=currency,
        **m,
    )


def load(source, rows, *, time_zone="UTC"):
    # The import sums its days into the rollup, which the reports read.
    return import_rows(import_job(source, force=True), [rows], reading=reading_of(rows, timezone=time_zone))


@pytest.fixture
def org(organization):
    organization.reporting_currency_id = "USD"
    organization.save()
    return organization


@pytest.fixture
def rates(org):
    FxRate.objects.create(date=MAY_1, base_id="EUR", quote_id="USD", rate=Decimal("1.100000000000"), source="cbr")
    FxRate.objects.create(date=MAY_2, base_id="EUR", quote_id="USD", rate=Decimal("1.200000000000"), source="cbr")


@pytest.fixture
def network(org):
    return TrafficSourceFactory(organization=org, name="Network", time_zone="UTC")


def test_amounts_are_converted_at_each_days_rate_and_the_rates_are_shown(org, rates, network):
    load(
        network,
        [
            row(2, MAY_1, "alpha", spend="10.00", revenue="20.00", clicks=10, impressions=1000),
            row(3, MAY_1, "alpha", country="DE", spend="10.00", revenue="0.00", currency="EUR", clicks=5),
            row(4, MAY_2, "alpha", country="DE", spend="10.00", revenue="30.00", currency="EUR", clicks=5),
        ],
    )

    report = traffic_report(organization=org, date_from=MAY_1, date_to=MAY_3, group_by="day")

    assert report.currency == "USD"
    assert [(r.key, r.sums["spend"], r.sums["revenue"]) for r in report.rows] == [
        ("2026-05-01", Decimal("21.00"), Decimal("20.00")),  # 10 USD + 10 EUR at 1.1
        ("2026-05-02", Decimal("12.00"), Decimal("36.00")),  # at 1.2
    ]
    assert [(r.base, r.quote, r.on, r.rate) for r in report.rates] == [
        ("EUR", "USD", MAY_1, Decimal("1.100000000000")),
        ("EUR", "USD", MAY_2, Decimal("1.200000000000")),
    ]
    assert [rate.rate for rate in report.rows[1].rates] == [Decimal("1.200000000000")]
    assert report.totals["spend"] == Decimal("33.00")
    assert report.totals["clicks"] == 20
    assert report.total_kpis["cpc"] == Decimal("1.6500")
    assert report.total_kpis["roas"] == Decimal("169.70")  # 56 / 33
    assert report.rows[0].kpis["ctr"] == Decimal("1.50")  # 15 clicks over the 1,000 impressions reported
    assert report.rows[1].kpis["ctr"] is None  # no impressions reported on 2 May: no CTR, never 0


def test_a_missing_rate_is_refused_naming_the_pair_and_the_day(org, network):
    load(network, [row(2, MAY_1, "alpha", spend="10.00", currency="EUR")])

    with pytest.raises(MissingRate) as refused:
        traffic_report(organization=org, date_from=MAY_1, date_to=MAY_1)
    assert (refused.value.base, refused.value.quote, refused.value.date) == ("EUR", "USD", MAY_1)


def test_amounts_are_rounded_once_so_the_totals_do_not_depend_on_the_grouping(org, network):
    FxRate.objects.create(date=MAY_1, base_id="EUR", quote_id="USD", rate=Decimal("1.5"), source="cbr")
    load(network, [row(2 + n, MAY_1, f"c{n}", spend="1.01", currency="EUR") for n in range(3)])

    by_day = traffic_report(organization=org, date_from=MAY_1, date_to=MAY_1, group_by="day")
    by_campaign = traffic_report(organization=org, date_from=MAY_1, date_to=MAY_1, group_by="campaign")

    # 3 x 1.01 EUR at 1.5 is 4.545 USD, rounded half-even once: 4.54 (each campaign's 1.515 rounds to 1.52).
    assert by_day.totals["spend"] == by_campaign.totals["spend"] == Decimal("4.54")
    assert [r.sums["spend"] for r in by_campaign.rows] == [Decimal("1.52")] * 3


@pytest.mark.parametrize(("group_by", "key"), [("day", "2026-05-01"), ("week", "2026-04-27"), ("month", "2026-05")])
def test_facts_of_different_time_zones_are_never_one_day(org, network, group_by, key):
    tracker = TrafficSourceFactory(organization=org, name="Tracker", time_zone="Europe/Moscow")
    load(network, [row(2, MAY_1, "alpha", spend="1.00", clicks=1)])
    load(tracker, [row(2, MAY_1, "alpha", spend="2.00", clicks=2)], time_zone="Europe/Moscow")

    report = traffic_report(organization=org, date_from=MAY_1, date_to=MAY_1, group_by=group_by)

    assert [(r.key, r.time_zone, r.sums["clicks"]) for r in report.rows] == [
        (key, "Europe/Moscow", 2),
        (key, "UTC", 1),
    ]
    assert report.mixed_time_zones
    assert report.time_zones == ["Europe/Moscow", "UTC"]


def test_the_report_names_the_kinds_of_the_sources_it_sums(org, network):
    tracker = TrafficSourceFactory(organization=org, name="Tracker", kind=TrafficSource.Kind.TRACKER)
    load(network, [row(2, MAY_1, "alpha", spend="1.00", clicks=10)])
    load(tracker, [row(2, MAY_1, "alpha", spend="1.00", clicks=9)])

    both = traffic_report(organization=org, date_from=MAY_1, date_to=MAY_1, group_by="day")
    network_alone = traffic_report(
        organization=org, date_from=MAY_1, date_to=MAY_1, filters=ReportFilters(source=network.pk)
    )

    assert both.source_kinds == ["ad_network", "tracker"]
    assert both.mixed_source_kinds
    assert network_alone.source_kinds == ["ad_network"]
    assert not network_alone.mixed_source_kinds


def test_sources_of_several_kinds_give_each_metric_from_the_kind_that_counts_it_first_hand(org, network):
    tracker = TrafficSourceFactory(organization=org, name="Tracker", kind=TrafficSource.Kind.TRACKER)
    load(network, [row(2, MAY_1, "alpha", spend="40.00", clicks=100, impressions=5000, installs=8)])
    # The tracker counts the same clicks (and was told a cost) in its own way, and alone knows the revenue.
    load(tracker, [row(2, MAY_1, "alpha", spend="38.00", revenue="90.00", clicks=97, conversions=6)])

    report = traffic_report(organization=org, date_from=MAY_1, date_to=MAY_1, group_by="day")

    assert report.totals == {
        "impressions": 5000, "clicks": 100, "installs": 8, "conversions": 6,
        "spend": Decimal("40.00"), "revenue": Decimal("90.00"),
    }  # fmt: skip
    assert report.metric_kinds == {
        "impressions": ["ad_network"], "clicks": ["ad_network"], "spend": ["ad_network"], "installs": ["ad_network"],
        "conversions": ["tracker"], "revenue": ["tracker"],
    }  # fmt: skip
    assert report.total_kpis["profit"] == Decimal("50.00")  # the tracker's revenue less the network's spend
    assert report.source_kinds_warning == (
        "The report adds up sources of different kinds (ad network, tracker). So that nothing is counted twice, "
        "each metric of a campaign's day is taken from one kind of source: spend, impressions, clicks and installs "
        "from the ad networks; conversions and revenue from the trackers. Where that kind has no value for the "
        "campaign's day, it is taken from another kind."
    )


def test_a_campaign_or_a_day_only_one_kind_reports_keeps_all_its_figures(org, network):
    tracker = TrafficSourceFactory(organization=org, name="Tracker", kind=TrafficSource.Kind.TRACKER)
    load(network, [row(2, MAY_1, "alpha", spend="40.00", clicks=100)])  # the network has not sent May 2 yet
    load(
        tracker,
        [
            row(2, MAY_1, "alpha", spend="38.00", revenue="90.00", clicks=97),
            row(3, MAY_2, "alpha", spend="41.00", revenue="95.00", clicks=99),
            row(4, MAY_1, "organic", spend="25.00", revenue="30.00", clicks=50),  # a campaign the network never ran
        ],
    )

    both_days = traffic_report(organization=org, date_from=MAY_1, date_to=MAY_2, group_by="day")
    may_2 = traffic_report(organization=org, date_from=MAY_2, date_to=MAY_2, group_by="day")

    assert [(r.key, r.sums["clicks"], r.sums["spend"], r.sums["revenue"]) for r in both_days.rows] == [
        ("2026-05-01", 150, Decimal("65.00"), Decimal("120.00")),  # alpha's network figures, organic's tracker's
        ("2026-05-02", 99, Decimal("41.00"), Decimal("95.00")),
    ]
    assert both_days.rows[1].sums == may_2.rows[0].sums  # a longer period changes no day's figures
    assert both_days.metric_kinds["clicks"] == ["ad_network", "tracker"]


def test_a_filter_keeps_its_part_of_the_figures_and_never_changes_which_kind_owns_them(org, network):
    tracker = TrafficSourceFactory(organization=org, name="Tracker", kind=TrafficSource.Kind.TRACKER)
    load(network, [row(2, MAY_1, "alpha", country="", spend="40.00", clicks=100)])  # a network without countries
    load(tracker, [row(2, MAY_1, "alpha", country="US", spend="38.00", revenue="90.00", clicks=97)])

    by_country = traffic_report(organization=org, date_from=MAY_1, date_to=MAY_1, group_by="country")
    us_only = traffic_report(
        organization=org, date_from=MAY_1, date_to=MAY_1, group_by="country", filters=ReportFilters(country="US")
    )

    us_row = next(r for r in by_country.rows if r.key == "US")
    assert us_row.sums == us_only.rows[0].sums
    assert (us_only.totals["clicks"], us_only.totals["spend"], us_only.totals["revenue"]) == (
        None,
        None,
        Decimal("90.00"),
    )
    assert us_only.source_kinds == ["ad_network", "tracker"]  # the note says why the tracker's clicks are not here


def test_a_tracker_in_another_time_zone_is_matched_by_the_date_its_rows_carry(org, network):
    tracker = TrafficSourceFactory(organization=org, name="Tracker", kind=TrafficSource.Kind.TRACKER)
    load(network, [row(2, MAY_1, "alpha", spend="40.00", clicks=100)])
    load(tracker, [row(2, MAY_1, "alpha", spend="38.00", revenue="90.00", clicks=97)], time_zone="Europe/Moscow")

    report = traffic_report(organization=org, date_from=MAY_1, date_to=MAY_1, group_by="day")

    # The days are listed apart by time zone; the clicks and the spend are the network's, the revenue the
    # tracker's, so each row has half the figures and the profit is in the totals only.
    assert [(r.time_zone, r.sums["clicks"], r.sums["spend"], r.sums["revenue"]) for r in report.rows] == [
        ("Europe/Moscow", None, None, Decimal("90.00")),
        ("UTC", 100, Decimal("40.00"), None),
    ]
    assert report.total_kpis["profit"] == Decimal("50.00")


@pytest.mark.parametrize("group_by", ["campaign", "country"])
def test_a_row_that_is_not_a_day_sums_its_period_in_each_sources_zone_and_names_them(org, network, group_by):
    tracker = TrafficSourceFactory(organization=org, name="Tracker", kind=TrafficSource.Kind.TRACKER)
    load(network, [row(2, MAY_1, "alpha", spend="40.00", clicks=100)])
    load(tracker, [row(2, MAY_1, "alpha", spend="38.00", revenue="90.00", clicks=97)], time_zone="Europe/Moscow")

    report = traffic_report(organization=org, date_from=MAY_1, date_to=MAY_1, group_by=group_by)

    # The network's spend beside the tracker's revenue: the campaign (or country) has its profit at last.
    assert [(r.time_zone, r.sums["spend"], r.sums["revenue"], r.kpis["profit"]) for r in report.rows] == [
        ("Europe/Moscow, UTC", Decimal("40.00"), Decimal("90.00"), Decimal("50.00"))
    ]
    assert report.time_zones == ["Europe/Moscow", "UTC"]
    assert report.mixed_time_zones
    only = traffic_report(
        organization=org, date_from=MAY_1, date_to=MAY_1, group_by=group_by, filters=ReportFilters(time_zone="UTC")
    )
    # One zone's part of the same row: the network's spend, and the revenue the tracker's zone holds is not there.
    assert [(r.time_zone, r.sums["spend"], r.sums["revenue"]) for r in only.rows] == [("UTC", Decimal("40.00"), None)]


def test_by_source_each_row_shows_its_own_figures_and_the_totals_still_count_once(org, network):
    tracker = TrafficSourceFactory(organization=org, name="Tracker", kind=TrafficSource.Kind.TRACKER)
    load(network, [row(2, MAY_1, "alpha", spend="40.00", clicks=100)])
    load(tracker, [row(2, MAY_1, "alpha", spend="38.00", revenue="90.00", clicks=97)])

    report = traffic_report(organization=org, date_from=MAY_1, date_to=MAY_1, group_by="source")

    by_source = {r.label: (r.sums["clicks"], r.sums["spend"], r.sums["revenue"]) for r in report.rows}
    assert by_source == {
        network.name: (100, Decimal("40.00"), None),
        "Tracker": (97, Decimal("38.00"), Decimal("90.00")),
    }
    assert (report.totals["clicks"], report.totals["spend"], report.totals["revenue"]) == (
        100, Decimal("40.00"), Decimal("90.00"),
    )  # fmt: skip
    assert report.source_kinds_warning.endswith("The rows by source show each source's own values; the totals do not.")


def test_a_metric_the_owning_kind_does_not_report_is_taken_from_another_kind(org, network):
    tracker = TrafficSourceFactory(organization=org, name="Tracker", kind=TrafficSource.Kind.TRACKER)
    load(network, [row(2, MAY_1, "alpha", spend="40.00")])  # a network export without clicks
    load(tracker, [row(2, MAY_1, "alpha", spend="38.00", clicks=97)])

    report = traffic_report(organization=org, date_from=MAY_1, date_to=MAY_1, group_by="campaign")

    assert (report.totals["clicks"], report.totals["spend"]) == (97, Decimal("40.00"))
    assert report.metric_kinds["clicks"] == ["tracker"]
    # One campaign as both sources report it: the network's spend beside the tracker's clicks.
    assert [(r.label, r.sums["spend"], r.sums["clicks"]) for r in report.rows] == [("Alpha", Decimal("40.00"), 97)]


def test_by_campaign_a_campaign_is_one_row_however_many_sources_report_it(org, network):
    tracker = TrafficSourceFactory(organization=org, name="Tracker", kind=TrafficSource.Kind.TRACKER)
    load(network, [row(2, MAY_1, "alpha", spend="40.00", clicks=100), row(3, MAY_1, "beta", spend="10.00")])
    tracked_row = row(2, MAY_1, "t-17", spend="38.00", revenue="90.00", clicks=97)
    tracked_row.campaign_name = " ALPHA "  # the tracker's name for it: case and spaces aside, the same
    load(tracker, [tracked_row])
    alpha, beta = Campaign.objects.get(source=network, name="Alpha"), Campaign.objects.get(name="Beta")
    tracked = Campaign.objects.get(source=tracker)

    report = traffic_report(organization=org, date_from=MAY_1, date_to=MAY_1, group_by="campaign")

    rows = [(r.key, r.label, r.sums["spend"], r.sums["revenue"], r.kpis["profit"]) for r in report.rows]
    assert rows == [
        (str(alpha.pk), "Alpha", Decimal("40.00"), Decimal("90.00"), Decimal("50.00")),
        (str(beta.pk), "Beta", Decimal("10.00"), None, None),
    ]
    # Filtered by either source's campaign, the report is of the campaign as both report it.
    for campaign in (alpha, tracked):
        filters = ReportFilters(campaign=campaign.pk)
        only = traffic_report(organization=org, date_from=MAY_1, date_to=MAY_1, group_by="day", filters=filters)
        assert (only.totals["spend"], only.totals["revenue"], only.totals["clicks"]) == (
            Decimal("40.00"), Decimal("90.00"), 100,
        )  # fmt: skip


def test_by_campaign_the_row_is_keyed_by_its_lowest_id_whichever_source_came_first(org, network):
    tracker = TrafficSourceFactory(organization=org, name="Tracker", kind=TrafficSource.Kind.TRACKER)
    load(tracker, [row(2, MAY_1, "alpha", revenue="90.00")])  # the tracker's campaign is created first
    load(network, [row(2, MAY_1, "alpha", spend="40.00")])
    first = Campaign.objects.get(source=tracker)

    report = traffic_report(organization=org, date_from=MAY_1, date_to=MAY_1, group_by="campaign")

    assert [(r.key, r.sums["spend"], r.sums["revenue"]) for r in report.rows] == [
        (str(first.pk), Decimal("40.00"), Decimal("90.00"))
    ]


def test_the_unnamed_campaigns_of_files_without_campaigns_are_one_campaign_too(org, network):
    tracker = TrafficSourceFactory(organization=org, name="Tracker", kind=TrafficSource.Kind.TRACKER)
    for source, spend, revenue in ((network, "40.00", None), (tracker, "1.00", "90.00")):
        unnamed = row(2, MAY_1, "x", spend=spend, revenue=revenue)
        unnamed.campaign_id = unnamed.campaign_name = ""  # a file without campaigns
        load(source, [unnamed])
    unnamed = Campaign.objects.get(source=network)

    report = traffic_report(organization=org, date_from=MAY_1, date_to=MAY_1, group_by="campaign")
    filtered = ReportFilters(campaign=unnamed.pk)
    only = traffic_report(organization=org, date_from=MAY_1, date_to=MAY_1, filters=filtered)

    assert [(r.label, r.sums["spend"], r.sums["revenue"]) for r in report.rows] == [
        ("(none)", Decimal("40.00"), Decimal("90.00"))
    ]
    assert (only.totals["spend"], only.totals["revenue"]) == (Decimal("40.00"), Decimal("90.00"))


def test_a_campaign_filter_with_another_organizations_campaign_shows_none_of_it(org, network, other_organization):
    load(network, [row(2, MAY_1, "alpha", spend="40.00")])
    theirs = TrafficSourceFactory(organization=other_organization, name="Theirs")
    load(theirs, [row(2, MAY_1, "alpha", spend="999.00")])  # the same name, in another organization
    their_campaign = Campaign.objects.get(source=theirs)

    for campaign in (their_campaign.pk, 10**9):
        filters = ReportFilters(campaign=campaign)
        report = traffic_report(organization=org, date_from=MAY_1, date_to=MAY_1, filters=filters)
        assert report.rows == []
        assert report.totals["spend"] is None


def test_groupings_filters_and_totals(org, network):
    program = AffiliateProgram.objects.create(organization=org, name="Program")
    offer = Offer.objects.create(organization=org, program=program, name="Offer")
    load(
        network,
        [
            row(2, MAY_1, "alpha", creative="video", spend="3.00", clicks=3, os="ios"),
            row(3, MAY_1, "beta", creative="video", spend="4.00", clicks=4, os="android"),
            row(4, MAY_2, "beta", creative="banner", spend="5.00", clicks=0, os="android"),
        ],
    )
    Campaign.objects.filter(external_id="alpha").update(offer=offer)

    by_campaign = traffic_report(organization=org, date_from=MAY_1, date_to=MAY_2, group_by="campaign")
    assert [(r.label, r.sums["spend"], r.kpis["cpc"]) for r in by_campaign.rows] == [
        ("Alpha", Decimal("3.00"), Decimal("1.0000")),
        ("Beta", Decimal("9.00"), Decimal("2.2500")),
    ]
    by_program = traffic_report(organization=org, date_from=MAY_1, date_to=MAY_2, group_by="program")
    assert [(r.label, r.sums["spend"]) for r in by_program.rows] == [
        ("(none)", Decimal("9.00")),
        ("Program", Decimal("3.00")),
    ]
    by_creative = traffic_report(organization=org, date_from=MAY_1, date_to=MAY_2, group_by="creative")
    assert [(r.label, r.sums["spend"], r.kpis["cpc"]) for r in by_creative.rows] == [
        ("banner", Decimal("5.00"), None),  # no clicks: no CPC, never 0
        ("video", Decimal("7.00"), Decimal("1.0000")),
    ]
    by_month = traffic_report(
        organization=org, date_from=MAY_1, date_to=MAY_2, group_by="month", filters=ReportFilters(os="ANDROID")
    )
    assert [(r.key, r.sums["spend"]) for r in by_month.rows] == [("2026-05", Decimal("9.00"))]
    assert by_month.totals["spend"] == Decimal("9.00")
    by_offer = traffic_report(
        organization=org, date_from=MAY_1, date_to=MAY_2, group_by="week", filters=ReportFilters(offer=offer.pk)
    )
    assert [(r.key, r.sums["spend"]) for r in by_offer.rows] == [("2026-04-27", Decimal("3.00"))]


def test_another_organizations_traffic_is_not_counted(org, network, other_organization):
    load(network, [row(2, MAY_1, "alpha", spend="1.00")])
    theirs = TrafficSourceFactory(organization=other_organization, name="Theirs")
    load(theirs, [row(2, MAY_1, "alpha", spend="100.00")])

    assert traffic_report(organization=org, date_from=MAY_1, date_to=MAY_1).totals["spend"] == Decimal("1.00")


def test_the_number_of_queries_does_not_grow_with_rows(org, rates, network):
    load(network, [row(i, MAY_1 if i % 2 else MAY_2, f"c{i % 7}", spend="1.00", currency="EUR") for i in range(2, 60)])

    with CaptureQueriesContext(connection) as queries:
        report = traffic_report(organization=org, date_from=MAY_1, date_to=MAY_2, group_by="campaign")
    # the currency, the kinds of the sources, the sums, one rate per currency and day
    assert len(queries) == 5
    assert len(report.rows) == 7
