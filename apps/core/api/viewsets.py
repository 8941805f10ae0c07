"""Base viewsets: the queryset is scoped to the user's organizations before any filter runs."""

from __future__ import annotations

from rest_framework import viewsets

from ..tenancy import scope


class TenantScopedMixin:
    """Scopes ``get_queryset`` with ``apps.core.tenancy.scope``; filters, ordering and lookups come after,
    so another organization's object is not found (404) and never leaks through a filter."""

    def get_queryset(self):
        return scope(super().get_queryset(), self.request.user)


class TenantReadOnlyViewSet(TenantScopedMixin, viewsets.ReadOnlyModelViewSet):
    pass


class TenantModelViewSet(TenantScopedMixin, viewsets.ModelViewSet):
    pass
