"""The fast way through a clean chunk of a large CSV export of daily facts: parsed and checked a column at a
time by polars, with no Python step per row and no Python object per cell.

It is a shortcut, never a second set of rules. A chunk is read here only when the row-by-row rules of
:mod:`.reading` would read every one of its rows, and read them to the same values: every cell plain (whole
numbers, amounts with a point, dates, countries, platforms and currencies the readers know), no bad cell, no
warning to give, no totals row, no blank line, every row as wide as the header. Anything else answers None and
the chunk takes the row-by-row rules, which report it. The distinct values of the columns that repeat (dates,
countries, platforms, currencies, texts that may be a missing marker) are still read by the very readers of
those rules, once each. ``tests/analytics/test_formats_frames.py`` holds both ways to the same rows.
"""

from __future__ import annotations

import io

import polars as pl

from . import values
from .reading import _TOTAL_STARTS, Reading, _is_total
from .rows import FrameBatch

# What Python's str.strip() takes away, spelled out: polars' own whitespace is Unicode's, which lacks the
# four ASCII separators (0x1C-0x1F) that Python counts as space.
_PYTHON_SPACE = "".join(char for char in map(chr, range(0x3001)) if char.isspace())
# A whole number the row-by-row rules read as itself (more digits may not fit the column: those take the rules).
_COUNT = r"^[0-9]{1,18}$"
_AMOUNT = "^" + values.PLAIN_DECIMAL.pattern + "$"  # exactly what _fast_amounts admits, and read as is
_MAY_BE_MISSING = sorted(values.MAY_BE_MISSING - {""})
_TEXTS = ("campaign_id", "campaign_name", "ad_group", "creative", "placement", "country", "os", "sub_id")
_COUNTS = ("impressions", "clicks", "installs", "conversions")
# The readers whose answer depends on the cell only, asked once per distinct cell.
_LOOKED_UP = {"date": pl.Date, "country": pl.String, "os": pl.String, "currency": pl.String}


def parse(text: str, *, delimiter: str, width: int) -> pl.DataFrame | None:
    """The cells of ``text`` (whole lines with no quote character) as a frame of strings, one row per line,
    or None when some line is not one plain record as wide as the header."""
    if "\r" in text:
        if text.count("\r") != text.count("\r\n"):
            return None  # a lone carriage return ends a line for the csv module; leave such a file to it
        text = text.replace("\r\n", "\n")
    if any(char in text for char in "\x00\x1c\x1d\x1e\x1f") or "\n\n" in text or text.startswith(("\n", "\ufeff")):
        return None  # (polars would take a byte-order mark at the start of the text away)
    lines = text.count("\n") + (not text.endswith("\n"))
    # Each row has at most width - 1 delimiters (polars refuses a longer one); all of them together have
    # exactly lines * (width - 1) only when every row has exactly that many.
    if width < 2 or text.count(delimiter) != lines * (width - 1):
        return None
    try:
        frame = pl.read_csv(
            io.BytesIO(text.encode()),
            has_header=False,
            separator=delimiter,
            quote_char=None,
            infer_schema=False,
            empty_string_is_null=False,
            raise_if_empty=False,
        )
    except pl.exceptions.PolarsError:
        return None
    if frame.height != lines or frame.width != width or any(frame.null_count().row(0)):
        return None
    return frame


def _lookup(column: pl.Series, read, dtype) -> pl.Series | None:
    """``read`` applied to each distinct cell of ``column`` once; None when a cell is bad (the rules report it)."""
    distinct = column.unique().to_list()
    if len(distinct) > 10_000:
        return None  # not a column that repeats: leave it to the rules
    try:
        found = [read(raw) for raw in distinct]
    except values.Bad:
        return None
    return column.replace_strict(distinct, found, return_dtype=dtype)


def _text(column: pl.Series) -> pl.Series:
    stripped = column.str.strip_chars(_PYTHON_SPACE)
    maybe = stripped.filter(stripped.str.slice(0, 1).is_in(_MAY_BE_MISSING)).unique().to_list()
    missing = [text for text in maybe if values.read_text(text) == ""]
    if not missing:
        return stripped
    return pl.select(pl.when(stripped.is_in(missing)).then(pl.lit("")).otherwise(stripped)).to_series()


def _count(column: pl.Series) -> pl.Series | None:
    present = column.filter(column != "")
    if not present.str.contains(_COUNT).all():
        return None
    return pl.select(pl.when(column == "").then(None).otherwise(column).cast(pl.Int64)).to_series()


def _amount(column: pl.Series) -> pl.Series | None:
    present = column.filter(column != "")
    if not present.str.contains(_AMOUNT).all():
        return None
    return pl.select(pl.when(column == "").then(None).otherwise(column)).to_series()


def read_chunk(reading: Reading, start: int, text: str) -> FrameBatch | None:
    """The daily facts of ``text``, the lines after the first ``start`` of the file, read as ``reading``'s
    row-by-row rules would read them (and noting the currencies it meets, as they do); None when those rules
    are needed (see the module's docstring). A part of :class:`Reading`, kept apart for its length."""
    frame = parse(text, delimiter=reading.delimiter, width=len(reading.header))
    if frame is None:
        return None
    count = frame.height
    first = frame.to_series(0)
    starts = first.filter(first.str.slice(0, 1).is_in(sorted(_TOTAL_STARTS))).unique().to_list()
    if any(map(_is_total, starts)):
        return None
    columns: dict[str, pl.Series] = {}
    for name, index, read, kind in reading._compiled:
        raw = frame.to_series(index)
        if kind == "text":
            column = _text(raw)
        elif kind == "count":
            column = _count(raw)
        elif kind == "amount":
            column = _amount(raw)
        elif kind in _LOOKED_UP:
            column = _lookup(raw, read, _LOOKED_UP[kind])
        else:
            return None
        if column is None:
            return None
        columns[name] = column.alias(name)
    dates = columns["report_date"]
    if dates.null_count():
        # A missing date is an error the rules report. (So is a blank row, which the rules do not count as a
        # record at all: its date is missing too, so no chunk with one gets past here.)
        return None
    nothing = pl.Series(values=[None] * count, dtype=pl.String)
    spend = columns.get("spend", nothing)
    revenue = columns.get("revenue", nothing)
    own = columns.get("currency")
    currencies = reading._file_currencies
    fallback = currencies[0] if currencies else reading._source_currency
    if currencies and own is not None and ((own != "") & (own != fallback)).any():
        return None  # a row's currency column disagrees with the header's
    has_amount = spend.is_not_null() | revenue.is_not_null()
    code = pl.Series(values=[fallback] * count, dtype=pl.String) if own is None else own
    if own is not None:
        code = pl.select(pl.when(code == "").then(pl.lit(fallback)).otherwise(code)).to_series()
    currency = pl.select(pl.when(has_amount).then(code).otherwise(pl.lit(""))).to_series()
    if ((currency == "") & has_amount).any():
        return None  # an amount without a currency: the rules report the row
    # Whatever would warn (clicks above impressions, negative spend, a date in the future) takes the rules.
    impressions, clicks = columns.get("impressions"), columns.get("clicks")
    if impressions is not None and clicks is not None and (clicks > impressions).any():
        return None
    if "spend" in columns and spend.str.starts_with("-").any():
        return None
    if dates.max() > reading._today:
        return None
    lines = pl.int_range(start + 1, start + count + 1, eager=True, dtype=pl.Int64)
    frame = pl.DataFrame(
        {
            "line": lines,
            "report_date": dates,
            **{name: columns.get(name, pl.Series(values=[""] * count, dtype=pl.String)) for name in _TEXTS},
            **{name: columns.get(name, pl.Series(values=[None] * count, dtype=pl.Int64)) for name in _COUNTS},
            "spend": spend,
            "revenue": revenue,
            "currency": currency,
        }
    )
    unseen = set(currency.unique().to_list()) - reading._checked_currencies - {""}
    for code in sorted(unseen, key=lambda code: (currency == code).arg_max()):
        reading._note_currency(int(lines[(currency == code).arg_max()]), code)
    return FrameBatch(frame)
