"""Bounded memory: a large file is read in batches of the requested size while the stream is consumed a
piece at a time (the first batch arrives long before the end of the file is read)."""

from __future__ import annotations

import io

from apps.analytics.formats import read

ROWS = 200_000
HEADER = b"Date,Campaign,Campaign ID,Exchange,Country,OS,Impressions,Clicks,Installs,Spend,Currency\n"


class CountingStream(io.RawIOBase):
    """A generated file that never exists in memory whole, and that counts how much of it was read."""

    def __init__(self, rows: int):
        self._rows = rows
        self._next = 0
        self._pending = HEADER
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while len(self._pending) < len(buffer) and self._next < self._rows:
            n = self._next
            currency = b"EUR" if n % 33 == 0 else b"USD"
            self._pending += b"2026-05-%02d,Campaign %d,cmp-%d,UNITY,US,android,%d,%d,%d,%d.%02d,%s\n" % (
                n % 28 + 1,
                n % 50,
                n % 50,
                1000 + n % 7,
                10 + n % 5,
                n % 3,
                n % 90,
                n % 100,
                currency,
            )
            self._next += 1
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        self.bytes_read += size
        return size


def test_a_200k_row_file_is_read_in_batches_of_the_requested_size_without_reading_it_whole():
    stream = CountingStream(ROWS)
    reading = read(io.BufferedReader(stream), batch_size=50_000)

    sizes = []
    read_at_first_batch = None
    for batch in reading.batches():
        if read_at_first_batch is None:
            read_at_first_batch = stream.bytes_read
        sizes.append(len(batch))

    assert sizes == [50_000, 50_000, 50_000, 50_000]
    assert reading.rows_read == ROWS
    assert reading.error_count == 0
    assert read_at_first_batch < stream.bytes_read / 2
    assert reading.finished


def test_the_last_batch_holds_the_remainder():
    reading = read(io.BufferedReader(CountingStream(12_345)), batch_size=5_000)

    assert [len(batch) for batch in reading.batches()] == [5_000, 5_000, 2_345]


def test_the_column_at_a_time_assembly_gives_what_the_row_by_row_rules_give():
    lines = [HEADER.decode().strip()]
    for n in range(3000):
        impressions = "N/A" if n % 17 == 0 else str(100 + n % 7)
        clicks = str(500) if n % 101 == 0 else str(n % 9)
        spend = f"-{n % 5}.25" if n % 97 == 0 else ("" if n % 13 == 0 else f"{n % 40}.{n % 100:02d}")
        day = "2099-01-01" if n % 499 == 0 else f"2026-05-{n % 28 + 1:02d}"
        currency = ("XYZ" if n % 701 == 0 else "EUR") if n % 3 == 0 else "USD"
        lines.append(
            f"{day},Campaign {n % 5},cmp-{n % 5},UNITY,DEU,Android,{impressions},{clicks},{n % 3},{spend},{currency}"
        )
    data = ("\n".join(lines) + "\n").encode()

    def outcome(row_by_row: bool):
        reading = read(io.BytesIO(data), batch_size=700, fast=False)
        assert reading._plain_metrics, "a Moloco export is assembled a column at a time"
        reading._plain_metrics = not row_by_row
        rows = [row for batch in reading.batches() for row in batch]
        return rows, [(w.line, w.column, str(w.message)) for w in reading.warnings], reading.errors

    fast, slow = outcome(row_by_row=False), outcome(row_by_row=True)

    assert fast == slow
    rows, warnings, errors = fast
    assert len(rows) == 3000
    assert errors == []
    assert {column for _line, column, _message in warnings} == {"Clicks", "Spend", "Date", "Currency"}
