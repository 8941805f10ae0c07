"""The traffic pages: the dashboard (filters, KPI cards, the chart, the sorted table with totals, "—", time
zones apart, rates used, freshness, reconciliation), its live sections, the drill-down campaign → rows →
import, the import job's page and status JSON, the upload form, the admin's upload landing on the job's page,
the admin home's panel, and organizations kept apart (404)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.analytics.dashboard import COLUMNS, per_unit
from apps.analytics.models import Campaign, ImportJob, MetricFact, TrafficSource
from apps.analytics.rollups import EVENT_REFRESHED, rollup_refresh
from apps.analytics.services import import_job_run, import_rows
from apps.core.accounts.roles import Role
from apps.core.models import FxRate
from tests.analytics.factories import MetricRow, TrafficSourceFactory, import_job, reading_of
from tests.ledger.test_admin_russian_pages import english_words, visible_text

pytestmark = pytest.mark.django_db

MAY_1, MAY_2, MAY_3 = date(2026, 5, 1), date(2026, 5, 2), date(2026, 5, 3)
MOLOCO = Path(__file__).parent / "fixtures" / "moloco_dashboard.csv"


def row(line, day, campaign, *, spend="0", revenue=None, installs=None, clicks=None, currency="USD", **cuts):
    return MetricRow(
        line=line,
        report_date=day,
        campaign_id=campaign,
        campaign_name=campaign.replace("-", " ").title(),
        spend=Decimal(spend),
        revenue=None if revenue is None else Decimal(revenue),
        installs=installs,
        clicks=clicks,
        impressions=None if clicks is None else clicks * 100,
        currency=currency,
        **cuts,
    )


def load(source, rows, *, time_zone="UTC", name="report.csv"):
    # The import sums its days into the rollup, which the pages read.
    return import_rows(import_job(source, force=True, name=name), [rows], reading=reading_of(rows, timezone=time_zone))


@pytest.fixture
def org(organization):
    organization.reporting_currency_id = "USD"
    organization.save()
    return organization


@pytest.fixture
def source(org):
    return TrafficSourceFactory(organization=org, name="Moloco", time_zone="UTC")


@pytest.fixture
def traffic(source):
    """Three days of two campaigns: "cmp-a" profitable, "cmp-b" at a loss and without installs on May 2."""
    return load(
        source,
        [
            row(2, MAY_1, "cmp-a", spend="100.00", revenue="250.00", installs=20, clicks=400, country="US"),
            row(3, MAY_1, "cmp-b", spend="1234.50", revenue="1000.00", installs=10, clicks=900, country="DE"),
            row(4, MAY_2, "cmp-a", spend="80.00", revenue="60.00", installs=8, clicks=300, country="US"),
            row(5, MAY_2, "cmp-b", spend="50.00", revenue="0", installs=0, clicks=0, country="DE"),
            row(6, MAY_3, "cmp-a", spend="20.00", revenue="100.00", installs=4, clicks=50, country="US"),
        ],
    )


@pytest.fixture
def viewer(org, member_of):
    return member_of(org, role=Role.VIEWER)


@pytest.fixture
def client(viewer):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(viewer)
    return client


def html_of(response) -> str:
    return response.content.decode()


def table_labels(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [re.sub(r"<[^>]+>", "", label).strip() for label in re.findall(r'<th scope="row">(.*?)</th>', body)]


def table_cells(html: str, label: str) -> dict[str, str]:
    """The cells of the table's row named ``label``, by column code."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = dict(zip(table_labels(html), body.split("<tr ")[1:], strict=True))
    cells = re.findall(r'<td class="ledger-num[^"]*">([^<]*)</td>', rows[label])
    return dict(zip(COLUMNS, cells, strict=True))


def cell(html: str, kpi: str) -> str:
    found = re.search(rf'data-kpi="{kpi}">\s*<span[^>]*>[^<]*</span>\s*<span[^>]*>([^<]*)</span>', html)
    assert found, f"no card {kpi}"
    return found.group(1)


# --- the dashboard ------------------------------------------------------------------------------------------


def test_the_dashboard_needs_a_sign_in():
    response = Client().get("/en/analytics/")

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_default_period_is_the_last_30_days_of_data(client, traffic):
    html = html_of(client.get("/en/analytics/"))

    # The data ends on May 3, 2026 (not today): the page shows April 4 – May 3.
    assert 'name="date_from" value="2026-04-04"' in html
    assert 'name="date_to" value="2026-05-03"' in html
    assert "the last 30 days of data" in html


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_dashboard_shows_cards_chart_table_and_totals(client, traffic, language):
    response = client.get(f"/{language}/analytics/", HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 200
    html = html_of(response)
    assert f'<html lang="{language}">' in html
    assert '<svg class="ledger-chart-svg analytics-chart"' in html
    assert html.count('class="analytics-line analytics-spend') == 1
    assert html.count('class="analytics-line analytics-revenue') == 1
    # Nothing loaded from another host (a CDN): every script, style and image is the site's own. (Looking for
    # the letters "cdn" failed now and then: a random CSRF token contained them.)
    assert re.findall(r'(?:src|href)="(?:https?:)?//', html) == []
    assert '<tr data-row="total">' in html
    if language == "ru":
        # Spend 1,484.50 USD and revenue 1,410.00 USD in the locale's format.
        assert cell(html, "spend") == "1\xa0484,50\xa0USD"
        assert cell(html, "revenue") == "1\xa0410,00\xa0USD"
        assert cell(html, "profit") == "-74,50\xa0USD"
        assert cell(html, "roi") == "-5,02"
        assert table_labels(html) == ["01.05.2026", "02.05.2026", "03.05.2026"]
        assert ">4 апреля<" in html  # the chart's axis, from April 4
        assert english_words(visible_text(html)) == []
    else:
        assert cell(html, "spend") == "1,484.50\xa0USD"
        assert cell(html, "installs") == "42"
        assert cell(html, "cpi") == "35.35\xa0USD"  # 1484.50 / 42 = 35.3452…, read to the cent


@pytest.mark.parametrize(
    ("value", "precision", "shown"),
    [
        ("115.3830", 2, "115.38"),  # a CPI in roubles reads to the kopeck
        ("262.0599", 2, "262.06"),
        ("0.4500", 2, "0.45"),  # no zero past the currency's places
        ("0.0123", 2, "0.0123"),  # a cent-per-click CPC keeps the places that tell it apart
        ("0.0046", 2, "0.0046"),
        ("0.1050", 2, "0.105"),
        ("1000.0000", 2, "1000.00"),
        ("0.0000", 2, "0.00"),
        ("-3.1000", 2, "-3.10"),
        ("115.3830", 0, "115"),  # yen have no minor unit
        ("0.5000", 0, "0.5"),
    ],
)
def test_a_cost_per_unit_is_shown_to_three_significant_digits_within_the_currency_and_the_kpi(value, precision, shown):
    assert str(per_unit(Decimal(value), precision, 4)) == shown


def test_a_division_by_zero_shows_a_dash(client, traffic, source):
    html = html_of(client.get("/en/analytics/?group_by=campaign&date_from=2026-05-02&date_to=2026-05-02"))

    cmp_a, cmp_b = table_cells(html, "Cmp A"), table_cells(html, "Cmp B")
    # Cmp B had no installs and no clicks on May 2: its CPI, CPC, CTR and EPC have no value, and are not 0.
    assert [cmp_b[code] for code in ("installs", "clicks", "cpi", "cpc", "ctr", "epc")] == [
        "0",
        "0",
        "—",
        "—",
        "—",
        "—",
    ]
    assert (cmp_a["cpi"], cmp_a["ctr"], cmp_a["roi"]) == ("10.00", "1.00", "-25.00")
    # No file carried conversions: a missing metric is "—" too (CPA, CR), never 0.
    assert (cmp_a["conversions"], cmp_a["cpa"], cmp_a["cr"]) == ("—", "—", "—")
    assert "“—”: no value" in html


def test_the_table_is_sorted_on_the_server(client, traffic):
    by_spend = html_of(client.get("/en/analytics/?group_by=campaign&sort=-spend"))
    by_roi = html_of(client.get("/en/analytics/?group_by=campaign&sort=-roi"))
    by_name = html_of(client.get("/en/analytics/?group_by=campaign&sort=-label"))

    assert table_labels(by_spend) == ["Cmp B", "Cmp A"]
    assert table_labels(by_roi) == ["Cmp A", "Cmp B"]
    assert table_labels(by_name) == ["Cmp B", "Cmp A"]
    # The sorted column's link turns the order around; the others sort largest first.
    assert 'aria-sort="descending"' in by_spend
    assert "sort=spend" in by_spend
    assert "sort=-installs" in by_spend


def test_filters_limit_the_figures(client, traffic, source):
    cmp_a = Campaign.objects.get(source=source, external_id="cmp-a")

    html = html_of(client.get(f"/en/analytics/?campaign={cmp_a.pk}&group_by=country"))

    assert table_labels(html) == ["US"]
    assert cell(html, "spend") == "200.00\xa0USD"


def test_a_bad_filter_is_named_and_nothing_is_shown(client, traffic):
    response = client.get("/en/analytics/?date_from=2026-05-09&date_to=2026-05-01")

    assert response.status_code == 400
    html = html_of(response)
    assert "From: The start date must not be after the end date." in html
    assert "data-kpi=" not in html

    response = client.get("/en/analytics/?group_by=galaxy")
    assert response.status_code == 400
    assert "Group by:" in html_of(response)


@pytest.mark.parametrize("campaign", ["²", "٣", "12x", "-1"])
def test_a_campaign_that_is_not_a_number_is_a_bad_filter_not_a_crash(client, traffic, campaign):
    response = client.get("/en/analytics/", {"campaign": campaign})

    assert response.status_code == 400
    assert "Campaign:" in html_of(response)


def test_time_zones_are_listed_apart(client, org, traffic):
    network = TrafficSourceFactory(organization=org, name="Unity", time_zone="Europe/Moscow")
    load(network, [row(2, MAY_1, "u-1", spend="10.00", revenue="30.00", installs=1)], time_zone="Europe/Moscow")

    html = html_of(client.get("/en/analytics/?date_from=2026-05-01&date_to=2026-05-03"))

    assert "The data is in several time zones (Europe/Moscow, UTC)" in html
    assert table_labels(html).count("05/01/2026") == 2  # one row per time zone, never added up
    assert "Spend, Europe/Moscow" in html  # the chart draws each time zone's own lines


def test_by_campaign_a_row_names_the_time_zones_it_sums(client, org, traffic):
    network = TrafficSourceFactory(organization=org, name="Unity", time_zone="Europe/Moscow")
    load(network, [row(2, MAY_1, "u-1", spend="10.00", revenue="30.00", installs=1)], time_zone="Europe/Moscow")
    load(network, [row(2, MAY_1, "cmp-a", spend="5.00", installs=1)], time_zone="Europe/Moscow")

    html = html_of(client.get("/en/analytics/?group_by=campaign&date_from=2026-05-01&date_to=2026-05-03"))

    assert "each row sums the period's report dates in each source's own zone" in html
    assert table_labels(html) == ["Cmp A", "Cmp B", "U 1"]  # Cmp A of both sources is one row
    body = html.split("<tbody>", 1)[1]
    assert re.search(r">Cmp A</a></th>\s*<td[^>]*>Europe/Moscow, UTC</td>", body), body[:600]


def test_a_day_of_one_time_zone_opens_that_zones_campaigns(client, org, traffic):
    network = TrafficSourceFactory(organization=org, name="Unity", time_zone="Europe/Moscow")
    load(network, [row(2, MAY_1, "u-1", spend="10.00", installs=1)], time_zone="Europe/Moscow")
    html = html_of(client.get("/en/analytics/?date_from=2026-05-01&date_to=2026-05-01"))
    link = re.search(r'href="(\?[^"]*time_zone=Europe%2FMoscow[^"]*)"', html)
    assert link, "the Moscow day links to its own zone's campaigns"

    opened = html_of(client.get("/en/analytics/" + link.group(1).replace("&amp;", "&")))

    assert table_labels(opened) == ["U 1"]
    assert "only the days written in Europe/Moscow" in opened


def test_sources_of_different_kinds_summed_together_are_flagged_and_one_source_is_not(client, org, traffic, source):
    tracker = TrafficSourceFactory(organization=org, name="Keitaro", kind=TrafficSource.Kind.TRACKER)
    load(tracker, [row(2, MAY_1, "cmp-a", spend="100.00", clicks=380)])
    warning = "The report adds up sources of different kinds (ad network, tracker)"

    assert warning in html_of(client.get("/en/analytics/?date_from=2026-05-01&date_to=2026-05-03"))
    alone = html_of(client.get(f"/en/analytics/?date_from=2026-05-01&date_to=2026-05-03&source={source.pk}"))
    assert "adds up sources of different kinds" not in alone


def test_amounts_in_another_currency_show_the_rates_used(client, org, source):
    FxRate.objects.create(date=MAY_1, base_id="EUR", quote_id="USD", rate=Decimal("1.100000000000"), source="cbr")
    load(source, [row(2, MAY_1, "cmp-eu", spend="100.00", revenue="200.00", currency="EUR", installs=5)])

    html = html_of(client.get("/en/analytics/?date_from=2026-05-01&date_to=2026-05-01"))

    assert cell(html, "spend") == "110.00\xa0USD"
    assert "Exchange rates used" in html
    assert "EUR/USD" in html
    assert ">1.1<" in html
    # The same figures in euros: no rate needed.
    html = html_of(client.get("/en/analytics/?date_from=2026-05-01&date_to=2026-05-01&currency=EUR"))
    assert cell(html, "spend") == "100.00\xa0EUR"
    assert "every amount is in EUR already" in html


def test_a_missing_rate_is_named_not_a_crash(client, source):
    load(source, [row(2, MAY_1, "cmp-eu", spend="100.00", currency="EUR")])

    response = client.get("/en/analytics/?date_from=2026-05-01&date_to=2026-05-01")

    assert response.status_code == 200
    assert "No exchange rate from EUR to USD on or before 2026-05-01" in html_of(response)
    assert "Freshness of the sources" in html_of(response)


def test_stale_sources_and_reconciliation_differences_are_flagged(client, org, traffic, source):
    tracker = TrafficSourceFactory(organization=org, name="Keitaro", kind=TrafficSource.Kind.TRACKER)
    load(tracker, [row(2, MAY_1, "cmp-a", spend="150.00")])  # the ad network said 100.00 for cmp-a on May 1

    html = html_of(client.get("/en/analytics/?date_from=2026-05-01&date_to=2026-05-03"))

    assert "late by " in html  # data of May 2026, long ago
    checks = html.split("Reconciliation: differences over 5%", 1)[1]
    assert "Cmp A" in checks
    assert "150.00" in checks
    assert "100.00" in checks
    assert "50.0" in checks  # the difference is 50% of the ad network's spend
    headings = checks.split("<tbody>", 1)[0]
    assert "Ad network" in headings
    assert "Tracker" in headings
    assert "Attribution platform" not in headings  # no attribution platform reports in the period


def test_the_live_sections_follow_a_new_import(client, traffic, source):
    url = "/en/analytics/live/?date_from=2026-05-01&date_to=2026-05-03"
    before = client.get(url).json()
    load(source, [row(9, MAY_3, "cmp-c", spend="1000.00", revenue="10.00")], name="more.csv")

    after = client.get(url)

    assert after.status_code == 200
    assert after["Cache-Control"] == "no-store"
    assert set(after.json()["sections"]) == {"kpis", "chart", "table", "checks"}
    assert "1,484.50" in before["sections"]["kpis"]
    assert "2,484.50" in after.json()["sections"]["kpis"]


def test_a_rollup_refresh_tells_the_organizations_stream(source, traffic, django_capture_on_commit_callbacks):
    from apps.core.realtime import streams

    with django_capture_on_commit_callbacks(execute=True):
        rollup_refresh(organization_id=source.organization_id, source_id=source.pk, date_from=MAY_1, date_to=MAY_3)

    events = streams.replay(source.organization_id, after=0).events
    assert any(EVENT_REFRESHED in event and '"date_to":"2026-05-03"' in event.replace(" ", "") for event in events)


def test_the_dashboard_runs_the_same_queries_however_much_traffic(client, traffic, source):
    url = "/en/analytics/?group_by=campaign&date_from=2026-05-01&date_to=2026-05-03"
    client.get(url)  # warm the per-process caches (currencies, content types)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    load(source, [row(10 + n, MAY_2, f"cmp-x{n}", spend="1.00", installs=1) for n in range(40)], name="more.csv")
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200

    # The request's session, user and memberships (4), the organization (1), the filters' choices (3),
    # freshness (2), the report and its chart by day (6: each reads its currency, the kinds of its sources and
    # its sums), the reconciliation (2), the organization switch and the upload button (2): whatever the rows.
    assert len(many) == len(few) == 20, "\n".join(query["sql"][:150] for query in few.captured_queries)


def test_a_campaign_filter_adds_no_query(client, traffic, source):
    campaign = Campaign.objects.get(source=source, external_id="cmp-a")
    everything = "/en/analytics/?date_from=2026-05-01&date_to=2026-05-03"
    client.get(everything)  # warm the per-process caches
    with CaptureQueriesContext(connection) as unfiltered:
        assert client.get(everything).status_code == 200
    with CaptureQueriesContext(connection) as filtered:
        assert client.get(f"{everything}&campaign={campaign.pk}").status_code == 200

    # The filters' choices know each campaign's ids in every source: the report looks none up again.
    assert len(filtered) == len(unfiltered)


# --- drill-down: campaign → rows → import -----------------------------------------------------------------


def test_a_campaign_row_opens_its_rows_and_each_row_its_import(client, traffic, source):
    cmp_a = Campaign.objects.get(source=source, external_id="cmp-a")
    html = html_of(client.get("/en/analytics/?group_by=campaign&date_from=2026-05-01&date_to=2026-05-03"))
    link = f"/en/analytics/campaigns/{cmp_a.pk}/?date_from=2026-05-01&amp;date_to=2026-05-03"
    assert link in html

    page = client.get(link.replace("&amp;", "&"))

    assert page.status_code == 200
    html = html_of(page)
    assert "<h1>Cmp A</h1>" in html
    assert html.count("data-lineage") == 3
    assert f'href="/en/analytics/imports/{traffic.pk}/"' in html
    assert "report.csv, line 6" in html
    job = client.get(f"/en/analytics/imports/{traffic.pk}/")
    assert job.status_code == 200


def test_a_campaign_reported_by_two_sources_is_one_row_opening_both_sources_rows(
    client, org, traffic, source, other_organization
):
    tracker = TrafficSourceFactory(organization=org, name="Keitaro", kind=TrafficSource.Kind.TRACKER)
    tracked = row(2, MAY_1, "k-9", spend="90.00", revenue="300.00", clicks=380)
    tracked.campaign_name = "cmp a"  # the tracker's name for the network's "Cmp A"
    load(tracker, [tracked])
    theirs = TrafficSourceFactory(organization=other_organization, name="Theirs", kind=TrafficSource.Kind.TRACKER)
    load(theirs, [row(2, MAY_1, "cmp-a", spend="1.00", revenue="999.00")])  # another organization's namesake
    cmp_a = Campaign.objects.get(source=source, external_id="cmp-a")
    in_tracker = Campaign.objects.get(source=tracker)

    html = html_of(client.get("/en/analytics/?group_by=campaign&date_from=2026-05-01&date_to=2026-05-01"))

    assert table_labels(html) == ["Cmp A", "Cmp B"]
    # The network's spend (100.00) beside the tracker's revenue (300.00): profit at last.
    assert [table_cells(html, "Cmp A")[code] for code in ("spend", "revenue", "profit")] == [
        "100.00",
        "300.00",
        "200.00",
    ]
    page = html_of(client.get(f"/en/analytics/campaigns/{cmp_a.pk}/?date_from=2026-05-01&date_to=2026-05-01"))
    assert "Keitaro, Moloco" in page
    assert page.count("data-lineage") == 2  # the network's row and the tracker's
    assert "Theirs" not in page
    assert "999" not in page
    # The tracker's id selects the same campaign in the dashboard's filter.
    filtered = html_of(client.get(f"/en/analytics/?campaign={in_tracker.pk}&date_from=2026-05-01&date_to=2026-05-01"))
    assert f'<option value="{cmp_a.pk}" selected>Cmp A</option>' in filtered
    assert filtered.count(">Cmp A</option>") == 1
    assert cell(filtered, "revenue") == "300.00\xa0USD"


def test_a_campaign_past_the_first_names_of_the_filter_can_still_be_chosen(client, org, traffic, source):
    from apps.analytics.dashboard import CAMPAIGN_CHOICES

    Campaign.objects.bulk_create(
        Campaign(organization=org, source=source, external_id=f"bulk-{n}", match_name=f"bulk-{n}", name=f"Zz {n:04}")
        for n in range(CAMPAIGN_CHOICES)
    )
    last = Campaign.objects.get(name=f"Zz {CAMPAIGN_CHOICES - 1:04}")  # sorts after the listed names

    response = client.get(f"/en/analytics/?campaign={last.pk}&date_from=2026-05-01&date_to=2026-05-03")

    assert response.status_code == 200
    assert f'<option value="{last.pk}" selected>' in html_of(response)


def test_a_campaigns_rows_are_paginated(client, source):
    rows = [row(2 + n, MAY_1, "cmp-big", spend="1.00", creative=f"c{n}") for n in range(60)]
    load(source, rows)
    campaign = Campaign.objects.get(source=source, external_id="cmp-big")

    first = html_of(client.get(f"/en/analytics/campaigns/{campaign.pk}/?date_from=2026-05-01&date_to=2026-05-01"))
    second = html_of(
        client.get(f"/en/analytics/campaigns/{campaign.pk}/?date_from=2026-05-01&date_to=2026-05-01&page=2")
    )

    assert first.count("data-lineage") == 50
    assert second.count("data-lineage") == 10
    assert "Page 1 of 2" in first


# --- import jobs ----------------------------------------------------------------------------------------------


def test_the_job_page_shows_status_counts_timing_and_the_error_report(client, source):
    rows = [row(2, MAY_1, "cmp-a", spend="1.00")]
    errors = [{"line": 3, "column": "Spend", "raw": "abc", "expected": "a number", "message": "Not a number"}]
    job = import_rows(import_job(source, keep_valid=True), [rows], reading=reading_of(rows, errors=errors, bad_rows=1))

    html = html_of(client.get(f"/en/analytics/imports/{job.pk}/"))

    assert 'data-job-status="done"' in html
    assert "Rows read" in html
    assert "Rejected" in html
    assert "line 3, Spend: Not a number" in html
    report_url = reverse("admin:analytics_importjob_error_report", args=[job.pk])
    assert report_url in html
    assert client.get(report_url).status_code == 200  # a member may download it from the admin
    assert f"/en/analytics/imports/{job.pk}/status/" in html


def test_the_status_json_follows_the_job(client, source):
    job = import_job(source, b"Date,Campaign\n")

    queued = client.get(f"/en/analytics/imports/{job.pk}/status/").json()
    assert (queued["status"], queued["finished"]) == ("queued", False)
    assert "Waiting for a worker" in queued["section"]

    rows = [row(2, MAY_1, "cmp-a", spend="1.00")]
    import_rows(job, [rows], reading=reading_of(rows))
    done = client.get(f"/en/analytics/imports/{job.pk}/status/")

    assert done["Cache-Control"] == "no-store"
    assert done.json()["status"] == "done"
    assert done.json()["finished"] is True
    assert done.json()["status_label"] == "Done"
    assert "See the imported figures on the dashboard" in done.json()["section"]


def test_an_upload_lands_on_the_job_page_and_imports_there(org, source, member_of, django_capture_on_commit_callbacks):
    analyst = member_of(org, role=Role.ANALYST)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(analyst)
    assert 'value="' + str(source.pk) + '"' in html_of(client.get("/en/analytics/imports/new/"))
    content = MOLOCO.read_bytes()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            "/en/analytics/imports/new/",
            {"source": source.pk, "file": SimpleUploadedFile("moloco.csv", content), "format": ""},
        )

    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/en/analytics/imports/{job.pk}/"
    assert len(callbacks) == 1  # the import task, queued once the upload commits
    import_job_run(job=job.pk)  # what the worker does
    html = html_of(client.get(response["Location"]))
    assert 'data-job-status="done"' in html
    assert MetricFact.objects.filter(import_job=job).count() == 3

    again = client.post(
        "/en/analytics/imports/new/", {"source": source.pk, "file": SimpleUploadedFile("again.csv", content)}
    )
    assert again["Location"] == f"/en/analytics/imports/{job.pk}/"
    assert ImportJob.objects.count() == 1


def test_a_viewer_may_not_upload(client, source):
    html = html_of(client.get("/en/analytics/imports/new/"))

    assert "There is no traffic source you may import into" in html
    response = client.post(
        "/en/analytics/imports/new/", {"source": source.pk, "file": SimpleUploadedFile("a.csv", b"x")}
    )
    assert response.status_code == 400
    assert not ImportJob.objects.exists()


def test_the_admin_upload_lands_on_the_job_page(org, source, member_of, django_capture_on_commit_callbacks):
    owner = member_of(org, role=Role.OWNER)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(owner)
    content = MOLOCO.read_bytes()

    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(
            reverse("admin:analytics_importjob_add"),
            {"source": source.pk, "file": SimpleUploadedFile("moloco.csv", content), "format": ""},
        )

    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("analytics:import-job", args=[job.pk])
    change = html_of(client.get(reverse("admin:analytics_importjob_change", args=[job.pk])))
    assert reverse("analytics:import-job", args=[job.pk]) in change


def test_the_admin_home_links_to_the_dashboard(client, traffic):
    html = html_of(client.get(reverse("admin:index")))

    assert 'id="dashboard-analytics"' in html
    assert f"{reverse('analytics:dashboard')}?org=" in html
    assert "report.csv" in html  # the latest imports


# --- organizations apart --------------------------------------------------------------------------------------


def test_another_organizations_traffic_is_not_found(client, other_organization):
    theirs = TrafficSourceFactory(organization=other_organization, name="Theirs")
    job = load(theirs, [row(2, MAY_1, "secret", spend="999.00")])
    campaign = Campaign.objects.get(source=theirs)

    for url in (
        f"/en/analytics/?org={other_organization.slug}",
        f"/en/analytics/live/?org={other_organization.slug}",
        f"/en/analytics/campaigns/{campaign.pk}/",
        f"/en/analytics/imports/{job.pk}/",
        f"/en/analytics/imports/{job.pk}/status/",
    ):
        assert client.get(url).status_code == 404, url


def test_the_dashboard_never_shows_another_organizations_rows(client, org, traffic, other_organization):
    theirs = TrafficSourceFactory(organization=other_organization, name="Theirs")
    load(theirs, [row(2, MAY_1, "secret-campaign", spend="999.00")])

    html = html_of(client.get("/en/analytics/?group_by=campaign&date_from=2026-05-01&date_to=2026-05-03"))

    assert "Secret Campaign" not in html
    assert "Theirs" not in html
    assert other_organization.name not in html


def test_an_upload_into_another_organizations_source_is_refused(org, member_of, other_organization):
    theirs = TrafficSourceFactory(organization=other_organization, name="Theirs")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(member_of(org, role=Role.OWNER))

    response = client.post(
        "/en/analytics/imports/new/", {"source": theirs.pk, "file": SimpleUploadedFile("a.csv", b"Date\n")}
    )

    assert response.status_code == 400
    assert "Theirs" not in html_of(response)
    assert not ImportJob.objects.exists()


def test_someone_without_an_organization_is_told_so(django_user_model):
    user = django_user_model.objects.create_user(email="lonely@example.com", password="x" * 12)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)

    response = client.get("/en/analytics/")

    assert response.status_code == 404
    assert "not a member of any organization" in html_of(response)


def test_demo_like_month_renders_every_grouping(client, source):
    rows = []
    for offset in range(30):
        day = MAY_1 + timedelta(days=offset)
        rows.append(row(2 + offset, day, "cmp-a", spend="10.00", revenue="12.00", installs=3, clicks=40,
                        country="RU", os="android", creative="video"))  # fmt: skip
    load(source, rows)
    for grouping in ("day", "week", "month", "source", "program", "offer", "campaign", "country", "os", "creative"):
        response = client.get(f"/en/analytics/?group_by={grouping}")
        assert response.status_code == 200, grouping
        assert "300.00\xa0USD" in html_of(response), grouping
