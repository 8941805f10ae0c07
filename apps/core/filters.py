"""Filter sets of the core models, shared by the API and the pages.

They run on querysets already scoped to the user's organizations, so filtering by another organization's
slug simply finds nothing.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from apps.core.accounts.roles import Role
from apps.core.models import ApiKey, AuditLog, Currency, Membership
from apps.core.validation.dates import date_range_validator

# --- filters of every app's filter sets: dates in the accepted range, numbers that fit a bigint ---------------


class DateFilter(django_filters.DateFilter):
    """A date filter refusing dates outside ``apps.core.validation.dates`` (a 400 naming the parameter)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("validators", [date_range_validator])
        super().__init__(*args, **kwargs)


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 time filter whose date must lie in the accepted range."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("validators", [date_range_validator])
        super().__init__(*args, **kwargs)


class NumberFilter(django_filters.NumberFilter):
    """An id or count: a whole number that fits PostgreSQL's bigint."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", -(2**63 - 1))
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


def organization_filter() -> django_filters.CharFilter:
    """``?organization=<slug>``: one of the user's organizations (the queryset is scoped to them already)."""
    return django_filters.CharFilter(field_name="organization__slug", label=_("Organization (slug)"))


class MembershipFilter(django_filters.FilterSet):
    organization = django_filters.CharFilter(field_name="organization__slug", label=_("Organization (slug)"))
    role = django_filters.MultipleChoiceFilter(choices=Role.choices, label=_("Role"))
    email = django_filters.CharFilter(field_name="user__email", lookup_expr="iexact", label=_("E-mail address"))

    class Meta:
        model = Membership
        fields = ["organization", "role", "email"]


class CurrencyFilter(django_filters.FilterSet):
    class Meta:
        model = Currency
        fields = ["is_crypto", "is_active"]


class AuditLogFilter(django_filters.FilterSet):
    organization = django_filters.CharFilter(field_name="organization__slug", label=_("Organization (slug)"))
    action = django_filters.CharFilter(label=_("Action, e.g. membership.add"))
    action_prefix = django_filters.CharFilter(
        field_name="action", lookup_expr="startswith", label=_("Action starts with, e.g. membership.")
    )
    object_type = django_filters.CharFilter(label=_("Object type, e.g. core.membership"))
    object_id = django_filters.CharFilter(label=_("Object id"))
    actor = django_filters.CharFilter(field_name="actor__email", lookup_expr="iexact", label=_("Actor's e-mail"))
    created_after = IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", label=_("At or after (ISO 8601 time)")
    )
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt", label=_("Before (ISO 8601 time)"))

    class Meta:
        model = AuditLog
        fields = ["organization", "action", "action_prefix", "object_type", "object_id", "actor"]


class ApiKeyFilter(django_filters.FilterSet):
    organization = django_filters.CharFilter(field_name="organization__slug", label=_("Organization (slug)"))
    revoked = django_filters.BooleanFilter(
        field_name="revoked_at", lookup_expr="isnull", exclude=True, label=_("Revoked")
    )

    class Meta:
        model = ApiKey
        fields = ["organization", "revoked"]
