"""How an API request says who it is.

- ``Authorization: Bearer <access token>``: a person, with a short-lived token from ``/api/v1/auth/token/``.
- ``Authorization: Api-Key <key>``: an organization's integration (see ``apps.core.accounts.tokens.ApiKeyPrincipal``).
- The session cookie, for the browsable API of a signed-in person (with CSRF protection).

A request that names a scheme and carries a bad credential is refused (401) rather than treated as anonymous.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from apps.core.accounts.tokens import AuthError, access_token_verify, api_key_authenticate


def _credential(request, keyword: str) -> str | None:
    """The credential after ``keyword`` in the Authorization header, ``None`` if another scheme is used."""
    parts = get_authorization_header(request).split()
    if not parts or parts[0].decode("latin-1").lower() != keyword.lower():
        return None
    if len(parts) != 2:
        raise exceptions.AuthenticationFailed(
            _("Malformed Authorization header: use “{keyword} <credential>”.").format(keyword=keyword),
            code="credentials_malformed",
        )
    try:
        return parts[1].decode("ascii")
    except UnicodeDecodeError as error:
        raise exceptions.AuthenticationFailed(
            _("The credential contains characters it cannot contain."), code="credentials_malformed"
        ) from error


class AccessTokenAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        token = _credential(request, self.keyword)
        if token is None:
            return None
        try:
            claims = access_token_verify(token)
        except AuthError as error:
            raise exceptions.AuthenticationFailed(error.message, code=error.code) from error
        user = get_user_model().objects.filter(pk=claims.user_id, is_active=True).first()
        if user is None:
            raise exceptions.AuthenticationFailed(_("The access token is not valid."), code="token_invalid")
        return user, claims

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'


class ApiKeyAuthentication(BaseAuthentication):
    keyword = "Api-Key"

    def authenticate(self, request):
        raw = _credential(request, self.keyword)
        if raw is None:
            return None
        try:
            principal = api_key_authenticate(raw)
        except AuthError as error:
            raise exceptions.AuthenticationFailed(error.message, code=error.code) from error
        return principal, principal.api_key

    def authenticate_header(self, request) -> str:
        return self.keyword
