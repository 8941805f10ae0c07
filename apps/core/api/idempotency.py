"""Idempotency keys in the API: where a request carries its key, and how a repeat is answered.

The key comes in the ``Idempotency-Key`` header or an ``idempotency_key`` field (the two must agree,
``apps.core.mechanisms.idempotency.request_key``). A service that made its result now answers 201; one that
returns what an earlier request with the same key made answers 200 and does nothing; the same key with a
different request is refused with 409 (``apps.core.api.errors``).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter
from rest_framework import status

from apps.core.mechanisms.idempotency import HEADER, is_replay, request_key

FIELD = "idempotency_key"


def idempotency_key(request, data: dict) -> str:
    """The request's key, taken out of the validated ``data`` (its ``idempotency_key`` field) or the header."""
    return request_key(request, data.pop(FIELD, ""), field=FIELD)


def created_status(result) -> int:
    """201 for a result made by this request, 200 for the replay of an earlier one."""
    return status.HTTP_200_OK if is_replay(result) else status.HTTP_201_CREATED


def key_parameter(description) -> OpenApiParameter:
    """The ``Idempotency-Key`` header in the schema; ``description`` says what the key identifies."""
    return OpenApiParameter(HEADER, str, OpenApiParameter.HEADER, description=description)
