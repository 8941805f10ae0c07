"""Report endpoints that answer JSON or a file: the renderers content negotiation chooses for ``?format=csv``
and ``?format=xlsx`` (or an ``Accept`` header), and the view mixin every such endpoint uses.

The view writes the file itself; the renderers only let negotiation pick it. Anything that is not the file
(an error, the ``OPTIONS`` description of the view) is answered as JSON even when a file was asked for, so
a client never gets a 500 for asking ``OPTIONS …?format=csv`` or a CSV-typed error body."""

from __future__ import annotations

from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from apps.core.mechanisms.exports import XLSX_TYPE


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
