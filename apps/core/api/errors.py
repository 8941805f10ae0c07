"""One JSON error shape for the whole API:

    {"error": {"code": "validation_error", "message": "…", "fields": {"amount": ["…"], "entries.1.account": ["…"]}}}

``fields`` is present for validation errors, with nested errors flattened to dotted paths (list items by
index), so a client can point at the exact field and line.
"""

from __future__ import annotations

import logging

import redis
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import defaults
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

from apps.core.mechanisms.idempotency import IdempotencyConflict

logger = logging.getLogger(__name__)


class ServiceUnavailable(exceptions.APIException):
    """Redis (cache, throttles, task queue, live events) does not answer: refuse the request before any write.

    A JSON 503 with Retry-After rather than throttles that fail open: a write accepted now would commit
    without its queued tasks and live events (those need Redis too), while a refused one is simply sent
    again by the client, with the same idempotency key, once Redis is back.
    """

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "service_unavailable"
    default_detail = gettext_lazy("The service is briefly unavailable and nothing was changed. Try again shortly.")
    wait = 5  # seconds: the Retry-After header and "retry_after"; a restarted Redis is back within this


def _flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            path = key if not prefix else f"{prefix}.{key}"
            if key == "non_field_errors":  # a nested object's or list's own error belongs to the field itself
                path = prefix or "non_field_errors"
            out.update(_flatten(value, path))
        return out
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return {prefix or "non_field_errors": [str(item) for item in detail]}
        out = {}
        for index, item in enumerate(detail):
            if item:
                out.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
        return out
    return {prefix or "non_field_errors": [str(detail)]}


def exception_handler(exc, context):
    if isinstance(exc, IdempotencyConflict):
        # The key was used for a different request: the client must choose a new key, not fix a field.
        fields = _flatten(as_serializer_error(exc))
        message = next(iter(fields.values()))[0]
        return error_response(exc.code, message, status.HTTP_409_CONFLICT, fields=fields)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, redis.ConnectionError | redis.TimeoutError):
        logger.warning("Redis is unavailable; answering 503: %s", exc)
        exc = ServiceUnavailable()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        body = {"code": "validation_error", "message": _("The request has invalid fields."), "fields": fields}
        if list(fields) == ["non_field_errors"]:
            body["message"] = fields["non_field_errors"][0]
    else:
        detail = getattr(exc, "detail", "")
        code = detail.code if hasattr(detail, "code") else getattr(exc, "default_code", "error")
        body = {"code": code, "message": str(detail)}
        if isinstance(exc, exceptions.Throttled | ServiceUnavailable) and exc.wait is not None:
            body["retry_after"] = int(exc.wait)
    response.data = {"error": body}
    return response


def error_response(code: str, message: str, http_status: int = status.HTTP_400_BAD_REQUEST, **extra) -> Response:
    return Response({"error": {"code": code, "message": message, **extra}}, status=http_status)


class ErrorDetailSerializer(serializers.Serializer):
    """For the schema: the body of every error answer."""

    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False)
    retry_after = serializers.IntegerField(required=False)


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


IDEMPOTENCY_CONFLICT = OpenApiResponse(
    ErrorSerializer,
    description=gettext_lazy("The idempotency key was already used for a different request; nothing was done."),
)


# --- answers Django gives before a view runs (no route matched, a malformed request, a crash) -------------

API_PREFIX = "/api/"


def _django_error(request, code: str, message: str, http_status: int, page):
    """Under /api/ the one JSON error shape; elsewhere Django's own page."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"error": {"code": code, "message": message}}, status=http_status)
    return page()


def not_found(request, exception=None):
    return _django_error(
        request, "not_found", _("Not found."), 404, lambda: defaults.page_not_found(request, exception)
    )


def bad_request(request, exception=None):
    return _django_error(
        request, "bad_request", _("The request is malformed."), 400, lambda: defaults.bad_request(request, exception)
    )


def permission_denied(request, exception=None):
    return _django_error(
        request,
        "permission_denied",
        _("You do not have permission to perform this action."),
        403,
        lambda: defaults.permission_denied(request, exception),
    )


def server_error(request):
    return _django_error(
        request, "server_error", _("Something went wrong on our side."), 500, lambda: defaults.server_error(request)
    )
