"""PLACEHOLDER — replaced by the API auth work in this session (access/refresh tokens and API keys)."""

from rest_framework.authentication import BaseAuthentication


class AccessTokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        return None


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request):
        return None
