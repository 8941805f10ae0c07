"""Real exports are messy: byte-order marks, three delimiters, decimal commas and thousands separators, "N/A"
for missing, alpha-3 codes and country names, several date forms, currencies in headers, per-event column
triples, numbers sent as strings, renamed headers. Each is read to the one normalized row."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from tests.analytics.formats_helpers import read_all

MOLOCO_HEADER = "Date,Campaign,Campaign ID,Exchange,Country,OS,Impressions,Clicks,Installs,Spend,Currency"


def test_appsflyer_partners_report_reads_events_totals_and_the_sales_currency():
    reading, rows = read_all("appsflyer_partners_by_date.csv")

    paid, organic, restated = rows
    assert (paid.report_date, paid.campaign_name, paid.placement) == (
        date(2026, 5, 1),
        "US_Android_Purchase",
        "mintegral_int",
    )
    assert (paid.impressions, paid.clicks, paid.installs) == (12400, 310, 42)
    assert paid.events == {"af_purchase": 9, "af_complete_registration": 22}
    assert (paid.spend, paid.revenue, paid.currency) == (Decimal("210.00"), Decimal("1234.50"), "USD")
    # Organic installs: the network did not report impressions or clicks, which is not zero of them.
    assert (organic.campaign_name, organic.impressions, organic.clicks, organic.spend) == ("", None, None, None)
    assert restated.spend == Decimal("-3.50")
    assert [(w.line, w.column) for w in reading.warnings] == [(4, "Clicks"), (4, "Total Cost")]


def test_a_byte_order_mark_does_not_become_part_of_the_first_column():
    reading, rows = read_all("appsflyer_partners_by_date.csv")

    assert reading.header[0] == "Date"
    assert rows[0].report_date == date(2026, 5, 1)


def test_geo_report_sales_in_eur_gives_the_rows_currency_and_countries_are_alpha_2():
    _reading, rows = read_all("appsflyer_geo_by_date.csv")

    assert [row.country for row in rows] == ["US", "DE", "RU"]
    assert {row.currency for row in rows if row.spend is not None} == {"EUR"}
    assert rows[0].events == {"purchase_success": 4}


def test_moloco_csv_with_semicolons_decimal_commas_grouped_thousands_and_alpha_3_codes():
    _reading, rows = read_all("moloco_dashboard.csv")

    us, de, ru = rows
    assert (us.impressions, us.spend, us.country, us.os) == (12400, Decimal("210.50"), "US", "android")
    assert (de.impressions, de.clicks, de.spend, de.currency) == (1234567, 2000, Decimal("1234.56"), "EUR")
    assert (ru.country, ru.os, ru.impressions, ru.clicks, ru.installs) == ("RU", "ios", None, None, None)


def test_moloco_json_numbers_sent_as_strings_and_as_numbers_are_decimals_never_floats():
    _reading, rows = read_all("moloco_report_rows.json")

    assert [(row.campaign_id, row.impressions, row.spend) for row in rows] == [
        ("cmp-101", 12400, Decimal("210.5")),
        ("cmp-102", 1000, Decimal("12.34")),
    ]
    assert all(type(row.spend) is Decimal for row in rows)
    assert [row.country for row in rows] == ["US", "DE"]
    assert [row.line for row in rows] == [2, 3]


def test_keitaro_russian_export_with_decimal_commas_dotted_dates_and_a_totals_row():
    reading, rows = read_all("keitaro_report.csv", source_currency="RUB")

    assert reading.delimiter == ";"
    assert [(row.report_date, row.campaign_name, row.country, row.clicks, row.revenue, row.spend) for row in rows] == [
        (date(2026, 5, 1), "Push RU", "RU", 1204, Decimal("1234.50"), Decimal("600.00")),
        (date(2026, 5, 1), "Push KZ", "KZ", 90, Decimal("10.00"), Decimal("12.00")),
    ]
    assert {row.currency for row in rows} == {"RUB"}
    assert reading.rows_read == 2  # «Итого» is the export's total, not a day


def test_voluum_dollar_amounts_and_month_first_dates_decided_by_a_day_above_12():
    _reading, rows = read_all("voluum_report.csv")

    assert [row.report_date for row in rows] == [date(2026, 5, 13), date(2026, 5, 14)]
    assert [(row.clicks, row.revenue, row.spend, row.currency) for row in rows] == [
        (2000, Decimal("150.00"), Decimal("60.00"), "USD"),
        (1500, Decimal("75.00"), Decimal("45.00"), "USD"),
    ]


def test_slash_dates_are_read_day_first_for_the_whole_file_when_one_day_is_above_12():
    text = MOLOCO_HEADER + "\n05/04/2026,A,1,X,US,ios,10,1,0,1.00,USD\n25/04/2026,A,1,X,US,ios,10,1,0,1.00,USD\n"

    reading, rows = read_all(text)

    assert [row.report_date for row in rows] == [date(2026, 4, 5), date(2026, 4, 25)]
    assert reading.warnings == []


def test_ambiguous_slash_dates_are_read_month_first_and_say_so():
    text = MOLOCO_HEADER + "\n05/04/2026,A,1,X,US,ios,10,1,0,1.00,USD\n"

    reading, rows = read_all(text)

    assert rows[0].report_date == date(2026, 5, 4)
    assert "month first" in reading.warnings[0].message


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2026-05-01", date(2026, 5, 1)),
        ("2026-05-01 00:00:00", date(2026, 5, 1)),
        ("01.05.2026", date(2026, 5, 1)),
        ("2026/05/01", date(2026, 5, 1)),
        ("May 1, 2026", date(2026, 5, 1)),
        # A timestamp with an offset is the source's day: 23:30 UTC on the 1st is the 2nd in Moscow.
        ("2026-05-01T23:30:00Z", date(2026, 5, 2)),
    ],
)
def test_date_forms(cell, expected):
    text = MOLOCO_HEADER + f'\n"{cell}",A,1,X,US,ios,10,1,0,1.00,USD\n'

    _reading, rows = read_all(text, source_timezone="Europe/Moscow")

    assert rows[0].report_date == expected


@pytest.mark.parametrize(
    ("cell", "delimiter", "expected"),
    [
        ("1 234,56", ";", "1234.56"),
        ("1.234,56", ";", "1234.56"),
        ("1,234.56", ",", "1234.56"),
        ("1\u00a0234.5", ",", "1234.5"),
        ("12,5", ";", "12.5"),
        ("(12.50)", ",", "-12.50"),
        ("€12.50", ",", "12.50"),
    ],
)
def test_amount_spellings(cell, delimiter, expected):
    header = MOLOCO_HEADER.replace(",", delimiter).replace(f"{delimiter}Currency", "")
    cells = ["2026-05-01", "A", "1", "X", "US", "ios", "10", "1", "0", f'"{cell}"']
    text = header + "\n" + delimiter.join(cells) + "\n"

    _reading, rows = read_all(text, source_currency="EUR")

    assert rows[0].spend == Decimal(expected)


def test_tab_delimited_file_is_sniffed():
    reading, rows = read_all("binom_report.tsv", source_currency="USD")

    assert reading.delimiter == "\t"
    assert [(row.clicks, row.conversions, row.spend) for row in rows] == [
        (5000, 40, Decimal("50.00")),
        (4000, 30, Decimal("40.00")),
    ]


def test_renamed_headers_in_any_case_and_spacing_are_one_column():
    text = "DATE, campaign ,Exchange,Impression,CLICK,installs,Total  Spend,currency\n2026-05-01,A,X,100,5,1,2.00,usd\n"
    text = text.replace("Total  Spend", "Spend")

    _reading, rows = read_all(text)

    assert (rows[0].impressions, rows[0].clicks, rows[0].installs, rows[0].currency) == (100, 5, 1, "USD")


@pytest.mark.parametrize("header", ["Spend (EUR)", "Spend in EUR", "Spend, EUR", "Spend EUR"])
def test_currency_named_in_the_header(header):
    text = f'Date,Campaign,Exchange,Impressions,"{header}"\n2026-05-01,A,X,100,2.00\n'

    _reading, rows = read_all(text)

    assert (rows[0].spend, rows[0].currency) == (Decimal("2.00"), "EUR")


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("US", "US"),
        ("usa", "US"),
        ("United States", "US"),
        ("США", "US"),
        ("Germany", "DE"),
        ("Россия", "RU"),
        ("GBR", "GB"),
        ("UK", "GB"),
        ("Южная Корея", "KR"),
        ("N/A", ""),
        ("Unknown", ""),
    ],
)
def test_country_spellings(cell, expected):
    text = MOLOCO_HEADER + f"\n2026-05-01,A,1,X,{cell},ios,10,1,0,1.00,USD\n"

    _reading, rows = read_all(text)

    assert rows[0].country == expected


def test_missing_markers_are_none_never_zero():
    text = MOLOCO_HEADER + "\n2026-05-01,A,1,X,US,ios,N/A,None,-,,USD\n"

    _reading, rows = read_all(text)

    assert (rows[0].impressions, rows[0].clicks, rows[0].installs, rows[0].spend) == (None, None, None, None)
    assert rows[0].currency == ""


def test_raw_times_are_aware_and_in_utc_from_the_sources_time_zone():
    _reading, rows = read_all("appsflyer_raw_installs.csv", source_timezone="Europe/Moscow")

    assert rows[0].conversion_time == datetime(2026, 5, 1, 6, 5, 12, tzinfo=UTC)
    assert rows[0].click_time == datetime(2026, 5, 1, 6, 0, tzinfo=UTC)
    assert rows[1].click_time is None
    assert (rows[1].country, rows[1].os, rows[1].event) == ("GB", "ios", "install")


def test_raw_in_app_events_carry_revenue_currency_and_an_identity_of_their_own():
    _reading, rows = read_all("appsflyer_raw_events.csv")

    purchase, registration = rows
    assert (purchase.event, purchase.payout, purchase.currency) == ("af_purchase", Decimal("4.99"), "EUR")
    assert (registration.payout, registration.currency) == (None, "")
    assert purchase.transaction_id != registration.transaction_id


def test_adjust_slugs_read_network_as_placement_and_lower_case_country_codes():
    _reading, rows = read_all("adjust_report.csv")

    assert [(row.placement, row.country, row.os, row.currency) for row in rows] == [
        ("Moloco", "US", "android", "USD"),
        ("Unity Ads", "RU", "ios", "EUR"),
        ("Organic", "DE", "android", ""),
    ]


def test_binom_cost_lines_without_a_header_take_the_sources_currency_and_their_own_time_zone():
    # Binom's "Import from CSV": campaign id; time zone; date; cost[; token number; token value].
    reading, rows = read_all("binom_cost.csv", source_currency="usd", source_timezone="Europe/Berlin")

    assert [(row.line, row.report_date, row.campaign_id, row.spend, row.currency, row.sub_id) for row in rows] == [
        (1, date(2026, 5, 1), "17", Decimal("12.50"), "USD", ""),
        (2, date(2026, 5, 2), "17", Decimal("13.75"), "USD", ""),
        (3, date(2026, 5, 2), "18", Decimal("1000.00"), "USD", "pubdomain.com"),
    ]
    assert reading.timezone == "UTC+03:00"  # as the file says: Berlin is UTC+2 in May
    assert reading.errors == []


def test_binom_cost_lines_in_a_second_time_zone_are_bad_cells():
    text = "17;+3;2026-05-01;12.50\n17;-5;2026-05-02;13.75\n18;UTC+3;2026-05-02;10.00\n19;+3,5;2026-05-02;1.00\n"

    reading, rows = read_all(text, source_currency="USD")

    assert [row.line for row in rows] == [1, 3]
    assert [str(error) for error in reading.errors] == [
        "Line 2, column “column 2”: “-5” is not +3, the time zone of the file's first line: one file is in one "
        "time zone.",
        "Line 4, column “column 2”: “+3,5” is not an offset from UTC in hours such as +3, -5, 0 or +5:30.",
    ]


def test_windows_1251_file_is_read_with_a_warning():
    data = ("Дата;Кампания;Клики;Уникальные клики;Конверсии;Доход;Расход\n01.05.2026;Пуш;10;9;1;5,00;2,00\n").encode(
        "cp1251"
    )

    reading, rows = read_all(data, source_currency="RUB")

    assert rows[0].campaign_name == "Пуш"
    assert "Windows-1251" in reading.warnings[0].message


BINOM_GROUPED = (
    "Level,Name,Clicks,LP Clicks,LP CTR,Leads,Revenue,Cost\n"
    "1,Pop US,9000,2100,23.33%,70,180.00,90.00\n"
    "2,2026-05-01,5000,1200,24%,40,100.00,50.00\n"
    "2,2026-05-02,4000,900,22.5%,30,80.00,40.00\n"
    "1,Push DE,100,10,10%,1,5.00,2.00\n"
    "2,2026-05-02,100,10,10%,1,5.00,2.00\n"
    "1,Total,9100,2110,23.19%,71,185.00,92.00\n"
)


def test_a_binom_report_by_campaigns_then_days_reads_its_days_and_never_the_campaigns_subtotals():
    reading, rows = read_all(BINOM_GROUPED, source_currency="USD")

    assert reading.format.code == "binom"
    assert [(row.line, str(row.report_date), row.campaign_name, row.clicks, row.spend) for row in rows] == [
        (3, "2026-05-01", "Pop US", 5000, Decimal("50.00")),
        (4, "2026-05-02", "Pop US", 4000, Decimal("40.00")),
        (6, "2026-05-02", "Push DE", 100, Decimal("2.00")),
    ]
    assert reading.errors == []


def test_a_binom_report_by_days_then_campaigns_reads_the_same_facts():
    text = (
        "Level;Name;Clicks;LP Clicks;Leads;Revenue;Cost\n"
        "1;01.05.2026;5000;1200;40;100,00;50,00\n"
        "2;Pop US;5000;1200;40;100,00;50,00\n"
        "1;02.05.2026;4100;910;31;85,00;42,00\n"
        "2;Pop US;4000;900;30;80,00;40,00\n"
        "2;Push DE;100;10;1;5,00;2,00\n"
    )

    _reading, rows = read_all(text, source_currency="USD")

    assert [(row.line, str(row.report_date), row.campaign_name, row.spend) for row in rows] == [
        (3, "2026-05-01", "Pop US", Decimal("50.00")),
        (5, "2026-05-02", "Pop US", Decimal("40.00")),
        (6, "2026-05-02", "Push DE", Decimal("2.00")),
    ]


def test_a_binom_campaigns_report_by_days_has_its_day_in_name():
    text = "Name,Clicks,LP Clicks,LP CTR,Leads,Revenue,Cost\n2026-05-01,5000,1200,24%,40,100.00,50.00\n"

    reading, rows = read_all(text, source_currency="USD")

    assert reading.format.code == "binom"
    assert [(str(row.report_date), row.campaign_name, row.clicks) for row in rows] == [("2026-05-01", "", 5000)]


def test_binom_cost_lines_in_the_offset_of_their_sources_zone_are_in_that_zone():
    moscow, _rows = read_all("binom_cost.csv", source_currency="USD", source_timezone="Europe/Moscow")
    # Berlin is UTC+2 in May: the file's "+3" is not Berlin's time.
    berlin, _rows = read_all("binom_cost.csv", source_currency="USD", source_timezone="Europe/Berlin")

    assert (moscow.timezone, berlin.timezone) == ("Europe/Moscow", "UTC+03:00")
