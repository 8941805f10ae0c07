"""Throttles backed by the Redis cache, shared by every web process. An API key is throttled as itself."""

from rest_framework import throttling


class UserRateThrottle(throttling.UserRateThrottle):
    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            ident = getattr(request.user, "throttle_ident", None) or request.user.pk
            return self.cache_format % {"scope": self.scope, "ident": ident}
        return None


class AnonRateThrottle(throttling.AnonRateThrottle):
    pass


class TokenRateThrottle(throttling.SimpleRateThrottle):
    """Token endpoints (password grant, refresh): per client address."""

    scope = "token"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
