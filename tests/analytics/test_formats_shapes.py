"""File shapes beyond the fixtures: JSON arrays and JSON Lines, UTF-16, empty and unreadable files, a mapping
recognised by detect, and the package's promise of no database access."""

from __future__ import annotations

import ast
from decimal import Decimal
from pathlib import Path

import pytest

import apps.analytics.formats as formats_package
from apps.analytics.formats import UnreadableFile, detect
from tests.analytics.formats_helpers import read_all

ROW = (
    '{"date": "2026-05-01", "campaign": {"id": "c1"}, "metric": {"impressions": "10", "spend": 1.5}, "currency": "USD"}'
)


def test_a_top_level_json_array_is_read_row_by_row():
    reading, rows = read_all(f"[{ROW}, {ROW}]")

    assert reading.format.code == "moloco_json"
    assert [(row.line, row.campaign_id, row.impressions, row.spend) for row in rows] == [
        (2, "c1", 10, Decimal("1.5")),
        (3, "c1", 10, Decimal("1.5")),
    ]


def test_json_lines_are_read_row_by_row():
    _reading, rows = read_all(f"{ROW}\n{ROW}\n{ROW}\n")

    assert len(rows) == 3


def test_a_json_count_with_a_fraction_is_a_bad_cell_not_truncated():
    reading, rows = read_all(ROW.replace('"impressions": "10"', '"impressions": 10.5'))

    assert rows == []
    assert (reading.errors[0].column, reading.errors[0].raw) == ("metric.impressions", "10.5")


def test_broken_json_is_unreadable():
    with pytest.raises(UnreadableFile):
        read_all('{"rows": [' + ROW + ', {"date": ')


def test_utf16_excel_export_is_read():
    text = "Date\tCampaign\tExchange\tImpressions\tSpend\tCurrency\r\n2026-05-01\tКампания\tX\t100\t2,50\tEUR\r\n"

    reading, rows = read_all(text.encode("utf-16"))

    assert reading.format.code == "moloco_csv"
    assert (rows[0].campaign_name, rows[0].spend) == ("Кампания", Decimal("2.50"))


def test_an_empty_file_is_unreadable():
    with pytest.raises(UnreadableFile):
        read_all(b"")


def test_detect_prefers_the_sources_saved_mapping():
    sample = b"Day;Offer;Spent\n2026-05-01;A;1,00\n"

    fmt = detect(sample, mapping={"report_date": "Day", "campaign_name": "Offer", "spend": "Spent"})

    assert (fmt.code, fmt.kind) == ("generic", "metric")


def test_a_mapping_with_conversion_fields_reads_conversions():
    text = 'Click,Txid,When,Payout,Cur\nabc,t-1,2026-05-01 10:00:00,"1,50",EUR\n'
    mapping = {
        "click_id": "Click",
        "transaction_id": "Txid",
        "conversion_time": "When",
        "payout": "Payout",
        "currency": "Cur",
    }

    reading, rows = read_all(text, mapping=mapping, source_timezone="Europe/Berlin")

    assert reading.format.kind == "conversion"
    assert (rows[0].click_id, rows[0].transaction_id, rows[0].payout, rows[0].currency) == (
        "abc",
        "t-1",
        Decimal("1.50"),
        "EUR",
    )
    assert rows[0].conversion_time.isoformat() == "2026-05-01T08:00:00+00:00"


def test_a_mapping_reads_json_rows_too():
    text = (
        '{"clicks": 7, "day": "2026-05-01", "offer": {"name": "A"}, "cost": "1.25"}\n'
        '{"clicks": 8, "day": "2026-05-02", "offer": {"name": "B"}, "cost": 2}\n'
    )
    mapping = {"clicks": "clicks", "report_date": "day", "campaign_name": "offer.name", "spend": "cost"}

    reading, rows = read_all(text, mapping=mapping, source_currency="USD")

    assert reading.format.code == "generic"
    assert [(row.clicks, row.campaign_name, row.spend) for row in rows] == [
        (7, "A", Decimal("1.25")),
        (8, "B", Decimal("2")),
    ]


def test_a_mapping_naming_unknown_fields_is_refused():
    with pytest.raises(ValueError, match="spendings"):
        detect(b"a,b\n", mapping={"spendings": "a"})


def test_the_formats_package_touches_no_database():
    package = Path(formats_package.__file__).parent
    imported = set()
    for source in package.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
    assert not {name for name in imported if name.startswith(("django.db", "apps.analytics.models", "django.contrib"))}
