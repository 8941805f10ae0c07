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
from .reading import _PLAIN_COUNTS, _PLAIN_TEXTS, _TOTAL_STARTS, CACHE_SIZE, Reading, _is_total
from .rows import FrameBatch

# What Python's str.strip() takes away, spelled out: polars' own whitespace is Unicode's, which lacks the
# four ASCII separators (0x1C-0x1F) that Python counts as space.
_PYTHON_SPACE = "".join(char for char in map(chr, range(0x3001)) if char.isspace())
# A whole number the row-by-row rules read as itself (more digits may not fit the column: those take the rules).
_COUNT = r"^[0-9]{1,18}$"
_AMOUNT = "^" + values.PLAIN_DECIMAL.pattern + "$"  # exactly what _fast_amounts admits, and read as is
_MAY_BE_MISSING = sorted(values.MAY_BE_MISSING - {""})
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


def _stripped(column: pl.Expr) -> pl.Expr:
    return column.str.strip_chars(_PYTHON_SPACE)


def _plain(column: pl.Expr, pattern: str) -> pl.Expr:
    """Whether every cell of ``column`` that is not empty matches ``pattern``."""
    return column.filter(column != "").str.contains(pattern).all()


def _absent_if_empty(column: pl.Expr) -> pl.Expr:
    return pl.when(column == "").then(None).otherwise(column)


def read_chunk(reading: Reading, start: int, text: str) -> FrameBatch | None:
    """The daily facts of ``text``, the lines after the first ``start`` of the file, read as ``reading``'s
    row-by-row rules would read them (and noting the currencies it meets, as they do); None when those rules
    are needed (see the module's docstring). A part of :class:`Reading`, kept apart for its length.

    Three passes over the chunk, each one polars ``select`` (its columns worked on side by side): what the
    cells are (plain or not, the distinct ones to read), then the fields, then what would warn."""
    frame = parse(text, delimiter=reading.delimiter, width=len(reading.header))
    if frame is None:
        return None
    count = frame.height
    cell = [pl.col(name) for name in frame.columns]
    compiled = reading._compiled
    if any(kind not in ("text", "count", "amount", *_LOOKED_UP) for _name, _index, _read, kind in compiled):
        return None

    # 1. What the cells are: a totals row's first cell, the texts that may be a missing marker, whether the
    # numbers are plain, the distinct cells of the columns that repeat.
    first = cell[0]
    looked_at = [first.filter(first.str.slice(0, 1).is_in(sorted(_TOTAL_STARTS))).unique().implode().alias("total")]
    for _name, index, _read, kind in compiled:
        column, alias = cell[index], f"{kind}:{index}"
        if kind == "text":
            stripped = _stripped(column)
            looked_at.append(stripped.filter(stripped.str.slice(0, 1).is_in(_MAY_BE_MISSING)).unique().implode())
        elif kind == "count":
            looked_at.append(_plain(column, _COUNT))
        elif kind == "amount":
            looked_at.append(_plain(column, _AMOUNT))
        else:
            looked_at.append(column.unique().implode())
        looked_at[-1] = looked_at[-1].alias(alias)
    seen = frame.select(looked_at).row(0, named=True)
    if any(map(_is_total, seen["total"])):
        return None

    # 2. The fields, each cell read as the rules read it (a distinct cell once, by the rules' own reader).
    fields: list[pl.Expr] = []
    for name, index, read, kind in compiled:
        column, found = cell[index], seen[f"{kind}:{index}"]
        if kind == "text":
            missing = [text for text in found if values.read_text(text) == ""]
            field = _stripped(column)
            if missing:
                field = pl.when(field.is_in(missing)).then(pl.lit("")).otherwise(field)
        elif kind in ("count", "amount"):
            if not found:
                return None  # a cell that is not plain: the rules read it (or report it)
            field = _absent_if_empty(column)
            if kind == "count":
                field = field.cast(pl.Int64)
        else:
            if len(found) > CACHE_SIZE:
                return None  # not a column that repeats: leave it to the rules
            try:
                readings = [read(raw) for raw in found]
            except values.Bad:
                return None  # the rules report the bad cell
            field = column.replace_strict(found, readings, return_dtype=_LOOKED_UP[kind])
        fields.append(field.alias(name))
    present = {name for name, _index, _read, _kind in compiled}
    fields += [pl.lit("", dtype=pl.String).alias(name) for name in _PLAIN_TEXTS if name not in present]
    fields += [pl.lit(None, dtype=pl.Int64).alias(name) for name in _PLAIN_COUNTS if name not in present]
    fields += [pl.lit(None, dtype=pl.String).alias(name) for name in ("spend", "revenue") if name not in present]
    currencies = reading._file_currencies
    fallback = currencies[0] if currencies else reading._source_currency
    has_amount = pl.col("spend").is_not_null() | pl.col("revenue").is_not_null()
    code = pl.col("currency") if "currency" in present else pl.lit(fallback, dtype=pl.String)
    code = pl.when(code == "").then(pl.lit(fallback, dtype=pl.String)).otherwise(code)
    lines = pl.int_range(start + 1, start + count + 1, dtype=pl.Int64).alias("line")
    facts = (
        frame.select(fields)
        .with_columns(
            pl.when(has_amount).then(code).otherwise(pl.lit("")).alias("currency"),
            (pl.col("currency") if "currency" in present else pl.lit("")).alias("own_currency"),
            lines,
        )
        .select("line", "report_date", *_PLAIN_TEXTS, *_PLAIN_COUNTS, "spend", "revenue", "currency", "own_currency")
    )

    # 3. Whatever the rules would report or warn about takes the rules: a missing date (a blank row has one
    # too, and the rules do not count it as a record at all), an amount without a currency, a row's currency
    # other than the header's, clicks above impressions, a negative spend, a date in the future.
    currency, own = pl.col("currency"), pl.col("own_currency")
    flags = [
        pl.col("report_date").is_null().any(),
        ((currency == "") & has_amount).any(),
        pl.lit(bool(currencies)) & ((own != "") & (own != fallback)).any(),
        (pl.col("clicks") > pl.col("impressions")).any(),
        pl.col("spend").str.starts_with("-").any(),
        pl.col("report_date").max() > pl.lit(reading._today),
    ]
    if any(facts.select(flag.alias(f"flag{number}") for number, flag in enumerate(flags)).row(0)):
        return None
    facts = facts.drop("own_currency")
    unseen = set(facts.get_column("currency").unique().to_list()) - reading._checked_currencies - {""}
    if unseen:  # noted in line order, as the rules note them
        first_lines = facts.filter(currency.is_in(sorted(unseen))).group_by("currency").agg(pl.col("line").min())
        for code, line in sorted(first_lines.iter_rows(), key=lambda item: item[1]):
            reading._note_currency(line, code)
    return FrameBatch(facts)
