"""How the OpenAPI schema describes Kontora's two API credentials (imported by ``apps.core.api.urls``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class AccessTokenScheme(OpenApiAuthenticationExtension):
    target_class = "apps.core.api.authentication.AccessTokenAuthentication"
    name = "accessToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": str(
                _(
                    "A short-lived access token from /api/v1/auth/token/, sent as “Authorization: Bearer <access>”. "
                    "Renew it with the refresh token at /api/v1/auth/token/refresh/."
                )
            ),
        }


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "apps.core.api.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": str(
                _(
                    "An organization's API key, sent as “Authorization: Api-Key kon_…”. It reads that organization's "
                    "data, and changes it only with the write scope."
                )
            ),
        }


def _error_answers() -> dict[str, str]:
    return {
        "400": str(_("The request is malformed or has invalid fields; “fields” names each one.")),
        "401": str(_("No valid credentials were sent.")),
        "403": str(_("The credentials do not allow this.")),
        "404": str(_("Not found, or it belongs to another organization.")),
        "429": str(_("Too many requests; “retry_after” says how many seconds to wait.")),
    }


def add_error_responses(result, generator, request, public):
    """Every operation may answer the errors of every request (bad input, credentials, not found, throttled),
    always in the one JSON error shape of ``apps.core.api.errors``: the schema says so once, here, instead of
    each view listing them."""
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    answers = _error_answers()
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in {"get", "put", "patch", "post", "delete", "head", "options"}:
                continue
            responses = operation.setdefault("responses", {})
            codes = dict(answers)
            if "requestBody" in operation:
                codes["415"] = str(_("The body is not in a content type this operation accepts."))
            for code, description in codes.items():
                responses.setdefault(code, {"content": error, "description": description})
    return result
