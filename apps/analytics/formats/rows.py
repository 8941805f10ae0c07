"""What a traffic file reads into: the contract between the readers (this package) and the import pipeline.

Pure Python, no database: a reader turns a file into these rows plus every bad cell it found; the pipeline
decides whether to write. Missing numbers are None, never 0 (a network that did not report clicks did not
report zero clicks).

The entry points (apps.analytics.formats):

    detect(sample: bytes, *, mapping: dict | None = None) -> Format      # raises FormatNotRecognized
    read(stream: BinaryIO, *, format: Format | str | None = None, source_timezone: str = "UTC",
         source_currency: str = "", mapping: dict | None = None, batch_size: int = 50_000,
         fast: bool = True) -> Reading
    Reading.batches() -> Iterator of batches: lists of MetricRow or ConversionRow, or clean chunks of daily
        facts held column by column (MetricColumns, FrameBatch), which iterate as their rows; after iteration:
    Reading.format, .errors (capped), .error_count (all), .warnings, .rows_read, .timezone
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from django.utils.translation import gettext_lazy as _

METRIC = "metric"
CONVERSION = "conversion"


@dataclass(slots=True)
class MetricRow:
    """One daily fact at the grain the file carries."""

    line: int  # file line number (1-based, header = 1) for lineage and errors
    report_date: date
    campaign_id: str  # external id; "" when the file has only a name
    campaign_name: str
    ad_group: str = ""  # ad group / ad set
    creative: str = ""
    placement: str = ""  # exchange / placement / publisher
    country: str = ""  # ISO 3166-1 alpha-2, upper case; "" when absent
    os: str = ""  # "ios" | "android" | other lower-case value; "" when absent
    sub_id: str = ""
    impressions: int | None = None  # None = missing, never 0
    clicks: int | None = None
    installs: int | None = None
    conversions: int | None = None
    events: dict[str, int] | None = None  # per-event counts where the file splits them
    spend: Decimal | None = None
    revenue: Decimal | None = None
    currency: str = ""  # ISO 4217 upper case (from a column, a header such as "Sales in EUR", or the source)


METRIC_ROW_FIELDS = tuple(MetricRow.__dataclass_fields__)


class MetricColumns:
    """A batch of daily facts held column by column: what a clean chunk of a large export reads into, without
    a Python object per row. ``columns`` maps each of :data:`METRIC_ROW_FIELDS` to a list of one value per row
    (all the same length). It iterates, indexes and measures as the list of :class:`MetricRow` it stands for,
    so a consumer that wants rows gets them; the import pipeline writes the columns as they are."""

    __slots__ = ("columns", "_count")

    def __init__(self, columns: dict[str, list]):
        missing = set(METRIC_ROW_FIELDS) - set(columns)
        if missing:
            raise ValueError(f"MetricColumns needs every field; missing {sorted(missing)}")
        lengths = {len(values) for values in columns.values()}
        if len(lengths) > 1:
            raise ValueError(f"MetricColumns' columns differ in length: {sorted(lengths)}")
        self.columns = columns
        self._count = lengths.pop() if lengths else 0

    def __len__(self) -> int:
        return self._count

    def rows(self) -> list[MetricRow]:
        return list(map(MetricRow, *(self.columns[name] for name in METRIC_ROW_FIELDS)))

    def __iter__(self):
        return iter(self.rows())

    def __getitem__(self, index: int) -> MetricRow:
        return MetricRow(*(self.columns[name][index] for name in METRIC_ROW_FIELDS))


class FrameBatch:
    """A clean chunk of daily facts read by the fast path (:mod:`.frames`): a polars frame with a column for
    each field of :class:`MetricRow` but ``events`` (dates as dates, counts as integers, amounts as the plain
    decimal text of the file). It measures, iterates and indexes as the list of rows it stands for; the import
    pipeline copies the frame as it is."""

    __slots__ = ("frame",)

    def __init__(self, frame):  # a polars.DataFrame (polars is imported only where a file needs it)
        self.frame = frame

    def __len__(self) -> int:
        return self.frame.height

    def columns(self) -> MetricColumns:
        listed = {name: self.frame.get_column(name).to_list() for name in METRIC_ROW_FIELDS if name != "events"}
        for name in ("spend", "revenue"):
            listed[name] = [None if text is None else Decimal(text) for text in listed[name]]
        listed["events"] = [None] * self.frame.height
        return MetricColumns(listed)

    def rows(self) -> list[MetricRow]:
        return self.columns().rows()

    def __iter__(self):
        return iter(self.rows())

    def __getitem__(self, index: int) -> MetricRow:
        return self.rows()[index]


@dataclass(slots=True)
class ConversionRow:
    """A raw install, in-app event or tracker conversion."""

    line: int
    click_id: str
    transaction_id: str
    event: str
    status: str
    payout: Decimal | None
    currency: str
    click_time: datetime | None  # aware, in UTC
    conversion_time: datetime  # aware, in UTC
    campaign_id: str = ""
    campaign_name: str = ""
    country: str = ""
    os: str = ""
    sub_id: str = ""


@dataclass(frozen=True, slots=True)
class CellError:
    """A cell that could not be read: where it is, what it held and what form was expected."""

    line: int
    column: str
    raw: str
    expected: str  # already translated (a lazy string), e.g. "a date such as 2026-05-01"

    def __str__(self) -> str:
        if not self.raw:
            text = _("Line {line}, column “{column}”: the cell is empty; expected {expected}.")
        else:
            text = _("Line {line}, column “{column}”: “{raw}” is not {expected}.")
        return str(text.format(line=self.line, column=self.column, raw=self.raw, expected=self.expected))


@dataclass(frozen=True, slots=True)
class Warning_:  # the trailing underscore keeps clear of the builtin Warning
    """A business-rule warning (clicks above impressions, negative spend, ...): shown, not fatal."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return str(
            _("Line {line}, column “{column}”: {message}").format(
                line=self.line, column=self.column, message=self.message
            )
        )


class Format(Protocol):
    code: str  # "moloco_csv", "moloco_json", "appsflyer_partners", ... "generic"
    label: str  # translatable
    kind: str  # METRIC | CONVERSION


class FormatNotRecognized(ValueError):
    """No known format fits the file's header; the message names every format tried."""

    def __init__(self, message: str, *, tried: list[str], header: list[str] | None = None):
        super().__init__(message)
        self.tried = tried
        self.header = header or []


class UnreadableFile(ValueError):
    """The file is not text in a supported shape (not UTF-8, not CSV/JSON, no header)."""
