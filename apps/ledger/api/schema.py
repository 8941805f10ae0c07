"""What the books' API documents alike in every area: its error answers."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse

from apps.core.api.errors import ErrorSerializer

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description=_("Invalid fields, or a rule of the books refused it.")),
    403: OpenApiResponse(ErrorSerializer, description=_("Your role may not change these books.")),
    404: OpenApiResponse(ErrorSerializer, description=_("Not found in your organizations.")),
}
