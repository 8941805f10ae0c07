"""The fast path for clean chunks (polars, apps.analytics.formats.frames) is a shortcut, never a second set of
rules: over files mixing clean rows with every kind of messy cell, it gives exactly the rows, bad cells,
warnings and counts of the row-by-row rules, and it does take the clean chunks."""

from __future__ import annotations

import io
import random

import pytest

from apps.analytics.formats import read
from apps.analytics.formats.rows import FrameBatch

HEADER = "Date,Campaign,Campaign ID,Ad Group,Creative,Exchange,Country,OS,Impressions,Clicks,Installs,Spend,Currency"

# Cells a real export may hold in place of the plain one, column by column (by header position).
MESSY = {
    0: ["2026-05-03 ", "05/03/2026", "03.05.2026", "2026-02-31", "", "N/A", "May 3, 2026", "2099-01-01"],
    1: [" Campaign 1 ", "N/A", "", "Кампания\u00a0", "tab\there", "back\\slash", "\\N", "none", "#N/A"],
    2: ["  cmp-1", "-", "", "cmp\x1c1"],
    3: ["Group\u3000", "—", "null"],
    4: ["creative_1 ", "(none)", "nan"],
    5: ["UNITY\u2003", "n/a"],
    6: ["DEU", "Germany", "us", "XX1", "", "N/A"],
    7: ["Android", "iPhone OS", "", "windows"],
    8: ["", "N/A", " 12", "1,000", "1e3", "-5", "12.0", "9" * 19, "+7", "١٢"],
    9: ["", "500000", "1_0", "many"],
    10: ["", "3.5", "0"],
    11: ["", "-1.25", "-0", "12,50", "$3.00", "1,234.56", "12..5", "N/A", "007.10", "1E+2"],
    12: ["", "EUR", "eur", "XYZ", "$", "RUB"],
}
# Whole lines a real export may hold among its rows.
ODD_LINES = ["", "   ", ",,,,,,,,,,,,", "Total,,,,,,,,100,10,1,99.00,USD", "Итого,,,,,,,,100,10,1,99.00,USD"]


def clean_cells(n: int) -> list[str]:
    return [
        f"2026-05-{n % 28 + 1:02d}",
        f"Campaign {n % 7}",
        f"cmp-{n % 7}",
        f"Group {n % 3}",
        f"creative_{n % 11}",
        ["UNITY", "APPLOVIN", "IRONSOURCE"][n % 3],
        ["US", "DE", "GB", "BR"][n % 4],
        ["IOS", "ANDROID"][n % 2],
        str(1000 + n % 9973),
        str((1000 + n % 9973) // 37),
        str(n % 5),
        f"{n % 400}.{n % 100:02d}",
        "EUR" if n % 33 == 0 else "USD",
    ]


def messy_file(seed: int, rows: int = 600, *, mess: float = 0.01, line_end: str = "\n") -> bytes:
    """A Moloco-style export in which about ``mess`` of the rows carry a messy cell or are an odd line."""
    rng = random.Random(seed)
    lines = [HEADER]
    for n in range(rows):
        cells = clean_cells(n)
        roll = rng.random()
        if roll < mess / 4:
            lines.append(rng.choice(ODD_LINES))
            continue
        if roll < mess:
            column = rng.choice(list(MESSY))
            cells[column] = rng.choice(MESSY[column])
        if rng.random() < mess / 4:
            cells.append("" if rng.random() < 0.5 else "extra")  # a trailing delimiter, or one cell too many
        if rng.random() < mess / 4:
            cells = cells[:-1]  # one cell short
        lines.append(",".join(cells))
    return (line_end.join(lines) + line_end).encode()


def outcome(data: bytes, *, fast: bool, batch_size: int = 40):
    reading = read(io.BytesIO(data), batch_size=batch_size, source_currency="USD", fast=fast)
    batches = list(reading.batches())
    rows = [row for batch in batches for row in batch]
    framed = sum(isinstance(batch, FrameBatch) for batch in batches)
    result = (
        rows,
        [(error.line, error.column, error.raw, str(error.expected)) for error in reading.errors],
        [(warning.line, warning.column, str(warning.message)) for warning in reading.warnings],
        (reading.rows_read, reading.rows_rejected, reading.error_count, reading.warning_count),
    )
    return result, framed


@pytest.mark.parametrize("seed", range(24))
def test_the_fast_path_reads_a_messy_export_exactly_as_the_rules_do(seed):
    data = messy_file(seed, line_end="\r\n" if seed % 3 == 0 else "\n")

    fast, framed = outcome(data, fast=True)
    rules, none_framed = outcome(data, fast=False)

    assert fast == rules
    assert none_framed == 0
    assert framed > 0, "some chunks of a mostly clean file are clean"


def test_every_messy_cell_alone_in_a_chunk_reads_as_the_rules_read_it():
    for column, cells in MESSY.items():
        for messy in cells:
            lines = [HEADER]
            for n in range(30):
                row = clean_cells(n)
                if n == 15:
                    row[column] = messy
                lines.append(",".join(row))
            data = ("\n".join(lines) + "\n").encode()
            assert outcome(data, fast=True)[0] == outcome(data, fast=False)[0], (column, messy)


def test_a_clean_export_is_read_by_the_fast_path_after_its_first_batch():
    lines = [HEADER] + [",".join(clean_cells(n)) for n in range(5000)]
    data = ("\n".join(lines) + "\n").encode()

    (rows, errors, warnings, counts), framed = outcome(data, fast=True, batch_size=1000)

    assert framed == 4  # the first batch teaches the file's style to the rules; the rest is framed
    assert (rows, errors, warnings, counts) == outcome(data, fast=False, batch_size=1000)[0]
    assert len(rows) == 5000
    assert counts == (5000, 0, 0, 0)
    assert [row.line for row in rows] == list(range(2, 5002))


@pytest.mark.parametrize("odd", ["\ufeff", "\x1c", " ", "\x00"])
def test_a_chunk_that_starts_with_an_odd_character_reads_as_the_rules_read_it(odd):
    lines = [HEADER] + [",".join(clean_cells(n)) for n in range(40)]
    lines[11] = odd + lines[11]  # the first line after the first batch of 10: the start of a chunk
    data = ("\n".join(lines) + "\n").encode()

    assert outcome(data, fast=True, batch_size=10)[0] == outcome(data, fast=False, batch_size=10)[0]


def test_a_file_with_a_quoted_cell_is_read_by_the_rules_from_that_block_on():
    lines = [HEADER] + [",".join(clean_cells(n)) for n in range(5000)]
    quoted = clean_cells(4499)
    quoted[1] = '"Campaign 1, spring"'
    lines[4500] = ",".join(quoted)
    data = ("\n".join(lines) + "\n").encode()

    fast, framed = outcome(data, fast=True, batch_size=500)

    assert fast == outcome(data, fast=False, batch_size=500)[0]
    assert framed == 8  # lines 502-4096: after the first batch, up to the block (of 2048 lines) with the quote
    assert any(row.campaign_name == "Campaign 1, spring" for row in fast[0])
