"""Streaming a traffic file into rows: decode, split into records, recognise the format, read every cell.

Memory stays bounded by the batch size: the file is decoded incrementally (``io.TextIOWrapper`` over the
binary stream, a JSON array one object at a time), and rows leave in batches. The whole file is validated:
a row with a bad cell is left out of the batches and every bad cell is recorded (the first
``ERROR_LIMIT`` listed, all counted), so the pipeline can refuse the file or keep the valid rows.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import operator
import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import BinaryIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils.translation import gettext_lazy as _

from . import values
from .catalog import (
    BINOM,
    BINOM_COST,
    CSV,
    DATE,
    FORMATS,
    GENERIC_CODE,
    GENERIC_LABEL,
    GROUPED_CAMPAIGN,
    GROUPED_DAY,
    HEADERLESS,
    JSON,
    FileFormat,
    Resolved,
    by_code,
    generic,
    header_key,
    resolve,
)
from .rows import (
    CONVERSION,
    CellError,
    ConversionRow,
    FormatNotRecognized,
    FrameBatch,
    MetricColumns,
    MetricRow,
    UnreadableFile,
    Warning_,
)

SAMPLE_BYTES = 64 * 1024
ERROR_LIMIT = 1000
WARNING_LIMIT = 1000
CACHE_SIZE = 10_000  # distinct cells remembered per column kind (dates, countries, platforms, currencies)
# Lines split at once by the csv module when they hold no quote (see _csv_blocks).
CSV_BLOCK_LINES = 2048
DETECT_ROWS = 20  # data rows looked at to recognise a format (AppsFlyer raw installs vs in-app events)
_TOTAL_ROWS = frozenset({"total", "totals", "summary", "итого", "всего", "итого:", "total:"})
_TOTAL_STARTS = frozenset("TtSsИиВв ")
csv.field_size_limit(1024 * 1024)  # a user agent or a URL may be long; a megabyte-long cell is not a report


# --------------------------------------------------------------------------------------------- decoding


class _Rejoined(io.RawIOBase):
    """The bytes already read to look at the file, followed by the rest of the stream."""

    def __init__(self, head: bytes, rest: BinaryIO):
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._head:
            size = min(len(buffer), len(self._head))
            buffer[:size] = self._head[:size]
            self._head = self._head[size:]
            return size
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _encoding(head: bytes) -> str:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"  # Excel's "Unicode text" export
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        if not (error.start >= len(head) - 3 and error.reason == "unexpected end of data"):
            # Not UTF-8: Russian trackers' exports re-saved by Excel are Windows-1251.
            return "cp1251"
    return "utf-8-sig"  # reads a byte-order mark if there is one, and plain UTF-8 if not


def _open_text(stream: BinaryIO) -> tuple[io.TextIOWrapper, str]:
    head = stream.read(SAMPLE_BYTES)
    if isinstance(head, str):
        raise TypeError("read() takes a binary stream (open the file with 'rb')")
    encoding = _encoding(head)
    raw = io.BufferedReader(_Rejoined(head, stream), buffer_size=SAMPLE_BYTES)
    return io.TextIOWrapper(raw, encoding=encoding, newline=""), encoding


# --------------------------------------------------------------------------------------------- records

# A record: (file line, cells). For JSON the "line" is the row's position in the array plus one, so the first
# row is 2 as in a CSV file with its header on line 1.
Record = tuple[int, list]


_NOT_A_DECIMAL_COMMA = re.compile(r"(?<![0-9]),|,(?![0-9])")


def _sniff_delimiter(lines: list[str]) -> str:
    # The delimiter splits the lines into the same number of cells. Only a comma between digits ("12,50",
    # "1,000") is no hint, when another delimiter splits the lines: a ";" file with decimal commas and a few
    # longer lines (Binom's cost import with a token on some lines) is not a "," file.
    decimal_commas_only = not any(_NOT_A_DECIMAL_COMMA.search(line) for line in lines)
    best, best_score = ",", (0, 0)
    for delimiter in (",", ";", "\t", "|"):
        counts = [len(cells) for cells in csv.reader(lines, delimiter=delimiter)]
        if not counts or counts[0] < 2:
            continue
        if delimiter == "," and decimal_commas_only and any(other in line for line in lines for other in ";\t|"):
            continue
        consistent = sum(1 for count in counts if count == counts[0])
        score = (consistent, counts[0])
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _csv_records(text: io.TextIOWrapper) -> tuple[str, _CsvRecords]:
    head = text.read(SAMPLE_BYTES)
    head += text.readline()  # finish the last line of the sample
    lines = io.StringIO(head, newline="").readlines()
    delimiter = _sniff_delimiter(lines[:50])
    return delimiter, _CsvRecords(_csv_blocks(itertools.chain(lines, text), delimiter))


class _PlainBlock:
    """Whole lines of a CSV text that hold no quote character, the first of them line ``start + 1`` of the
    file. Without a quote no cell holds a delimiter or a line break, so each line is exactly one record (a
    blank one, or one of delimiters and spaces only, is none) and its line number is its position. Iterating
    a block splits it with the csv module in one call, with no Python code per row; the reader's fast path
    (:mod:`.frames`) takes its ``lines`` as they are."""

    __slots__ = ("start", "lines", "delimiter")

    def __init__(self, start: int, lines: list[str], delimiter: str):
        self.start, self.lines, self.delimiter = start, lines, delimiter

    def __len__(self) -> int:
        return len(self.lines)

    def __iter__(self) -> Iterator[Record]:
        return iter(self.records())

    def records(self) -> list[Record]:
        try:
            split = list(csv.reader(self.lines, delimiter=self.delimiter))
        except csv.Error:
            split = None
        if split is None or len(split) != len(self.lines):
            # What the csv module refuses is reported, with its line, by the careful reader.
            return list(itertools.chain.from_iterable(_csv_one_by_one(iter(self.lines), self.delimiter, self.start)))
        numbers = range(self.start + 1, self.start + len(split) + 1)
        kept = list(map(str.strip, map("".join, split)))
        if all(kept):
            return list(zip(numbers, split))
        return [(number, cells) for number, cells, text in zip(numbers, split, kept) if text]


class _CsvRecords:
    """The records of a CSV text one at a time; ``blocks()`` hands out what is left of them a block at a time
    (what is left of the block being read, then the blocks themselves)."""

    def __init__(self, blocks: Iterator[_PlainBlock | list[Record]]):
        self._blocks = blocks
        self._block: _PlainBlock | list[Record] | None = None
        self._current: Iterator[Record] = iter(())

    def __iter__(self) -> _CsvRecords:
        return self

    def __next__(self) -> Record:
        while True:
            for record in self._current:
                return record
            self._block = next(self._blocks)  # StopIteration at the end of the file ends the records
            self._current = iter(self._block)

    def unread(self, records: list[Record]) -> None:
        """Put ``records`` (the last ones taken) back in front of the rest."""
        self._current = itertools.chain(records, self._current)

    def blocks(self) -> Iterator[_PlainBlock | list[Record]]:
        rest = list(self._current)
        self._current = iter(())
        block = self._block
        if rest and isinstance(block, _PlainBlock) and rest[0][0] > block.start:
            # The records left all come from the block being read: its lines from the first of them on.
            tail = rest[0][0] - 1
            yield _PlainBlock(tail, block.lines[tail - block.start :], block.delimiter)
        elif rest:
            yield rest
        yield from self._blocks


def _csv_blocks(lines: Iterator[str], delimiter: str) -> Iterator[_PlainBlock | list[Record]]:
    """The records of a CSV text, a block at a time: a :class:`_PlainBlock` of CSV_BLOCK_LINES lines while
    the lines hold no quote; from the first block with a quote on, the records one by one (a list of one),
    line numbers counted by the csv module's reader."""
    consumed = 0  # physical lines handed out so far
    while True:
        block: list[str] = []
        try:
            block.extend(itertools.islice(lines, CSV_BLOCK_LINES))  # keeps the lines read before a bad byte
        except UnicodeDecodeError as error:
            raise UnreadableFile(
                str(_("The file is not UTF-8 text (after line {line}).")).format(line=consumed + len(block))
            ) from error
        if not block:
            return
        if '"' not in "".join(block):
            yield _PlainBlock(consumed, block, delimiter)
            consumed += len(block)
            continue
        yield from _csv_one_by_one(itertools.chain(block, lines), delimiter, consumed)
        return


def _csv_one_by_one(lines: Iterator[str], delimiter: str, consumed: int) -> Iterator[list[Record]]:
    reader = csv.reader(lines, delimiter=delimiter)
    start = 1
    try:
        for cells in reader:
            line, start = start, reader.line_num + 1
            if not "".join(cells).strip():
                continue
            yield [(consumed + line, cells)]
    except UnicodeDecodeError as error:
        raise UnreadableFile(
            str(_("The file is not UTF-8 text (after line {line}).")).format(line=consumed + reader.line_num)
        ) from error
    except csv.Error as error:
        raise UnreadableFile(
            str(_("Line {line} cannot be read as CSV: {error}")).format(line=consumed + reader.line_num, error=error)
        ) from error


def _flatten(value: dict, prefix: str = "") -> dict:
    flat = {}
    for key, item in value.items():
        name = f"{prefix}{key}"
        if isinstance(item, dict):
            flat.update(_flatten(item, name + "."))
        else:
            flat[name] = item
    return flat


def _json_objects(text: io.TextIOWrapper) -> Iterator[dict]:
    """Objects of a top-level array, of the first array inside a top-level object ({"rows": [...]}), or of
    JSON Lines, one at a time; numbers are read as Decimal, never float."""
    decoder = json.JSONDecoder(parse_float=Decimal)
    buffer, position, ended = "", 0, False

    def more() -> bool:
        nonlocal buffer, position, ended
        chunk = text.read(SAMPLE_BYTES)
        if not chunk:
            ended = True
            return False
        buffer = buffer[position:] + chunk
        position = 0
        return True

    def skip(chars: str) -> str:
        nonlocal position
        while True:
            while position < len(buffer) and buffer[position] in chars:
                position += 1
            if position < len(buffer) or not more():
                return buffer[position] if position < len(buffer) else ""

    first = skip(" \t\r\n")
    in_array = first == "["
    if first == "{":
        # {"rows": [ ... ]}: step into the first array value; an object without one is JSON Lines.
        while True:
            at = buffer.find("[", position)
            if at >= 0:
                break
            if ended or len(buffer) - position > SAMPLE_BYTES or not more():
                break
        opening = buffer[position:at] if at >= 0 else ""
        if at >= 0 and opening.count("{") == 1 and '"' in opening and ":" in opening:
            position, in_array = at, True
    if in_array:
        position += 1
    while True:
        nxt = skip(" \t\r\n," if in_array else " \t\r\n")
        if not nxt or (in_array and nxt == "]"):
            return
        while True:
            try:
                obj, end = decoder.raw_decode(buffer, position)
                break
            except json.JSONDecodeError as error:
                if ended or not more():
                    raise UnreadableFile(str(_("The JSON cannot be read: {error}")).format(error=error)) from error
        position = end
        if isinstance(obj, dict):
            yield _flatten(obj)
        else:
            raise UnreadableFile(str(_("The JSON rows must be objects.")))


def _json_records(text: io.TextIOWrapper) -> tuple[list[str], Iterator[Record]]:
    objects = _json_objects(text)
    first = next(objects, None)
    if first is None:
        return [], iter(())
    header = list(first)

    def records() -> Iterator[Record]:
        for number, obj in enumerate(itertools.chain([first], objects), start=2):
            yield number, [obj.get(key) for key in header]

    return header, records()


# --------------------------------------------------------------------------------------------- detection


def _recognise(header: list, samples: list[list], *, mapping: dict | None, container: str) -> FileFormat:
    header = [str(name) for name in header]
    if mapping:
        fmt = generic(mapping)
        if fmt.fits(header):
            return fmt
    scored = []
    for fmt in FORMATS:
        if fmt.container == HEADERLESS or (fmt.container == JSON) != (container == JSON):
            continue
        score = fmt.fits(header)
        if score:
            scored.append((score, -FORMATS.index(fmt), fmt))
    if scored:
        fmt = max(scored, key=lambda item: item[:2])[2]
        if fmt.code == "appsflyer_raw_installs":
            return _installs_or_events(fmt, header, samples)
        return fmt
    if container == CSV and _looks_like_cost_lines([header, *samples]):
        return BINOM_COST
    tried = [f"{fmt.code} ({fmt.label})" for fmt in FORMATS] + [f"{GENERIC_CODE} ({GENERIC_LABEL})"]
    shown = ", ".join(header[:12]) + (" …" if len(header) > 12 else "")
    raise FormatNotRecognized(
        str(
            _(
                "The file's header ({header}) matches none of the formats Kontora reads. Tried: {tried}. "
                "Choose the format by hand, or save a column mapping for the traffic source."
            )
        ).format(header=shown, tried="; ".join(tried)),
        tried=[fmt.code for fmt in FORMATS] + [GENERIC_CODE],
        header=header,
    )


def _installs_or_events(installs: FileFormat, header: list[str], samples: list[list]) -> FileFormat:
    """AppsFlyer's raw installs and raw in-app events share one header; the rows tell them apart."""
    from .catalog import APPSFLYER_RAW_EVENTS

    keys = [header_key(name) for name in header]
    event_at = keys.index(header_key("Event Name")) if header_key("Event Name") in keys else -1
    names = {str(row[event_at]).strip().casefold() for row in samples if 0 <= event_at < len(row)}
    if names and names != {"install"}:
        return APPSFLYER_RAW_EVENTS
    return installs


_GROUPED_DATE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}[./]\d{1,2}[./]\d{4}", re.ASCII)
_DATE_KEYS = frozenset(header_key(name) for name in DATE)
_BINOM_KEYS = frozenset(header_key(name) for name in BINOM.markers)


def _binom_grouped(header: list, records: Iterator[Record]) -> tuple[list, Iterator[Record]]:
    """Binom's reports hold their grouping in one column, "Name", with "Level" telling the depth when there
    are several: a campaign's report by days has the day in Name; a report by campaigns, then days, has a
    campaign's row (its subtotal) and under it one row per day. Such a file reads as a report with "Name (day)" and
    "Name (campaign)" columns whose rows are the deepest ones only (a subtotal counted again would double the
    day): the Name along each row's path that is a date is its day, the first other one its campaign. Any other
    file passes unchanged."""
    keys = [header_key(str(name)) for name in header]
    if "name" not in keys or not _BINOM_KEYS & set(keys) or _DATE_KEYS & set(keys):
        return header, records
    name_at = keys.index("name")
    level_at = keys.index("level") if "level" in keys else None
    dropped = {name_at} if level_at is None else {name_at, level_at}
    kept = [i for i in range(len(header)) if i not in dropped]

    def level_of(cells: list) -> int:
        if level_at is None:
            return 1
        try:
            return int(str(cells[level_at]).strip())
        except (IndexError, ValueError):
            return 1

    def leaves() -> Iterator[Record]:
        path: dict[int, str] = {}
        waiting: tuple[int, list, int] | None = None
        for line, cells in records:
            level = level_of(cells)
            if waiting is not None and level <= waiting[2]:
                yield _grouped_row(*waiting[:2], path, kept)
            name = str(cells[name_at]).strip() if name_at < len(cells) and cells[name_at] is not None else ""
            path = {depth: value for depth, value in path.items() if depth < level}
            path[level] = name
            waiting = None if name.casefold() in _TOTAL_ROWS else (line, cells, level)
        if waiting is not None:
            yield _grouped_row(*waiting[:2], path, kept)

    return [*(header[i] for i in kept), GROUPED_DAY, GROUPED_CAMPAIGN], leaves()


def _grouped_row(line: int, cells: list, path: dict[int, str], kept: list[int]) -> Record:
    names = [path[depth] for depth in sorted(path)]
    day = next((name for name in names if _GROUPED_DATE.fullmatch(name)), "")
    campaign = next((name for name in names if name != day), "")
    return line, [*(cells[i] if i < len(cells) else None for i in kept), day, campaign]


def _looks_like_cost_lines(rows: list[list]) -> bool:
    style = values.FileStyle()
    zone = ZoneInfo("UTC")
    rows = [row for row in rows if row]
    if not rows:
        return False
    # Binom's cost import: campaign id; time zone; date; cost[; token number; token value]. The first line
    # reads so; the next ones have its shape (their bad cells, if any, are reported as such).
    if any(len(row) not in (4, 5, 6) or not str(row[0]).strip() for row in rows[:5]):
        return False
    first = rows[0]
    try:
        return bool(
            values.read_utc_offset(first[1])
            and values.read_date(first[2], style, zone) is not None
            and values.read_amount(first[3], style)[0] is not None
        )
    except values.Bad:
        return False


def detect(sample: bytes, *, mapping: dict | None = None) -> FileFormat:
    """The format of a file from its first bytes (a few kilobytes are enough); raises FormatNotRecognized
    naming every format tried."""
    text, _encoding_used = _open_text(io.BytesIO(sample))
    container, header, records, _delimiter = _records(text)
    samples = []
    try:
        for _line, cells in itertools.islice(records, DETECT_ROWS):
            samples.append(cells)
    except UnreadableFile:
        pass  # a sample may end in the middle of a row
    return _recognise(header, samples, mapping=mapping, container=container)


def _records(text: io.TextIOWrapper) -> tuple[str, list, Iterator[Record], str]:
    """(container, header, data records, delimiter). The header of a header-less file is its first record,
    handed back again as data if the format turns out to have no header."""
    start = text.read(1)
    while start and start in " \t\r\n":
        start = text.read(1)
    text_rest = io.StringIO(start)
    joined = _Concat(text_rest, text)
    if start in ("[", "{"):
        header, records = _binom_grouped(*_json_records(joined))
        return JSON, header, records, ""
    delimiter, records = _csv_records(joined)
    first = next(records, None)
    if first is None:
        raise UnreadableFile(str(_("The file is empty.")))
    header, records = _binom_grouped([cell.strip().lstrip("\ufeff") for cell in first[1]], records)
    return CSV, header, records, delimiter


class _Concat:
    """Two text streams read as one (the character looked at to tell JSON from CSV, then the rest)."""

    def __init__(self, first: io.StringIO, second: io.TextIOWrapper):
        self._first, self._second = first, second

    def read(self, size: int = -1) -> str:
        data = self._first.read(size)
        if size < 0:
            return data + self._second.read()
        if len(data) < size:
            data += self._second.read(size - len(data))
        return data

    def readline(self) -> str:
        line = self._first.readline()
        if line and line.endswith(("\n", "\r")):
            return line
        return line + self._second.readline()

    def __iter__(self) -> Iterator[str]:
        # The lines of a million-row file pass through here: itertools.chain hands them on without a Python
        # step per line (a generator's ``yield from`` costs half a second a million lines).
        rest = self._first.read()
        return itertools.chain((rest + self._second.readline(),) if rest else (), self._second)


# --------------------------------------------------------------------------------------------- reading


# The fields of a clean chunk taken as they are read (text "" when the file lacks the column, counts None).
_PLAIN_TEXTS = ("campaign_id", "campaign_name", "ad_group", "creative", "placement", "country", "os", "sub_id")
_PLAIN_COUNTS = ("impressions", "clicks", "installs", "conversions")


def _fast_counts(column: list) -> list[int]:
    """A column of plain whole numbers at C speed; anything else raises and the column is read cell by cell."""
    counts = list(map(int, column))
    if counts and min(counts) < 0:
        raise ValueError("negative")
    return counts


def _fast_amounts(column: list) -> list[Decimal]:
    if not all(map(values.PLAIN_DECIMAL.fullmatch, column)):
        raise ValueError("not plain")
    return list(map(Decimal, column))


def _fast_texts(column: list) -> list[str]:
    texts = list(map(str.strip, column))
    for text in set(texts):  # a report repeats its names: each distinct one is looked at once
        if text[:1] in values.MAY_BE_MISSING and text.lower() in values.MISSING:
            raise ValueError("missing marker")
    return texts


def _is_not_none(value) -> bool:
    return value is not None


def _some_negative(column: list) -> bool:
    """Whether some present value of the column is below zero."""
    return min(filter(_is_not_none, column), default=0) < 0


def _some_greater(left: list, right: list) -> bool:
    """Whether some left[i] > right[i] where both are present (None is missing, never compared)."""
    if None in left or None in right:
        return any(a is not None and b is not None and a > b for a, b in zip(left, right))
    return any(map(operator.gt, left, right))


def _is_total(first_cell) -> bool:
    """A row whose first cell says it sums the others (some exports end with one)."""
    return (
        isinstance(first_cell, str) and first_cell[:1] in _TOTAL_STARTS and first_cell.strip().casefold() in _TOTAL_ROWS
    )


class Reading:
    """One file being read. Iterate ``batches()``; afterwards ``errors`` (the first ERROR_LIMIT bad cells),
    ``error_count`` (all of them), ``warnings``/``warning_count``, ``rows_read`` (data rows seen),
    ``rows_rejected`` (rows left out because of a bad cell) and ``timezone`` are final."""

    def __init__(
        self,
        *,
        fmt: FileFormat,
        header: list[str],
        records: Iterator[Record],
        delimiter: str,
        timezone: str,
        source_currency: str,
        batch_size: int,
        encoding: str,
        container: str = CSV,
        fast: bool = True,
    ):
        self.format = fmt
        self.container = container  # of the file itself: a mapped (generic) format may read JSON rows
        self.header = header
        self.timezone = timezone
        self.encoding = encoding
        self.delimiter = delimiter
        self.errors: list[CellError] = []
        self._pending_errors: list[tuple[int, int, CellError]] = []
        self.error_count = 0
        self.warnings: list[Warning_] = []
        self.warning_count = 0
        self.rows_read = 0
        self.rows_rejected = 0
        self.finished = False
        self._records = records
        self._zone = ZoneInfo(timezone)
        self._source_currency = source_currency.upper()
        self._batch_size = batch_size
        self._style = values.FileStyle(delimiter=delimiter)
        self._today = datetime.now(self._zone).date()
        self._named_zone: str | None = None  # the time zone the file itself names (see _one_time_zone)
        self._named_zone_cell = ""
        self._named_zone_dates: set = set()
        if fmt.container == HEADERLESS:
            self._records = itertools.chain([(1, header)], records)
            width = max(len(header), 1 + max(int(pos[0]) for pos in fmt.columns.values()))
            self.header = [str(_("column {number}")).format(number=i + 1) for i in range(width)]
            self._resolved = Resolved(fields={name: int(pos[0]) for name, pos in fmt.columns.items()})
        else:
            self._resolved = resolve(fmt, header)
        resolved = self._resolved
        # Currencies the header names for the whole file ("Spend (EUR)", "af_purchase (Sales in USD)").
        self._file_currencies = tuple(
            dict.fromkeys(
                [code for name, code in resolved.header_currency.items() if name in ("spend", "revenue", "payout")]
                + ([resolved.sales_currency] if resolved.event_sales and resolved.sales_currency else [])
            )
        )
        self._checked_currencies: set[str] = set()
        self._compiled = self._plan()
        # Daily facts without per-event columns or joined fields can be assembled a column at a time.
        self._plain_metrics = (
            fmt.kind != CONVERSION
            and not resolved.events
            and not resolved.event_sales
            and not resolved.joined
            and "report_date" in resolved.fields
            and "time_zone" not in resolved.fields
            and len(self._file_currencies) <= 1
        )
        # Clean chunks of such facts in a CSV file can be read a column at a time by polars (.frames).
        self._framed = fast and self._plain_metrics and isinstance(self._records, _CsvRecords) and container == CSV
        if encoding == "cp1251":
            self._warn(1, "", _("The file is not UTF-8; it was read as Windows-1251 (Cyrillic)."))

    # -- reporting

    def _error(self, line: int, column: str, raw, expected, *, order: int = 10**6) -> None:
        self.error_count += 1
        room = ERROR_LIMIT - len(self.errors)
        if room <= 0:
            return
        shown = "" if raw is None else str(raw)[:200]
        self._pending_errors.append((line, order, CellError(line, column, shown, expected)))
        if len(self._pending_errors) >= 2 * room:
            self._trim_errors(room)  # bounded memory however bad the chunk, still the first ones by line

    def _trim_errors(self, room: int) -> None:
        # A chunk is read column by column; its bad cells are listed as the file reads, line by line.
        self._pending_errors.sort(key=lambda item: item[:2])
        del self._pending_errors[room:]

    def _flush_errors(self) -> None:
        self._trim_errors(ERROR_LIMIT - len(self.errors))
        self.errors.extend(error for _line, _order, error in self._pending_errors)
        self._pending_errors = []

    def _warn(self, line: int, column: str, message) -> None:
        self.warning_count += 1
        if len(self.warnings) < WARNING_LIMIT:
            self.warnings.append(Warning_(line, column, message))

    def _column(self, index: int) -> str:
        return self.header[index] if 0 <= index < len(self.header) else str(index + 1)

    def summary(self) -> str:
        """One sentence for a log or a message: rows read, rows rejected, bad cells and warnings."""
        # Four counts in one sentence cannot all agree with one plural form: a list of labelled figures can.
        return str(
            _("Rows read: {rows}; rejected: {rejected}; bad cells: {errors}; warnings: {warnings}.").format(
                rows=self.rows_read, rejected=self.rows_rejected, errors=self.error_count, warnings=self.warning_count
            )
        )

    # -- the batches

    def batches(self) -> Iterator[list[MetricRow] | list[ConversionRow] | MetricColumns | FrameBatch]:
        """Batches of valid rows, in file order: lists of rows, or clean chunks held column by column (which
        iterate as their rows). A batch holds at most ``batch_size`` rows."""
        if self.finished:
            raise RuntimeError("A Reading can be iterated once.")
        records = iter(self._records)
        first = list(itertools.islice(records, self._batch_size))
        self._learn(first)  # the file's way of writing numbers and dates, from its first rows
        chunks = self._framed_chunks(first) if self._framed else self._chunks(itertools.chain(first, records))
        for rows in chunks:
            self._flush_errors()
            if rows:
                yield rows
        self._settle_named_zone()
        self.finished = True

    def _chunks(self, records: Iterator[Record]) -> Iterator[list]:
        while True:
            chunk = self._admit(itertools.islice(records, self._batch_size))
            if chunk is None:
                return
            yield self._chunk_rows(chunk)

    def _framed_chunks(self, first: list[Record]) -> Iterator[list | FrameBatch]:
        """As :meth:`_chunks`, but the file's plain blocks go to the fast path ``batch_size`` lines at a time;
        a chunk it declines, and every record outside plain blocks, is read by the row-by-row rules."""
        from . import frames  # polars is imported only by a file that can use it

        size, waiting, records = self._batch_size, [], list(first)

        def framed(final: bool) -> Iterator[list | FrameBatch]:
            lines = list(itertools.chain.from_iterable(block.lines for block in waiting))
            start = waiting[0].start
            waiting.clear()
            for offset in range(0, len(lines), size):
                piece = lines[offset : offset + size]
                if len(piece) < size and not final:
                    waiting.append(_PlainBlock(start + offset, piece, self.delimiter))
                    return
                batch = frames.read_chunk(self, start + offset, "".join(piece))
                if batch is not None:
                    self.rows_read += len(batch)
                    yield batch
                else:
                    yield from self._chunks(iter(_PlainBlock(start + offset, piece, self.delimiter)))

        for block in self._records.blocks():
            if isinstance(block, _PlainBlock):
                if records:
                    yield from self._chunks(iter(records))
                    records = []
                waiting.append(block)
                if sum(map(len, waiting)) >= size:
                    yield from framed(final=False)
            else:
                if waiting:
                    yield from framed(final=True)
                records.extend(block)
                if len(records) >= size:
                    yield from self._chunks(iter(records[:size]))
                    del records[:size]
        if records:
            yield from self._chunks(iter(records))
        if waiting:
            yield from framed(final=True)

    def _admit(self, records: Iterable[Record]) -> list[Record] | None:
        """The records of one chunk that are data rows (None at the end of the file)."""
        records = list(records)
        if not records:
            return None
        width = len(self.header)
        cell_lists = [cells for _line, cells in records]
        if set(map(len, cell_lists)) == {width} and not (
            self.container != JSON and any(map(_is_total, set(map(operator.itemgetter(0), cell_lists))))
        ):
            # The usual chunk: every row as wide as the header and none a totals row; nothing to decide per row.
            self.rows_read += len(records)
            return records
        return self._admit_one_by_one(records)

    def _admit_one_by_one(self, records: list[Record]) -> list[Record] | None:
        admitted: list[Record] = []
        seen = False
        width = len(self.header)
        csv_like = self.container != JSON
        for line, cells in records:
            seen = True
            if csv_like and cells[0][:1] in _TOTAL_STARTS and cells[0].strip().casefold() in _TOTAL_ROWS:
                continue  # the totals row some exports end with is not a day's fact
            self.rows_read += 1
            if len(cells) < width:
                cells = cells + [None] * (width - len(cells))  # a short row: its missing cells are empty
            elif csv_like and len(cells) > width:
                if not "".join(cells[width:]).strip():
                    cells = cells[:width]  # a trailing delimiter after the last cell adds nothing
                    admitted.append((line, cells))
                    continue
                self.rows_rejected += 1
                self._error(
                    line,
                    str(_("column {number}")).format(number=width + 1),
                    ",".join(cells[width:]),
                    _("empty: the row has more cells than the header ({count})").format(count=width),
                )
                continue
            admitted.append((line, cells))
        return admitted if seen else None

    def _chunk_rows(self, chunk: list[Record]) -> list:
        """Read a chunk column by column (a whole column of plain numbers is converted at C speed; a column
        with anything unusual is read cell by cell, collecting its bad cells), then assemble the rows."""
        count = len(chunk)
        columns: dict[str, list] = {}
        spelled: list[str] | None = None
        bad: set[int] = set()
        # Every admitted row is as wide as the header (see _admit), so the chunk transposes in one step.
        transposed = list(zip(*[cells for _line, cells in chunk])) if chunk else []
        for name, index, reader, kind in self._compiled:
            raw_column = transposed[index] if index < len(transposed) else [None] * count
            fast = self._fast.get(kind)
            converted = None
            if fast is not None:
                try:
                    converted = fast(raw_column)
                except (ValueError, TypeError, ArithmeticError, AttributeError, values.Bad):
                    converted = None
            if converted is None:
                converted = [None] * count
                for position, raw in enumerate(raw_column):
                    try:
                        value = reader(raw)
                    except values.Bad as error:
                        bad.add(position)
                        self._error(chunk[position][0], self._column(index), raw, error.expected, order=index)
                        continue
                    if kind == "amount":
                        value, currency = value
                        if currency:
                            spelled = spelled or [""] * count
                            spelled[position] = spelled[position] or currency
                    converted[position] = value
            columns[name] = converted
        if not bad and spelled is None and self._plain_metrics:
            rows = self._plain_metric_rows(chunk, columns)
            if rows is not None:
                return rows
        build = self._conversion if self.format.kind == CONVERSION else self._metric
        names = list(columns)
        rows = []
        for position, (line, cells) in enumerate(chunk):
            if position in bad:
                self.rows_rejected += 1
                continue
            found = {name: columns[name][position] for name in names}
            if spelled and spelled[position]:
                found["_spelled_currency"] = spelled[position]
            for name, indexes in self._resolved.joined.items():
                found[name] = "|".join(values.read_text(cells[i] if i < len(cells) else None) for i in indexes)
            row = build(line, cells, found)
            if row is None:
                self.rows_rejected += 1
            else:
                rows.append(row)
        return rows

    def _plain_metric_rows(self, chunk: list[Record], columns: dict[str, list]) -> MetricColumns | list | None:
        """The rows of a clean chunk of daily facts, assembled a column at a time (what a large network export
        is). None when a row needs the row-by-row rules: a missing date, a currency missing or in conflict."""
        count = len(chunk)
        if not count:
            return []
        dates = columns["report_date"]
        if None in dates:
            return None
        spend = columns.get("spend") or [None] * count
        revenue = columns.get("revenue") or [None] * count
        own = columns.get("currency")
        fallback = self._file_currencies[0] if self._file_currencies else self._source_currency
        if self._file_currencies and own is not None and any(code and code != fallback for code in own):
            return None  # a row's currency column disagrees with the header's currency
        if (None not in spend or None not in revenue) and (own is None or "" not in own):
            # Every row has an amount and a currency of its own or the file's: the usual export, no row to look at.
            currencies = [fallback] * count if own is None else list(own)
            complete = all(currencies)
        else:
            has_amount = [a is not None or b is not None for a, b in zip(spend, revenue)]
            if own is None:
                currencies = [fallback if has else "" for has in has_amount]
            else:
                currencies = [(code or fallback) if has else "" for code, has in zip(own, has_amount)]
            complete = all(code for code, has in zip(currencies, has_amount) if has)
        if not complete:
            return None  # amounts without a currency: each such row is reported by the row-by-row rules
        blank = [""] * count
        nothing = [None] * count
        batch = MetricColumns(
            {
                "line": list(map(operator.itemgetter(0), chunk)),
                "report_date": dates,
                **{name: columns.get(name, blank) for name in _PLAIN_TEXTS},
                **{name: columns.get(name, nothing) for name in _PLAIN_COUNTS},
                "events": nothing,
                "spend": spend,
                "revenue": revenue,
                "currency": currencies,
            }
        )
        impressions, clicks = columns.get("impressions"), columns.get("clicks")
        checks = []
        if impressions is not None and clicks is not None and _some_greater(clicks, impressions):
            checks.append(
                lambda row: row.clicks is not None and row.impressions is not None and row.clicks > row.impressions
            )
        if "spend" in columns and _some_negative(spend):
            checks.append(lambda row: row.spend is not None and row.spend < 0)
        if max(dates) > self._today:
            checks.append(lambda row: row.report_date > self._today)
        unseen = set(currencies) - self._checked_currencies - {""}
        # Each check is first asked of the whole chunk at C speed; the rows are walked (in line order, for the
        # warnings) only when one of them has something to say.
        if checks or unseen:
            for row in batch.rows():  # in line order, as the row-by-row path warns
                if row.currency in unseen:
                    unseen.discard(row.currency)
                    self._note_currency(row.line, row.currency)
                for check in checks:
                    if check(row):
                        self._check_metric(row)
                        break
        return batch

    def _learn(self, records: list[Record]) -> None:
        fields = self._resolved.fields
        dates = [fields[name] for name in ("report_date", "conversion_time", "click_time") if name in fields]
        amounts = [fields[name] for name in ("spend", "revenue", "payout") if name in fields]
        amounts += list(self._resolved.event_sales.values())
        for _line, cells in records:
            for index in amounts:
                if index < len(cells) and isinstance(cells[index], str):
                    self._style.learn_number(cells[index].strip())
            for index in dates:
                if index < len(cells) and isinstance(cells[index], str):
                    self._style.learn_date(cells[index])
            if self._style.decided_numbers and self._style.day_first is not None:
                break
        if self._style.day_first is None and dates and records:
            sample = next((cells[dates[0]] for _l, cells in records if dates[0] < len(cells)), None)
            if isinstance(sample, str) and values.SLASH_DATE.match(sample.strip()):
                self._warn(
                    1,
                    self._column(dates[0]),
                    _("Dates such as {sample} were read month first (mm/dd/yyyy): no day above 12 tells.").format(
                        sample=sample.strip()
                    ),
                )

    def _plan(self) -> list[tuple[str, int, object, str]]:
        """(field, column, reader, is_amount) for each mapped column: the per-row loop does no dispatching.
        Dates, countries, platforms and currencies repeat endlessly in a report, so their readings are
        remembered (up to CACHE_SIZE distinct cells each, keeping memory bounded)."""
        style, zone = self._style, self._zone
        kinds = self.format.fields

        def cached(read_one):
            memory: dict = {}

            def reader(raw):
                try:
                    return memory[raw]
                except (KeyError, TypeError):
                    value = read_one(raw)
                    if len(memory) < CACHE_SIZE and isinstance(raw, str | None):
                        memory[raw] = value
                    return value

            return reader

        readers = {
            "text": values.read_text,
            "count": lambda raw: values.read_count(raw, style),
            "amount": lambda raw: values.read_amount(raw, style),
            "date": cached(lambda raw: values.read_date(raw, style, zone)),
            "datetime": lambda raw: values.read_datetime(raw, style, zone),
            "country": cached(values.read_country),
            "os": cached(values.read_os),
            "currency": cached(values.read_currency),
            "utc_offset": cached(values.read_utc_offset),
        }
        self._fast = {}
        if self.container != JSON:  # JSON cells may be numbers already; they take the careful path
            self._fast = {
                "count": _fast_counts,
                "amount": _fast_amounts,
                "text": _fast_texts,
                "date": lambda column, read=readers["date"]: list(map(read, column)),
                "country": lambda column, read=readers["country"]: list(map(read, column)),
                "os": lambda column, read=readers["os"]: list(map(read, column)),
                "currency": lambda column, read=readers["currency"]: list(map(read, column)),
            }
        return [(name, index, readers[kinds[name]], kinds[name]) for name, index in self._resolved.fields.items()]

    def _currency(self, line: int, found: dict, amount_fields: tuple[str, ...]) -> str | None:
        """The row's currency: its own column, a symbol in an amount, the header, then the source's."""
        own, spelled = found.get("currency") or "", found.get("_spelled_currency", "")
        has_amount = False
        for name in amount_fields:
            if found.get(name) is not None:
                has_amount = True
                break
        if not own and not spelled and not self._file_currencies:
            currency = self._source_currency  # the common case: one currency for the whole file
        else:
            named = [code for code in (own, spelled, *self._file_currencies) if code]
            currency = named[0]
            for code in named:
                if code != currency:
                    column = self._column(self._resolved.fields.get("currency", -1))
                    shown = " / ".join(dict.fromkeys(named))
                    self._error(line, column, shown, _("one currency for the row's amounts"))
                    return None
        if has_amount and not currency:
            self._error(
                line,
                str(_("currency")),
                "",
                _("a currency for the amounts: add a currency column or set the traffic source's currency"),
            )
            return None
        if currency and currency not in self._checked_currencies:
            self._note_currency(line, currency)
        return currency if has_amount else ""

    def _note_currency(self, line: int, currency: str) -> None:
        """Warn, once per file, about a currency outside ISO 4217 and the project's own codes."""
        self._checked_currencies.add(currency)
        if not values.is_known_currency(currency):
            column = self._column(self._resolved.fields.get("currency", -1))
            self._warn(line, column, _("Unknown currency “{code}”.").format(code=currency))

    def _metric(self, line: int, cells: list, found: dict) -> MetricRow | None:
        resolved = self._resolved
        if found.get("report_date") is None:
            index = resolved.fields.get("report_date", -1)
            self._error(line, self._column(index), "", values.EXPECTED_PRESENT)
            return None
        events = None
        if resolved.events or resolved.event_sales:
            events, sales, bad = {}, Decimal(0), False
            for event, index in resolved.events.items():
                raw = cells[index] if index < len(cells) else None
                try:
                    count = values.read_count(raw, self._style)
                except values.Bad as error:
                    self._error(line, self._column(index), raw, error.expected)
                    bad = True
                    continue
                if count is not None:
                    events[event] = count
            seen_sales = False
            for _event, index in resolved.event_sales.items():
                raw = cells[index] if index < len(cells) else None
                try:
                    amount, _spelled = values.read_amount(raw, self._style)
                except values.Bad as error:
                    self._error(line, self._column(index), raw, error.expected)
                    bad = True
                    continue
                if amount is not None:
                    sales += amount
                    seen_sales = True
            if bad:
                return None
            if "revenue" not in resolved.fields and seen_sales:
                found["revenue"] = sales
            events = events or None
        if not self._one_time_zone(line, cells, found.pop("time_zone", "")):
            return None
        if self._named_zone is not None:
            self._named_zone_dates.add(found["report_date"])
        currency = self._currency(line, found, ("spend", "revenue"))
        if currency is None:
            return None
        found.pop("_spelled_currency", None)
        found["currency"] = currency
        found.setdefault("campaign_id", "")
        found.setdefault("campaign_name", "")
        row = MetricRow(line=line, events=events, **found)
        self._check_metric(row)
        return row

    def _one_time_zone(self, line: int, cells: list, zone: str) -> bool:
        """A file that names the time zone on each line (Binom's cost import) is in the first line's zone, which
        then stands for the import instead of the source's; a line in another zone is a bad cell (its day would
        be another day than the rest's). An empty cell is in the file's zone."""
        if not zone:
            return True
        index = self._resolved.fields["time_zone"]
        raw = str(cells[index]).strip() if index < len(cells) else ""
        if self._named_zone is None:
            self._named_zone, self._named_zone_cell = zone, raw
            self.timezone = zone
            return True
        if zone == self._named_zone:
            return True
        self._error(
            line,
            self._column(index),
            raw,
            _("{zone}, the time zone of the file's first line: one file is in one time zone").format(
                zone=self._named_zone_cell
            ),
            order=index,
        )
        return False

    def _settle_named_zone(self) -> None:
        """A file in the offset its traffic source's zone has on every one of its days is in that zone: its facts
        carry the source's zone (a "+3" file of a Europe/Moscow source is Europe/Moscow), so that a report does
        not take the two for different zones. Otherwise they carry the offset ("UTC+03:00")."""
        if self._named_zone is None or not self._named_zone_dates:
            return
        offset = values.utc_offset_of(self._named_zone)
        if all(
            datetime.combine(day, datetime.min.time(), self._zone).utcoffset() == offset
            and datetime.combine(day, datetime.max.time(), self._zone).utcoffset() == offset
            for day in self._named_zone_dates
        ):
            self.timezone = self._zone.key

    def _check_metric(self, row: MetricRow) -> None:
        fields = self._resolved.fields
        if row.clicks is not None and row.impressions is not None and row.clicks > row.impressions:
            self._warn(
                row.line,
                self._column(fields["clicks"]),
                _("{clicks} clicks is more than {impressions} impressions.").format(
                    clicks=row.clicks, impressions=row.impressions
                ),
            )
        if row.spend is not None and row.spend < 0:
            self._warn(row.line, self._column(fields["spend"]), _("Negative spend ({spend}).").format(spend=row.spend))
        if row.report_date > self._today:
            self._warn(
                row.line,
                self._column(fields.get("report_date", -1)),
                _("The date {date} is in the future.").format(date=row.report_date.isoformat()),
            )

    def _conversion(self, line: int, cells: list, found: dict) -> ConversionRow | None:
        fields = self._resolved.fields
        for name in ("conversion_time", "transaction_id"):
            if not found.get(name):
                index = fields.get(name, -1)
                column = self._column(index) if index >= 0 else name
                self._error(line, column, "", values.EXPECTED_PRESENT)
                return None
        currency = self._currency(line, found, ("payout",))
        if currency is None:
            return None
        row = ConversionRow(
            line=line,
            click_id=found.get("click_id", ""),
            transaction_id=found["transaction_id"],
            event=found.get("event") or self.format.default_event,
            status=found.get("status", "").casefold(),
            payout=found.get("payout"),
            currency=currency,
            click_time=found.get("click_time"),
            conversion_time=found["conversion_time"],
            campaign_id=found.get("campaign_id", ""),
            campaign_name=found.get("campaign_name", ""),
            country=found.get("country", ""),
            os=found.get("os", ""),
            sub_id=found.get("sub_id", ""),
        )
        if row.conversion_time.astimezone(self._zone).date() > self._today:
            self._warn(
                line,
                self._column(fields["conversion_time"]),
                _("The date {date} is in the future.").format(date=row.conversion_time.date().isoformat()),
            )
        if row.payout is not None and row.payout < 0:
            self._warn(line, self._column(fields["payout"]), _("Negative payout ({payout}).").format(payout=row.payout))
        return row


def read(
    stream: BinaryIO,
    *,
    format: FileFormat | str | None = None,  # the contract names it so, shadowing the builtin
    source_timezone: str = "UTC",
    source_currency: str = "",
    mapping: dict | None = None,
    batch_size: int = 50_000,
    fast: bool = True,
) -> Reading:
    """Open a traffic file for reading in batches. The format is recognised from the header unless given
    (a code such as "keitaro", or a format); raises FormatNotRecognized when none fits, UnreadableFile when
    the file is not text in a supported shape. ``fast=False`` reads every chunk by the row-by-row rules
    (the fast path for clean CSV chunks, :mod:`.frames`, gives the same rows; the tests compare the two)."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    try:
        ZoneInfo(source_timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(str(_("Unknown time zone “{zone}”.")).format(zone=source_timezone)) from None
    text, encoding = _open_text(stream)
    container, header, records, delimiter = _records(text)
    if isinstance(format, str):
        format = by_code(format, mapping=mapping)
    samples: list[list] = []
    if format is None:
        peeked = list(itertools.islice(records, DETECT_ROWS))
        samples = [cells for _line, cells in peeked]
        if isinstance(records, _CsvRecords):
            records.unread(peeked)
        else:
            records = itertools.chain(peeked, records)
        format = _recognise(header, samples, mapping=mapping, container=container)
    elif format.container != HEADERLESS and not format.fits([str(name) for name in header]):
        missing = [name for name in format.required if name not in resolve(format, header).fields]
        raise FormatNotRecognized(
            str(
                _("The file does not look like {format}: its header ({header}) lacks {missing}.").format(
                    format=format.label,
                    header=", ".join(str(name) for name in header[:12]),
                    missing=", ".join(missing) or _("the columns only that product writes"),
                )
            ),
            tried=[format.code],
            header=[str(name) for name in header],
        )
    return Reading(
        fmt=format,
        header=[str(name) for name in header],
        records=records,
        delimiter=delimiter,
        timezone=source_timezone,
        source_currency=source_currency,
        batch_size=batch_size,
        encoding=encoding,
        container=container,
        fast=fast,
    )
