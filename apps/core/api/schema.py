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
