"""The whole file is validated: every bad cell is reported with its line, column, raw value and the form that
was expected, not only the first; rows with a bad cell are left out; business rules only warn."""

from __future__ import annotations

from datetime import date

from apps.analytics.formats import ERROR_LIMIT
from tests.analytics.formats_helpers import FIXTURES, read_all

HEADER = "Date,Campaign,Campaign ID,Exchange,Country,OS,Impressions,Clicks,Installs,Spend,Currency"
GOOD = "2026-05-01,A,1,X,US,ios,100,5,1,2.00,USD"


def test_a_file_with_three_bad_cells_reports_all_three_and_keeps_the_good_rows():
    text = "\n".join(
        [
            HEADER,
            GOOD,
            "2026-13-45,A,1,X,US,ios,100,5,1,2.00,USD",  # no 13th month
            GOOD,
            "2026-05-01,A,1,X,Narnia,ios,100,5,1,2.00,USD",
            "2026-05-01,A,1,X,US,ios,100,five,1,2.00,USD",
            GOOD,
        ]
    )

    reading, rows = read_all(text + "\n")

    assert [(e.line, e.column, e.raw) for e in reading.errors] == [
        (3, "Date", "2026-13-45"),
        (5, "Country", "Narnia"),
        (6, "Clicks", "five"),
    ]
    assert reading.error_count == 3
    assert [row.line for row in rows] == [2, 4, 7]
    assert (reading.rows_read, reading.rows_rejected) == (6, 3)
    assert str(reading.errors[1]) == (
        "Line 5, column “Country”: “Narnia” is not a country code (ISO 3166-1 alpha-2 or alpha-3) or a country name."
    )
    assert "whole number" in str(reading.errors[2].expected)


def test_a_row_with_two_bad_cells_reports_both():
    reading, _rows = read_all(HEADER + "\n2026-05-01,A,1,X,US,ios,1e5,5,1,12..0,USD\n")

    assert [(e.column, e.raw) for e in reading.errors] == [("Impressions", "1e5"), ("Spend", "12..0")]


def test_negative_counts_and_fractional_installs_are_bad_cells():
    reading, rows = read_all(HEADER + "\n2026-05-01,A,1,X,US,ios,-1,5,1.5,2.00,USD\n")

    assert rows == []
    assert [e.column for e in reading.errors] == ["Impressions", "Installs"]


def test_a_missing_date_is_a_bad_cell():
    reading, rows = read_all(HEADER + "\nN/A,A,1,X,US,ios,100,5,1,2.00,USD\n")

    assert rows == []
    assert (
        str(reading.errors[0])
        == "Line 2, column “Date”: the cell is empty; expected filled in (the column is required)."
    )


def test_amounts_without_any_currency_are_refused_row_by_row():
    reading, rows = read_all("binom_cost.csv")

    assert rows == []
    assert [e.line for e in reading.errors] == [1, 2, 3]
    assert "currency" in str(reading.errors[0])


def test_two_currencies_for_one_row_is_a_bad_cell():
    text = "Date,Campaign,Exchange,Spend (EUR),Currency\n2026-05-01,A,X,2.00,USD\n"

    reading, rows = read_all(text)

    assert rows == []
    assert reading.errors[0].raw == "USD / EUR"


def test_a_row_longer_than_the_header_is_refused():
    reading, rows = read_all(HEADER + "\n" + GOOD + ",surplus\n")

    assert rows == []
    assert reading.errors[0].raw == "surplus"


def test_a_trailing_delimiter_after_the_last_cell_is_not_a_surplus_cell():
    reading, rows = read_all(HEADER + "\n" + GOOD + ",\n")

    assert reading.errors == []
    assert rows[0].currency == "USD"


def test_errors_are_capped_but_all_counted():
    bad = "2026-05-01,A,1,X,US,ios,many,5,1,2.00,USD"
    text = HEADER + "\n" + "\n".join([bad] * (ERROR_LIMIT + 250)) + "\n"

    reading, rows = read_all(text)

    assert rows == []
    assert len(reading.errors) == ERROR_LIMIT
    assert reading.error_count == ERROR_LIMIT + 250


def test_the_errors_listed_are_the_first_ones_by_line_even_when_a_later_column_is_worse():
    # Column "Impressions" is bad on every row; "Clicks" only on line 2. The list keeps file order.
    bad_impressions = "2026-05-01,A,1,X,US,ios,many,5,1,2.00,USD"
    text = "\n".join([HEADER, "2026-05-01,A,1,X,US,ios,many,few,1,2.00,USD"] + [bad_impressions] * (ERROR_LIMIT * 3))

    reading, _rows = read_all(text + "\n", batch_size=1000)

    assert [(e.line, e.column) for e in reading.errors[:3]] == [(2, "Impressions"), (2, "Clicks"), (3, "Impressions")]
    assert len(reading.errors) == ERROR_LIMIT
    assert reading.errors[-1].line == ERROR_LIMIT
    assert reading.error_count == ERROR_LIMIT * 3 + 2


def test_json_values_of_the_wrong_type_are_bad_cells():
    row = '{"date": "2026-05-01", "metric": {"impressions": true, "spend": [1]}, "currency": "USD"}'

    reading, rows = read_all(row)

    assert rows == []
    assert [(e.column, e.raw) for e in reading.errors] == [("metric.impressions", "True"), ("metric.spend", "[1]")]


def test_business_rules_warn_without_refusing_the_row():
    text = "\n".join(
        [
            HEADER,
            "2026-05-01,A,1,X,US,ios,100,500,1,2.00,USD",  # more clicks than impressions
            "2026-05-01,A,1,X,US,ios,100,5,1,-2.00,USD",  # negative spend
            "2099-05-01,A,1,X,US,ios,100,5,1,2.00,USD",  # in the future
            "2026-05-01,A,1,X,US,ios,100,5,1,2.00,XYZ",  # unknown currency
            "2026-05-02,A,1,X,US,ios,100,5,1,2.00,XYZ",  # ... warned about once
        ]
    )

    reading, rows = read_all(text + "\n")

    assert len(rows) == 5
    assert reading.errors == []
    assert [(w.line, w.column) for w in reading.warnings] == [
        (2, "Clicks"),
        (3, "Spend"),
        (4, "Date"),
        (5, "Currency"),
    ]
    assert reading.warnings[2].message == "The date 2099-05-01 is in the future."
    assert "XYZ" in str(reading.warnings[3])
    assert rows[3].currency == "XYZ"


def test_a_raw_conversion_without_its_time_is_a_bad_cell():
    reading, rows = read_all("appsflyer_raw_installs.csv")
    assert rows[0].conversion_time is not None

    data = (FIXTURES / "appsflyer_raw_installs.csv").read_text()
    broken = data.replace("2026-05-01 09:05:12,2026-05-01 09:05:12", "N/A,N/A", 1)
    reading, rows = read_all(broken)

    assert [row.transaction_id for row in rows] == ["1714550712000-222"]
    assert [(e.line, e.column) for e in reading.errors] == [(2, "Install Time")]


def test_the_summary_reads_like_a_sentence():
    reading, _rows = read_all(HEADER + "\n" + GOOD + "\n")

    assert reading.summary() == "Rows read: 1; rejected: 0; bad cells: 0; warnings: 0."
    assert reading.timezone == "UTC"
    assert date(2026, 5, 1) == _rows[0].report_date


def test_conversions_in_the_future_and_negative_payouts_are_warned_about():
    text = (
        "Click,Txid,When,Payout,Cur\n"
        "a,t-1,2099-01-01 00:00:00,1.00,USD\n"
        "b,t-2,2026-05-01 00:00:00,-1.00,USD\n"
        "c,,2026-05-01 00:00:00,1.00,USD\n"
    )
    mapping = {
        "click_id": "Click",
        "transaction_id": "Txid",
        "conversion_time": "When",
        "payout": "Payout",
        "currency": "Cur",
    }

    reading, rows = read_all(text, mapping=mapping)

    assert [row.transaction_id for row in rows] == ["t-1", "t-2"]
    assert [(w.line, w.column) for w in reading.warnings] == [(2, "When"), (3, "Payout")]
    assert [(e.line, e.column) for e in reading.errors] == [(4, "Txid")]
