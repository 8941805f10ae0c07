"""Filter sets of billing's lists (the API's; the admin has its own list filters). They run on querysets
already scoped to the user's organizations: another organization's slug or gateway simply finds nothing."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from apps.core.filters import IsoDateTimeFilter, NumberFilter

from .models import Payment, PaymentStatus, Provider, Refund, RefundStatus, Subscription, SubscriptionStatus
from .models.plans import CURRENT_STATUSES


class PaymentFilter(django_filters.FilterSet):
    organization = django_filters.CharFilter(field_name="organization__slug", label=_("Organization (slug)"))
    status = django_filters.MultipleChoiceFilter(choices=PaymentStatus.choices, label=_("Status"))
    provider = django_filters.ChoiceFilter(field_name="gateway__provider", choices=Provider.choices)
    gateway = NumberFilter(field_name="gateway_id")
    purpose_type = django_filters.CharFilter()
    purpose_id = django_filters.CharFilter()
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Payment
        fields = ["organization", "status", "provider", "gateway", "purpose_type", "purpose_id"]


class RefundFilter(django_filters.FilterSet):
    organization = django_filters.CharFilter(field_name="organization__slug", label=_("Organization (slug)"))
    status = django_filters.MultipleChoiceFilter(choices=RefundStatus.choices, label=_("Status"))
    payment = NumberFilter(field_name="payment_id")
    provider = django_filters.ChoiceFilter(field_name="payment__gateway__provider", choices=Provider.choices)
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Refund
        fields = ["organization", "status", "payment", "provider"]


class SubscriptionFilter(django_filters.FilterSet):
    organization = django_filters.CharFilter(field_name="organization__slug", label=_("Organization (slug)"))
    status = django_filters.MultipleChoiceFilter(choices=SubscriptionStatus.choices, label=_("Status"))
    current = django_filters.BooleanFilter(method="filter_current", label=_("Current (its plan applies now)"))

    class Meta:
        model = Subscription
        fields = ["organization", "status", "current"]

    def filter_current(self, queryset, name, value):
        statuses = [status.value for status in CURRENT_STATUSES]
        return queryset.filter(status__in=statuses) if value else queryset.exclude(status__in=statuses)
