"""Filter sets of the analytics API. They run on querysets already scoped to the user's organizations, and
filter an id by the number itself: a choice among every organization's rows would tell another organization's
id (an empty list) from a missing one (an error)."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from apps.core.filters import NumberFilter, organization_filter

from .models import AffiliateProgram, Campaign, ImportJob, Offer, Payout, TrafficSource


class TrafficSourceFilter(django_filters.FilterSet):
    organization = organization_filter()

    class Meta:
        model = TrafficSource
        fields = ["organization", "kind"]


class AffiliateProgramFilter(django_filters.FilterSet):
    organization = organization_filter()

    class Meta:
        model = AffiliateProgram
        fields = ["organization"]


class OfferFilter(django_filters.FilterSet):
    organization = organization_filter()
    program = NumberFilter(field_name="program_id", label=_("Affiliate program id"))

    class Meta:
        model = Offer
        fields = ["organization", "program"]


class CampaignFilter(django_filters.FilterSet):
    organization = organization_filter()
    source = NumberFilter(field_name="source_id", label=_("Traffic source id"))
    offer = NumberFilter(field_name="offer_id", label=_("Offer id"))

    class Meta:
        model = Campaign
        fields = ["organization", "source", "offer"]


class ImportJobFilter(django_filters.FilterSet):
    organization = organization_filter()
    source = NumberFilter(field_name="source_id", label=_("Traffic source id"))

    class Meta:
        model = ImportJob
        fields = ["organization", "status", "source"]


class PayoutFilter(django_filters.FilterSet):
    organization = organization_filter()
    program = NumberFilter(field_name="program_id", label=_("Affiliate program id"))

    class Meta:
        model = Payout
        fields = ["organization", "status", "program"]
