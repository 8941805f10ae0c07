"""Report endpoints that answer JSON or a file: the renderers content negotiation chooses for ``?format=csv``
and ``?format=xlsx`` (or an ``Accept`` header), and the view mixin every such endpoint uses.

The view writes the file itself; the renderers only let negotiation pick it. Anything that is not the file
(an error, the ``OPTIONS`` description of the view) is answered as JSON even when a file was asked for, so
a client never gets a 500 for asking ``OPTIONS …?format=csv`` or a CSV-typed error body. ``table_download``
writes a table as either file, every cell through ``apps.core.mechanisms.exports``."""

from __future__ import annotations

import io

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from apps.core.mechanisms.exports import XLSX_TYPE, csv_cell, csv_dialect, csv_writer, xlsx_cell


class FileRenderer(BaseRenderer):
    """Lets content negotiation choose a download. Rendering data through it falls back to JSON."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return JSONRenderer().render(data, "application/json", renderer_context)


class CSVRenderer(FileRenderer):
    media_type = "text/csv"
    format = "csv"


class XLSXRenderer(FileRenderer):
    media_type = XLSX_TYPE
    format = "xlsx"


class DownloadableMixin:
    """For an ``APIView`` whose ``get`` returns the file itself (an ``HttpResponse``) when a file renderer was
    negotiated: every other answer (data, an error, the ``OPTIONS`` description) is rendered as JSON."""

    def finalize_response(self, request, response, *args, **kwargs):
        if isinstance(response, Response) and isinstance(getattr(request, "accepted_renderer", None), FileRenderer):
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), "application/json"
        return super().finalize_response(request, response, *args, **kwargs)

    def wants_file(self, request) -> str | None:
        """``"csv"`` or ``"xlsx"`` when the client asked for a file, else ``None``."""
        renderer = getattr(request, "accepted_renderer", None)
        return renderer.format if isinstance(renderer, FileRenderer) else None


def table_download(
    *, name: str, header: list, rows: list[list], fmt: str, notes: list[str] = (), sheet: str = "", dialect=None
) -> HttpResponse:
    """A table (a header row and rows of cells: Decimals, ints, dates, text) as a CSV (UTF-8 with a byte-order
    mark, in ``dialect``: a name of ``DIALECTS``) or XLSX download named ``name``; ``notes`` follow the table in
    CSV and precede it in XLSX. Every cell goes through ``apps.core.mechanisms.exports``: text that starts like
    a formula stays text, numbers stay numbers."""
    if fmt == "csv":
        chosen = csv_dialect(dialect)
        buffer = io.StringIO()
        writer = csv_writer(buffer, chosen)
        for line in [header, *rows]:
            writer.writerow([csv_cell(value, chosen) for value in line])
        if notes:
            writer.writerow([])
        for note in notes:
            writer.writerow([csv_cell(note, chosen)])
        response = HttpResponse(buffer.getvalue().encode("utf-8-sig"), content_type="text/csv; charset=utf-8")
    elif fmt == "xlsx":
        from openpyxl import Workbook  # only when a workbook is asked for: it is slow to import

        workbook = Workbook(write_only=True)
        worksheet = workbook.create_sheet((sheet or "Sheet")[:31])
        for note in notes:
            worksheet.append([xlsx_cell(worksheet, note)])
        if notes:
            worksheet.append([])
        for line in [header, *rows]:
            worksheet.append([xlsx_cell(worksheet, value) for value in line])
        target = io.BytesIO()
        workbook.save(target)
        response = HttpResponse(target.getvalue(), content_type=XLSX_TYPE)
    else:
        raise ValueError(fmt)
    response["Content-Disposition"] = content_disposition_header(True, f"{name}.{fmt}")
    response["Cache-Control"] = "private, no-store"
    return response
