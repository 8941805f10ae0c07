"""Headers as the vendors really write them (taken from public sources named beside each one), with a row or two
of made-up values: each is recognised as its format and its fields come out right.

The header lines are facts about the vendors' exports; the data rows are invented (no real user's ids)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from apps.analytics.formats import detect
from tests.analytics.formats_helpers import read_all

# AppsFlyer raw data (installs_report / in_app_events_report, Pull API v5 and dashboard export). The same line is
# in several public repositories, e.g. a TypeScript test whose comment says it was "confirmed live against a
# real AppsFlyer account", and a PHP Pull API client that keeps a recorded response for testing.
APPSFLYER_RAW_HEADER = (
    "Attributed Touch Type,Attributed Touch Time,Install Time,Event Time,Event Name,Event Value,Event Revenue,"
    "Event Revenue Currency,Event Revenue USD,Event Source,Is Receipt Validated,Partner,Media Source,Channel,"
    "Keywords,Campaign,Campaign ID,Adset,Adset ID,Ad,Ad ID,Ad Type,Site ID,Sub Site ID,Sub Param 1,Sub Param 2,"
    "Sub Param 3,Sub Param 4,Sub Param 5,Cost Model,Cost Value,Cost Currency,Contributor 1 Partner,"
    "Contributor 1 Media Source,Contributor 1 Campaign,Contributor 1 Touch Type,Contributor 1 Touch Time,"
    "Contributor 2 Partner,Contributor 2 Media Source,Contributor 2 Campaign,Contributor 2 Touch Type,"
    "Contributor 2 Touch Time,Contributor 3 Partner,Contributor 3 Media Source,Contributor 3 Campaign,"
    "Contributor 3 Touch Type,Contributor 3 Touch Time,Region,Country Code,State,City,Postal Code,DMA,IP,WIFI,"
    "Operator,Carrier,Language,AppsFlyer ID,Advertising ID,IDFA,Android ID,Customer User ID,IMEI,IDFV,Platform,"
    "Device Type,OS Version,App Version,SDK Version,App ID,App Name,Bundle ID,Is Retargeting,"
    "Retargeting Conversion Type,Attribution Lookback,Reengagement Window,Is Primary Attribution,User Agent,"
    "HTTP Referrer,Original URL"
)
APPSFLYER_RAW_COLUMNS = APPSFLYER_RAW_HEADER.split(",")


def _raw_line(**cells: str) -> str:
    """One raw-data line with the given columns filled and the rest empty, as AppsFlyer leaves them."""
    unknown = set(cells) - set(APPSFLYER_RAW_COLUMNS)
    assert not unknown, unknown
    return ",".join(cells.get(column, "") for column in APPSFLYER_RAW_COLUMNS)


def test_appsflyer_raw_installs_as_the_pull_api_writes_them():
    common = {
        "Attributed Touch Type": "click",
        "Media Source": "googleadwords_int",
        "Campaign": "IOS_Loans_Dec",
        "Campaign ID": "20833007721",
        "Event Source": "SDK",
        "Region": "AS",
        "Country Code": "IN",
        "Platform": "ios",
        "App ID": "id1234567890",
        "Is Primary Attribution": "true",
    }
    text = "\n".join(
        [
            APPSFLYER_RAW_HEADER,
            _raw_line(
                **common,
                **{
                    "Attributed Touch Time": "2024-02-04 13:28:46",
                    "Install Time": "2024-02-27 07:01:52",
                    "Event Time": "2024-02-27 07:01:52",
                    "Event Name": "install",
                    "Event Value": "null",
                    "Event Revenue Currency": "USD",
                    "AppsFlyer ID": "1700000000000-1111111",
                },
            ),
            _raw_line(
                **common,
                **{
                    "Install Time": "2024-02-27 06:14:08",
                    "Event Time": "2024-02-27 06:14:08",
                    "Event Name": "install",
                    "Event Revenue Currency": "USD",
                    "AppsFlyer ID": "1700000000000-2222222",
                },
            ),
        ]
    )

    assert detect(text.encode()).code == "appsflyer_raw_installs"
    reading, rows = read_all(text)
    assert reading.errors == []
    first, second = rows
    assert (first.transaction_id, first.event, first.campaign_id, first.campaign_name) == (
        "1700000000000-1111111",
        "install",
        "20833007721",
        "IOS_Loans_Dec",
    )
    assert (first.country, first.os) == ("IN", "ios")
    assert first.conversion_time.isoformat() == "2024-02-27T07:01:52+00:00"
    assert first.click_time.isoformat() == "2024-02-04T13:28:46+00:00"
    assert second.click_time is None
    assert second.transaction_id == "1700000000000-2222222"


def test_appsflyer_raw_in_app_events_as_the_pull_api_writes_them():
    text = "\n".join(
        [
            APPSFLYER_RAW_HEADER,
            _raw_line(
                **{
                    "Attributed Touch Type": "click",
                    "Attributed Touch Time": "2024-02-04 13:28:46",
                    "Install Time": "2024-02-27 07:01:52",
                    "Event Time": "2024-02-27 07:02:12",
                    "Event Name": "af_purchase",
                    "Event Value": '"{""af_revenue"":""4.99"",""af_currency"":""EUR""}"',
                    "Event Revenue": "4.99",
                    "Event Revenue Currency": "EUR",
                    "Event Revenue USD": "5.40",
                    "Event Source": "SDK",
                    "Media Source": "mintegral_int",
                    "Campaign": "US_Android_Purchase",
                    "Campaign ID": "cmp-101",
                    "Site ID": "pub_77",
                    "Country Code": "US",
                    "AppsFlyer ID": "1700000000000-3333333",
                    "Platform": "android",
                }
            ),
        ]
    )

    assert detect(text.encode()).code == "appsflyer_raw_events"
    reading, rows = read_all(text)
    assert reading.errors == []
    (row,) = rows
    assert (row.event, row.payout, row.currency, row.sub_id) == ("af_purchase", Decimal("4.99"), "EUR", "pub_77")
    assert row.conversion_time.isoformat() == "2024-02-27T07:02:12+00:00"
    assert row.transaction_id  # joined from AppsFlyer ID, Event Time and Event Name


# AppsFlyer partners_by_date_report (aggregate Pull API v5, CSV). Columns as a public Spark job declares the
# schema of the downloaded file, in the same order as the public airflow/airbyte readers of that report, plus one
# in-app event's triple ("<event> (Unique users)", "(Event counter)", "(Sales in USD)").
APPSFLYER_PARTNERS_HEADER = (
    "Date,Agency/PMD (af_prt),Media Source (pid),Campaign (c),Impressions,Clicks,CTR,Installs,Conversion Rate,"
    "Sessions,Loyal Users,Loyal Users/Installs,Total Revenue,Total Cost,ROI,ARPU,Average eCPI,"
    "af_login (Unique users),af_login (Event counter),af_login (Sales in USD)"
)


def test_appsflyer_partners_by_date_as_the_pull_api_writes_it():
    text = "\n".join(
        [
            APPSFLYER_PARTNERS_HEADER,
            "2026-05-01,None,googleadwords_int,ACI_Display,N/A,1200,N/A,42,N/A,130,30,0.71,12.50,84.00,-0.85,0.30,2.00,"
            "10,14,0",
            "2026-05-01,None,Organic,None,N/A,N/A,N/A,15,N/A,40,11,0.73,0,N/A,N/A,0,N/A,1,1,0",
        ]
    )

    assert detect(text.encode()).code == "appsflyer_partners"
    reading, rows = read_all(text)
    paid = next(row for row in rows if row.placement == "googleadwords_int")
    assert (paid.report_date, paid.campaign_name, paid.clicks, paid.installs) == (
        date(2026, 5, 1),
        "ACI_Display",
        1200,
        42,
    )
    assert (paid.spend, paid.revenue, paid.events) == (Decimal("84.00"), Decimal("12.50"), {"af_login": 14})


# AppsFlyer geo_by_date_report: the column list a public client of the Pull API keeps for it
# (…/export/<app>/geo_by_date_report/v5), with its first in-app event's triple.
APPSFLYER_GEO_HEADER = (
    "Date,Country,Agency/PMD (af_prt),Media Source (pid),Campaign (c),Impressions,Clicks,CTR,Installs,"
    "Conversion Rate,Sessions,Loyal Users,Loyal Users/Installs,Total Revenue,Total Cost,ROI,ARPU,Average eCPI,"
    "af_login (Unique users),af_login (Event counter),af_login (Sales in USD)"
)


def test_appsflyer_geo_by_date_as_the_pull_api_writes_it():
    text = "\n".join(
        [
            APPSFLYER_GEO_HEADER,
            "2026-05-01,IN,None,googleadwords_int,ACI_Display,N/A,1200,N/A,42,N/A,130,30,0.71,12.50,84.00,-0.85,0.30,"
            "2.00,10,14,0",
        ]
    )

    assert detect(text.encode()).code == "appsflyer_geo"
    reading, (row,) = read_all(text)
    assert (row.report_date, row.country, row.placement, row.campaign_name) == (
        date(2026, 5, 1),
        "IN",
        "googleadwords_int",
        "ACI_Display",
    )
    assert (row.installs, row.spend) == (42, Decimal("84.00"))


# The same report pulled for media_source=facebook has no "Campaign (c)": it names the campaign, ad set and ad
# ("Campaign Name", "Campaign Id", "Adset Name", "Adset Id", "Adgroup Name", "Adgroup Id"). Column names and order
# from the header table of a public AppsFlyer CSV parser's documentation (afly, "Standard vs Facebook column
# shapes"), verified there against a live account.
APPSFLYER_GEO_FACEBOOK_HEADER = (
    "Date,Country,Agency/PMD (af_prt),Media Source (pid),Campaign Name,Campaign Id,Adset Name,Adset Id,"
    "Adgroup Name,Adgroup Id,Impressions,Clicks,CTR,Installs,Conversion Rate,Sessions,Loyal Users,"
    "Loyal Users/Installs,Total Revenue,Total Cost,ROI,ARPU,Average eCPI"
)


def test_appsflyer_geo_by_date_for_facebook_names_campaign_ad_set_and_ad():
    text = "\n".join(
        [
            APPSFLYER_GEO_FACEBOOK_HEADER,
            "2026-05-01,DE,None,Facebook Ads,DE_Purchase,2384000000001,Broad 25-45,2384000000002,Video 15s,"
            "2384000000003,10000,250,0.025,20,0.08,60,12,0.6,0,40.00,-1,0,2.00",
        ]
    )

    assert detect(text.encode()).code == "appsflyer_geo"
    # No "(Sales in XXX)" column names the app's currency here, so the traffic source's is used.
    reading, (row,) = read_all(text, source_currency="EUR")
    assert reading.errors == []
    assert (row.campaign_id, row.campaign_name, row.ad_group, row.creative, row.country) == (
        "2384000000001",
        "DE_Purchase",
        "Broad 25-45",
        "Video 15s",
        "DE",
    )
    assert (row.impressions, row.spend, row.currency) == (10000, Decimal("40.00"), "EUR")


# Adjust Report Service CSV (GET https://automate.adjust.com/reports-service/csv_report): one column per requested
# dimension and metric, headed by its slug unless readable_names=true (dev.adjust.com/en/api/rs-api/csv). The slugs
# are those a public Adjust connector requests (dimensions, then metrics, in its order).
ADJUST_SLUG_HEADER = (
    "adgroup,adgroup_network,app,app_token,campaign,campaign_network,channel,country,creative,creative_network,"
    "currency,day,network,partner_name,source_network,store_type,clicks,impressions,installs,cost,ad_revenue,"
    "revenue,att_status_authorized,att_status_denied"
)


def test_adjust_csv_report_headed_by_slugs():
    text = "\n".join(
        [
            ADJUST_SLUG_HEADER,
            "Broad,Broad 25-45,Merge Game,abc123def456,DE Purchase,DE_Purchase_0501,Paid,Germany,Video,Video 15s,"
            "USD,2026-05-01,Moloco,Moloco,Moloco,google_play,310,12400,42,210.00,1.20,55.10,0,0",
        ]
    )

    assert detect(text.encode()).code == "adjust_csv"
    reading, (row,) = read_all(text)
    assert reading.errors == []
    assert (row.report_date, row.campaign_name, row.ad_group, row.creative, row.placement) == (
        date(2026, 5, 1),
        "DE_Purchase_0501",
        "Broad 25-45",
        "Video 15s",
        "Moloco",
    )
    assert (row.country, row.clicks, row.installs, row.spend, row.revenue, row.currency) == (
        "DE",
        310,
        42,
        Decimal("210.00"),
        Decimal("55.10"),
        "USD",
    )


# Moloco Ads report API (POST https://api.moloco.cloud/cm/v1/reports, then the status's location_csv). Its CSV
# names columns "<Dimension>_<Field>": a public cost importer that asks for dimensions DATE, APP_OR_SITE and
# CAMPAIGN reads "Date", "App_ID", "Campaign_ID", "Campaign_Title", "Campaign_Country", "Spend", "Impressions",
# "Clicks" and "Installs" from it (another public script reads "Date", "Campaign_Title", "Impressions", "Clicks"
# and "Spend"). The column names are from those readers; their order here is ours.
MOLOCO_API_CSV_HEADER = "Date,App_ID,Campaign_ID,Campaign_Title,Campaign_Country,Impressions,Clicks,Installs,Spend"


def test_moloco_report_api_csv_is_recognised_by_its_campaign_title():
    text = "\n".join(
        [
            MOLOCO_API_CSV_HEADER,
            "2026-05-01,com.example.game,cmp-101,US_Android_Purchase,USA,12400,310,42,210.5",
            "2026-05-01,com.example.game,cmp-102,DE_Android_Purchase,DEU,1000,20,3,12.34",
        ]
    )

    assert detect(text.encode()).code == "moloco_csv"
    reading, rows = read_all(text, source_currency="USD")
    assert reading.errors == []
    assert [(row.report_date, row.campaign_id, row.campaign_name, row.country) for row in rows] == [
        (date(2026, 5, 1), "cmp-101", "US_Android_Purchase", "US"),
        (date(2026, 5, 1), "cmp-102", "DE_Android_Purchase", "DE"),
    ]
    assert [(row.impressions, row.clicks, row.installs, row.spend) for row in rows] == [
        (12400, 310, 42, Decimal("210.5")),
        (1000, 20, 3, Decimal("12.34")),
    ]


# The same report's location_json: {"rows": [{"date", "campaign": {"id", "title", "country"}, "metric":
# {"impressions", "clicks", "installs" (strings), "spend" (a number)}}]}, as public clients of the API type it.
def test_moloco_report_api_json_rows():
    rows = {
        "rows": [
            {
                "date": "2026-05-01",
                "campaign": {"id": "cmp-101", "title": "US_Android_Purchase", "country": "USA"},
                "metric": {"impressions": "12400", "clicks": "310", "installs": "42", "spend": 210.5},
            }
        ]
    }
    text = json.dumps(rows)

    assert detect(text.encode()).code == "moloco_json"
    reading, (row,) = read_all(text, source_currency="USD")
    assert reading.errors == []
    assert (row.report_date, row.campaign_id, row.campaign_name, row.country) == (
        date(2026, 5, 1),
        "cmp-101",
        "US_Android_Purchase",
        "US",
    )
    assert (row.impressions, row.installs, row.spend) == (12400, 42, Decimal("210.5"))


# Keitaro Admin API report (POST /admin_api/v1/report/build), its rows saved as CSV. Every name is a slug of
# Keitaro's own Admin API specification (the OpenAPI document a public PHP client keeps as original/openapi.json,
# playtini/keitaro-client): "day", "campaign_id", "campaign", "ts", "country_code", "country", "sub_id_1" among the
# report's columns; "clicks", "campaign_unique_clicks", "conversions", "leads", "sales", "rejected", "lp_clicks",
# "lp_ctr", "cr", "epc", "cost", "revenue", "profit", "roi", "roi_confirmed" among its metrics. A response row is
# an object keyed by those slugs, the numbers as JSON numbers ({"sub_id_4": "…", "clicks": 462,
# "campaign_unique_clicks": 350, "conversions": 10, "roi_confirmed": 111.64} in a public capture of the call).
# The order of the columns and the form of a "day" value are ours (the specification shows neither).
KEITARO_API_HEADER = (
    "day,campaign_id,campaign,ts,country_code,country,sub_id_1,clicks,campaign_unique_clicks,conversions,leads,"
    "sales,rejected,lp_clicks,lp_ctr,cr,epc,cost,revenue,profit,roi,roi_confirmed"
)


def test_keitaro_admin_api_report_saved_as_csv():
    text = "\n".join(
        [
            KEITARO_API_HEADER,
            "2026-05-01,12,Push DE,PropellerAds,DE,Germany,pub_1,462,350,10,7,3,0,120,25.97,2.16,0.0649,6.32,30,23.68,"
            "374.68,111.64",
            "2026-05-01,13,Push AT,PropellerAds,AT,Austria,pub_2,90,88,0,0,0,0,10,11.11,0,0,1.5,0,-1.5,-100,-100",
        ]
    )

    assert detect(text.encode()).code == "keitaro"
    reading, rows = read_all(text, source_currency="USD")
    assert reading.errors == []
    assert [(row.report_date, row.campaign_id, row.campaign_name, row.placement, row.country) for row in rows] == [
        (date(2026, 5, 1), "12", "Push DE", "PropellerAds", "DE"),
        (date(2026, 5, 1), "13", "Push AT", "PropellerAds", "AT"),
    ]
    assert [(row.sub_id, row.clicks, row.conversions, row.spend, row.revenue) for row in rows] == [
        ("pub_1", 462, 10, Decimal("6.32"), Decimal("30")),
        ("pub_2", 90, 0, Decimal("1.5"), Decimal("0")),
    ]


# Binom 2 API statistics rows (the /public/api/v1/trends response recorded from a live tracker in a public Binom
# API reference, pavelraiden/binom-api-encyclopedia, docs/examples/responses/trends.json): the keys, in that
# order, and the numbers as strings as Binom sends them ("3340477", "4.782056", "11241.239321806"); the same
# response ends with a "totals" object whose "date" is "totals". Its rows are hours ("00:00 - 01:00"); the form
# of a day's "date" is not in the recording, so the ISO dates here are ours.
BINOM_API_STATS_HEADER = (
    "date,clicks,lander_ctr,leads,cr,epc,cpc,revenue,cost,profit,roi,unique_clicks,lander_clicks,lander_views"
)


def test_binom_api_statistics_saved_as_csv():
    text = "\n".join(
        [
            BINOM_API_STATS_HEADER,
            "2026-05-01,5000,24.242424,40,0.8,0.02,0.0101,100,50.5,49.5,98.019802,4100,1200,4950",
            "2026-05-02,4000,22.5,30,0.75,0.02,0.01,80,40,40,100,3350,900,4000",
            "totals,9000,23.466667,70,0.777778,0.02,0.010056,180,90.5,89.5,98.895028,7450,2100,8950",
        ]
    )

    assert detect(text.encode()).code == "binom"
    reading, rows = read_all(text, source_currency="USD")
    assert reading.errors == []
    assert reading.rows_read == 2  # the "totals" line sums the days
    assert [(row.report_date, row.clicks, row.conversions, row.spend, row.revenue) for row in rows] == [
        (date(2026, 5, 1), 5000, 40, Decimal("50.5"), Decimal("100")),
        (date(2026, 5, 2), 4000, 30, Decimal("40"), Decimal("80")),
    ]


# Binom's report has no date column: its rows are named by the grouping in "Name" (a day, when grouped by days).
# The report's columns as Binom's own API changelog lists them (docs.binom.org/api_change.php, "Reports"): the
# names of Binom 1.8 and earlier, and the keys of 1.9 with its example row ("clicks": "2,038", "lp_ctr": "0.00%",
# "roi": "-55.35%"). Binom 2 names the same columns "ID", "Name", "Clicks", "LP Clicks", "LP CTR", "Leads", "CR",
# "EPC", "CPC", "Revenue", "Cost", "Profit", "ROI" (its GET /columns response, recorded in the Binom API reference
# above as docs/examples/responses/columns.json). Grouped by days, the day is the row's Name.
@pytest.mark.parametrize(
    ("header", "row"),
    [
        (
            "Level,Name,Clicks,LP Clicks,LP CTR,Leads,CR,EPC,CPC,Revenue,Spend,Profit,ROI",
            '1,2026-05-01,"2,038",0,0.00%,92,4.51%,0.0045,0.0100,9.10,20.38,-11.28,-55.35%',
        ),
        (
            "level,name,clicks,offer_clicks,lp_ctr,leads,cr,epc,cpc,revenue,cost,profit,roi",
            '1,2026-05-01,"2,038",0,0.00%,92,4.51%,0.0045,0.0100,9.10,20.38,-11.28,-55.35%',
        ),
    ],
)
def test_binom_report_grouped_by_days_takes_its_day_from_name(header, row):
    text = header + "\n" + row + "\n"

    assert detect(text.encode()).code == "binom"
    reading, rows = read_all(text, source_currency="USD")
    assert reading.errors == []
    assert [(row.report_date, row.clicks, row.conversions, row.spend, row.revenue) for row in rows] == [
        (date(2026, 5, 1), 2038, 92, Decimal("20.38"), Decimal("9.10"))
    ]


# Binom's cost import (Report > Update costs > Import from CSV), as its documentation gives the lines
# (docs.binom.org/update-costs.php): "Campaign id;Time zone (ex. +3);Date (yyyy-mm-dd);Cost;Token number
# (optional);Token value (optional)".
@pytest.mark.parametrize(
    ("lines", "sub_ids"),
    [
        ("17;+3;2026-05-01;12.50\n18;+3;2026-05-01;1000.00\n", ["", ""]),
        ("17;+3;2026-05-01;12.50;1;pubdomain.com\n17;+3;2026-05-01;3.25;1;other.com\n", ["pubdomain.com", "other.com"]),
    ],
)
def test_binom_documented_cost_import_lines_are_read_as_documented(lines, sub_ids):
    assert detect(lines.encode()).code == "binom_cost"
    reading, rows = read_all(lines, source_currency="USD")
    assert reading.errors == []
    assert reading.timezone == "UTC+03:00"
    assert [row.sub_id for row in rows] == sub_ids
    assert [row.report_date for row in rows] == [date(2026, 5, 1), date(2026, 5, 1)]


# Voluum Reporting API (GET https://api.voluum.com/report?…&columns=…&groupBy=…), its rows saved as CSV. The
# column keys are those public clients of the API request and read back from "rows": "day", "campaignName",
# "campaignId", "impressions", "visits", "uniqueVisits", "clicks", "conversions", "revenue", "cost", "profit"
# (hieumdd/palma_voluum, models/Report.py, whose schema also gives Voluum's labels: "Campaign ID", "Campaign",
# "Visits", "Unique visits", "Clicks", "Conversions", "Revenue", "Cost", "Profit"); "trafficSourceId",
# "trafficSourceName" (bhambri94/voluum-apis, voluum/volluumApis.go); "countryName", "cpv", "cv", "roi", "epv"
# with groupBy=country-code (brianhallerweb/UlanMedia, functions/data_acquisition_functions/
# create_countries_dataset.py, which, as Kontora does, takes the visits for the ad network's clicks). The order of
# the columns and the form of a "day" value are ours.
VOLUUM_API_HEADER = (
    "day,campaignId,campaignName,trafficSourceId,trafficSourceName,countryName,visits,uniqueVisits,clicks,"
    "conversions,revenue,cost,profit,cpv,cv,roi,epv"
)


def test_voluum_reporting_api_rows_saved_as_csv():
    text = "\n".join(
        [
            VOLUUM_API_HEADER,
            "2026-05-13,3f9c1a2e-0d4b-4a8e-9f2c-5b7d6e8a1c01,Native US,0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d,MGID,"
            "United States,2000,1800,600,20,150,60,90,0.03,1,150,0.075",
            "2026-05-13,3f9c1a2e-0d4b-4a8e-9f2c-5b7d6e8a1c01,Native US,0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d,MGID,"
            "Canada,500,480,90,2,12.5,15,-2.5,0.03,0.4,-16.6667,0.025",
        ]
    )

    assert detect(text.encode()).code == "voluum"
    reading, rows = read_all(text, source_currency="USD")
    assert reading.errors == []
    assert [(row.report_date, row.campaign_id, row.campaign_name, row.placement, row.country) for row in rows] == [
        (date(2026, 5, 13), "3f9c1a2e-0d4b-4a8e-9f2c-5b7d6e8a1c01", "Native US", "MGID", "US"),
        (date(2026, 5, 13), "3f9c1a2e-0d4b-4a8e-9f2c-5b7d6e8a1c01", "Native US", "MGID", "CA"),
    ]
    # Voluum's "clicks" are landing-page clicks; the visits are the traffic source's clicks.
    assert [(row.clicks, row.conversions, row.spend, row.revenue) for row in rows] == [
        (2000, 20, Decimal("60"), Decimal("150")),
        (500, 2, Decimal("15"), Decimal("12.5")),
    ]


@pytest.mark.parametrize(
    "header",
    [
        APPSFLYER_RAW_HEADER,
        APPSFLYER_PARTNERS_HEADER,
        APPSFLYER_GEO_HEADER,
        ADJUST_SLUG_HEADER,
        MOLOCO_API_CSV_HEADER,
        KEITARO_API_HEADER,
        BINOM_API_STATS_HEADER,
        VOLUUM_API_HEADER,
    ],
)
def test_each_recorded_header_fits_one_format_only(header):
    from apps.analytics.formats import FORMATS

    columns = header.split(",")
    fitting = {fmt.code for fmt in FORMATS if fmt.container == "csv" and fmt.fits(columns)}
    # Raw installs and raw events share their header (the rows tell them apart); every other header fits one.
    assert fitting in (
        {"appsflyer_raw_installs", "appsflyer_raw_events"},
        {"appsflyer_partners"},
        {"appsflyer_geo"},
        {"adjust_csv"},
        {"moloco_csv"},
        {"keitaro"},
        {"binom"},
        {"voluum"},
    )
