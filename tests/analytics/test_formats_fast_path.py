"""The reader's fast paths (a quote-free block of lines split in one call, a chunk admitted whole, a clean chunk's
checks asked of whole columns) read exactly what the careful line-by-line path reads: the same rows, bad cells,
warnings and counts, whatever the file mixes in."""

from __future__ import annotations

import pytest

from apps.analytics.formats import reading
from tests.analytics.formats_helpers import FIXTURES, read_all
from tests.analytics.test_formats_detection import GENERIC_MAPPING

HEADER = "Date,Campaign,Campaign ID,Exchange,Country,OS,Impressions,Clicks,Installs,Spend,Currency\n"


def _clean_line(index: int) -> str:
    currency = "EUR" if index % 7 == 0 else "USD"
    day, campaign = index % 28 + 1, index % 3
    numbers = f"{100 + index},{index % 50},1,{index}.25"
    return f"2026-04-{day:02d},Camp {campaign},c{campaign},X{index},US,IOS,{numbers},{currency}\n"


MESSY = (
    HEADER
    + "".join(_clean_line(i) for i in range(10))
    + "\n"  # a blank line
    + " , ,\n"  # delimiters and spaces only
    + "2026-04-02,Camp 1,c1,X,DE,ANDROID,5,9,1,1.00,USD\n"  # more clicks than impressions
    + "2026-04-03,Camp 1,c1,X,DE,ANDROID,5,1,1,-2.00,USD\n"  # negative spend
    + "2099-01-01,Camp 1,c1,X,DE,ANDROID,5,1,1,2.00,USD\n"  # a future date
    + "2026-04-04,Camp 1,c1,X,DE,ANDROID,5,1,1,2.00,QQQ\n"  # a currency nobody knows
    + "2026-04-05,Camp 1,c1,X,DE,ANDROID,5,1\n"  # a short row
    + "2026-04-06,Camp 1,c1,X,DE,ANDROID,5,1,1,2.00,USD,extra\n"  # a long row
    + "2026-02-31,Camp 1,c1,X,DE,ANDROID,many,1,1,12..5,USD\n"  # bad cells
    + "".join(_clean_line(i) for i in range(10, 20))
    + '2026-04-07,"Camp, quoted",c9,X,FR,IOS,7,1,0,0.50,USD\n'  # a quote: line by line from here on
    + '2026-04-08,"Camp\nacross lines",c8,X,FR,IOS,7,1,0,0.50,USD\n'
    + "".join(_clean_line(i) for i in range(20, 30))
    + "Total,,,,,,1000,10,1,100.00,\n"
)


def _line_by_line(monkeypatch):
    """The reader with its fast paths turned off: every record split and admitted one at a time."""
    monkeypatch.setattr(reading, "_csv_blocks", lambda lines, delimiter: reading._csv_one_by_one(lines, delimiter, 0))

    def admit(self, records):
        records = list(records)
        return self._admit_one_by_one(records) if records else None

    monkeypatch.setattr(reading.Reading, "_admit", admit)
    monkeypatch.setattr(reading, "_some_greater", lambda left, right: True)
    monkeypatch.setattr(reading, "_some_negative", lambda column: True)


def _outcome(source, **options):
    found, rows = read_all(source, **options)
    return {
        "rows": rows,
        "errors": [(e.line, e.column, e.raw, str(e.expected)) for e in found.errors],
        "error_count": found.error_count,
        "warnings": [(w.line, w.column, str(w.message)) for w in found.warnings],
        "rows_read": found.rows_read,
        "rows_rejected": found.rows_rejected,
    }


@pytest.mark.parametrize("block_lines", [1, 3, 2048])
@pytest.mark.parametrize("batch_size", [4, 50_000])
def test_a_messy_file_reads_the_same_through_the_fast_path(monkeypatch, block_lines, batch_size):
    monkeypatch.setattr(reading, "CSV_BLOCK_LINES", block_lines)
    fast = _outcome(MESSY, batch_size=batch_size, source_currency="USD")
    _line_by_line(monkeypatch)
    careful = _outcome(MESSY, batch_size=batch_size, source_currency="USD")

    assert fast == careful
    assert fast["error_count"] == 4  # the long row and three bad cells
    assert {line for line, *_rest in fast["warnings"]} >= {14, 15, 16, 17}


def test_a_clean_file_reads_the_same_through_the_fast_path(monkeypatch):
    text = HEADER + "".join(_clean_line(i) for i in range(500))
    monkeypatch.setattr(reading, "CSV_BLOCK_LINES", 64)
    fast = _outcome(text, batch_size=100)
    _line_by_line(monkeypatch)
    careful = _outcome(text, batch_size=100)

    assert fast == careful
    assert len(fast["rows"]) == 500
    assert [row.line for row in fast["rows"]] == list(range(2, 502))


@pytest.mark.parametrize("fixture", sorted(path.name for path in FIXTURES.iterdir()))
def test_every_fixture_reads_the_same_through_the_fast_path(monkeypatch, fixture):
    monkeypatch.setattr(reading, "CSV_BLOCK_LINES", 2)
    options = {"source_currency": "USD", "mapping": GENERIC_MAPPING if fixture.startswith("generic") else None}
    fast = _outcome(fixture, **options)
    _line_by_line(monkeypatch)

    assert fast == _outcome(fixture, **options)
    assert fast["rows"]
