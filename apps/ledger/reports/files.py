"""Reports as files: CSV and XLSX downloads, the same for the admin and the API.

CSV: UTF-8 with a byte-order mark (without it Excel reads UTF-8 as the Windows code page and garbles
Cyrillic; Python's ``utf-8-sig``, pandas and LibreOffice skip it), a header row of translated column names
first, numbers without grouping, dates as ISO 8601, in one of ``apps.core.mechanisms.exports``' dialects: commas and a
decimal point (``standard``, for scripts: the API's default) or semicolons and a decimal comma
(``excel-ru``, what Russian Excel opens as columns: the admin's default for a Russian interface).
People who want a spreadsheet take the XLSX: real numeric cells (Decimals written as numbers,
with a number format of the currency's precision), real date cells, a title block with the organization,
period, currency and filters, and the header row frozen. Both are written row by row (the XLSX by
openpyxl's write-only workbook into a temporary file), so a long statement never sits in memory whole.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterable, Iterator
from decimal import Decimal

from asgiref.sync import sync_to_async
from django.core.exceptions import ValidationError
from django.http import StreamingHttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from apps.core.language.formatting import format_date
from apps.core.mechanisms.exports import (
    DIALECTS,
    STANDARD,
    XLSX_TYPE,
    CsvDialect,
    csv_cell,
    csv_dialect,
    csv_writer,
    xlsx_cell,
)

from .base import ReportHeader
from .tables import AMOUNT, DATE, MONEY, NUMBER, Table

CSV_TYPE = "text/csv; charset=utf-8"
FORMATS = ("csv", "xlsx")


def header_notes(header: ReportHeader) -> list[str]:
    """The lines that say what a report covers, above its table in a spreadsheet."""
    if header.date_from is not None:
        period = _("Period: {start} – {end}").format(
            start=format_date(header.date_from), end=format_date(header.date_to)
        )
    else:
        period = _("As of {date}").format(date=format_date(header.date_to))
    if not header.currency:  # several currencies side by side (the aging): each row's own, never added
        currency = _("Amounts in each row's own currency; currencies are never added together")
    elif header.converted:
        currency = _("Amounts in {currency}, every entry converted at the rate of its date").format(
            currency=header.currency
        )
    else:
        currency = _("Amounts in {currency}: only entries held in {currency}").format(currency=header.currency)
    names = {"project": _("Project"), "category": _("Category"), "counterparty": _("Counterparty")}
    notes = [_("Organization: {name}").format(name=header.organization), period, currency]
    notes += [f"{names[key]}: {value}" for key, value in header.filters.items()]
    return notes


def file_name(table: Table, header: ReportHeader, extension: str) -> str:
    dates = [d.isoformat() for d in (header.date_from, header.date_to) if d is not None]
    return "_".join([table.filename, *dates]) + f".{extension}"


# --- CSV ---------------------------------------------------------------------------------------------------


class _Line:
    """A write-only file for csv.writer that hands back what it was given."""

    def write(self, value: str) -> str:
        return value


def csv_chunks(table: Table, *, dialect: CsvDialect = STANDARD, rows_per_chunk: int = 500) -> Iterator[bytes]:
    """The table as CSV bytes in ``dialect``, a few hundred rows per chunk, starting with the BOM and the
    header row."""
    writer = csv_writer(_Line(), dialect)
    yield ("\ufeff" + writer.writerow([csv_cell(column.label, dialect) for column in table.columns])).encode()
    buffer = []
    for row in table.rows:
        buffer.append(writer.writerow([csv_cell(value, dialect) for value in row]))
        if len(buffer) >= rows_per_chunk:
            yield "".join(buffer).encode()
            buffer = []
    if buffer:
        yield "".join(buffer).encode()


# --- XLSX --------------------------------------------------------------------------------------------------


def number_format(precision: int) -> str:
    body = "#,##0" + ("." + "0" * precision if precision > 0 else "")
    return f"{body};-{body}"


def xlsx_write(table: Table, header: ReportHeader, target) -> None:
    """Write the table as an XLSX workbook to ``target`` (a path or a binary file)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=table.title[:31])
    notes = header_notes(header)
    header_row = len(notes) + 3  # title, notes, a blank line, then the header
    sheet.freeze_panes = f"A{header_row + 1}"
    for index, column in enumerate(table.columns, start=1):
        width = 12 if column.kind in (MONEY, AMOUNT, DATE, NUMBER) else 24
        sheet.column_dimensions[get_column_letter(index)].width = max(width, min(len(column.label) + 2, 40))

    def styled(value, **style):
        return xlsx_cell(sheet, value, **style)

    bold = Font(bold=True)
    sheet.append([styled(table.title, font=Font(bold=True, size=14))])
    for note in notes:
        sheet.append([styled(note)])
    sheet.append([])
    sheet.append([styled(column.label, font=bold) for column in table.columns])
    formats = []
    for column in table.columns:
        if column.kind == MONEY:
            formats.append(number_format(table.precision if column.precision is None else column.precision))
        elif column.kind == DATE:
            formats.append("yyyy-mm-dd")
        elif column.kind == NUMBER:
            formats.append("0")
        else:
            formats.append(None)  # text, or an amount of varying precision shown as it is ("General")
    for row in table.rows:
        cells = []
        for value, fmt in zip(row, formats, strict=True):
            if value is None or value == "":
                cells.append(None)
            elif fmt is None or not isinstance(value, Decimal | int | dt.date):
                cells.append(styled(value))  # text a person typed is never written as a formula
            else:
                cells.append(styled(value, number_format=fmt))
        sheet.append(cells)
    workbook.save(target)


# --- HTTP --------------------------------------------------------------------------------------------------


def _is_asgi(request) -> bool:
    from django.core.handlers.asgi import ASGIRequest

    return isinstance(getattr(request, "_request", request), ASGIRequest)


def _served(request, chunks: Iterator[bytes]) -> Iterable:
    """Under ASGI an async iterator, else the chunks as they are: Django would otherwise read a synchronous
    iterator whole before an ASGI server sends the first byte. Each chunk is produced in the request's own
    thread (``thread_sensitive``), so a server-side cursor opened by the view stays on its connection."""
    if not _is_asgi(request):
        return chunks

    async def agen():
        while True:
            chunk = await sync_to_async(next, thread_sensitive=True)(chunks, None)
            if chunk is None:
                return
            yield chunk

    return agen()


def _file_chunks(target, size: int = 1 << 16) -> Iterator[bytes]:
    try:
        target.seek(0)
        while chunk := target.read(size):
            yield chunk
    finally:
        target.close()


def requested_dialect(request, *, for_person: bool) -> CsvDialect:
    """The CSV dialect asked for with ``?dialect=``; without one, the default for the interface's language
    when a person downloads (``for_person``), else ``standard``. An unknown name is a ValidationError."""
    name = request.GET.get("dialect") or None
    try:
        return csv_dialect(name, language=get_language() if for_person else None)
    except ValueError:
        raise ValidationError(
            {
                "dialect": _("“{value}” is not a CSV dialect; choose one of: {choices}.").format(
                    value=name[:40], choices=", ".join(DIALECTS)
                )
            },
            code="invalid",
        ) from None


def download(request, report, fmt: str, *, dialect: CsvDialect = STANDARD) -> StreamingHttpResponse:
    """The report (anything with ``header`` and ``table()``) as a CSV (in ``dialect``) or XLSX download."""
    table = report.table()
    if fmt == "csv":
        chunks, content_type = csv_chunks(table, dialect=dialect), CSV_TYPE
    elif fmt == "xlsx":
        target = tempfile.TemporaryFile()  # noqa: SIM115  (closed by _file_chunks once sent)
        try:
            xlsx_write(table, report.header, target)
        except BaseException:
            target.close()
            raise
        chunks, content_type = _file_chunks(target), XLSX_TYPE
    else:
        raise ValueError(f"unknown format {fmt!r}")
    response = StreamingHttpResponse(_served(request, chunks), content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, file_name(table, report.header, fmt))
    response["Cache-Control"] = "private, no-store"
    return response
