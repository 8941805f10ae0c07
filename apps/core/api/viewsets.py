"""Base viewsets: the queryset is scoped to the user's organizations before any filter runs."""

from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import filters, viewsets

from apps.core.accounts.tenancy import scope


class StableOrderingFilter(filters.OrderingFilter):
    """``?ordering=`` as usual, with the primary key appended when the ordering lacks it, so that pages never
    repeat or skip rows of equal sort keys."""

    def get_ordering(self, request, queryset, view):
        ordering = list(super().get_ordering(request, queryset, view) or [])
        if ordering and not {"pk", "-pk", "id", "-id"} & set(ordering):
            ordering.append("-pk" if ordering[-1].startswith("-") else "pk")
        return ordering


FILTER_BACKENDS = [DjangoFilterBackend, filters.SearchFilter, StableOrderingFilter]


class TenantScopedMixin:
    """Scopes ``get_queryset`` with ``apps.core.accounts.tenancy.scope``; filters, ordering and lookups come after,
    so another organization's object is not found (404) and never leaks through a filter.

    A viewset whose representation needs joins reads through its app's selector instead: ``selector`` is a
    function of ``user=`` that scopes first and adds the joins (``selector = staticmethod(invoice_list)``);
    ``queryset`` then only names the model (for the permission and the schema)."""

    filter_backends = FILTER_BACKENDS
    selector = None

    def get_queryset(self):
        if self.selector is not None:
            return self.selector(user=self.request.user)
        return scope(super().get_queryset(), self.request.user)


class TenantReadOnlyViewSet(TenantScopedMixin, viewsets.ReadOnlyModelViewSet):
    pass


class TenantModelViewSet(TenantScopedMixin, viewsets.ModelViewSet):
    pass
