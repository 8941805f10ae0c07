"""The traffic reference data: ``sources/``, ``programs/``, ``offers/`` and ``campaigns/``, listed, read,
created, changed and deleted as the admin does, through ``services.reference_save`` and
``services.reference_delete``: the role's write power in the organization, references of the same organization
only, every change audited, and a row that imported data, payouts or campaigns still name is not deleted.

Campaigns are made by imports the first time a file names them; through the API they are renamed (the name
people see and reports pair across sources, while files keep matching by id or by their own name) and linked to
an offer. A campaign created here, before any file names it, is matched by the files that carry its id (or, with
no id, its name in files).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers

from apps.core.accounts.roles import write_power
from apps.core.api.errors import ErrorSerializer
from apps.core.api.organizations import organization_field
from apps.core.api.serializers import TenantModelSerializer
from apps.core.api.viewsets import TenantModelViewSet

from ..filters import AffiliateProgramFilter, CampaignFilter, OfferFilter, TrafficSourceFilter
from ..models import AffiliateProgram, Campaign, Offer, TrafficSource
from ..services import reference_delete, reference_save
from ..services.sources import CAMPAIGN_MATCHED_BY, MATCHED_BY_IS_FIXED

ANALYTICS_WRITE = write_power("analytics")

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description=_("Invalid fields, or the row is still in use.")),
    403: OpenApiResponse(ErrorSerializer, description=_("Your role may not change traffic data.")),
    404: OpenApiResponse(ErrorSerializer, description=_("Not found in your organizations.")),
}


def _organization():
    return organization_field(
        power=ANALYTICS_WRITE,
        ambiguous_message=_("Name the organization by its slug: you change the traffic data of more than one."),
        help_text=_("Slug of the organization; may be left out by a user who changes the traffic data of only one."),
    )


class _ReferenceSerializer(TenantModelSerializer):
    organization = _organization()


class TrafficSourceSerializer(_ReferenceSerializer):
    class Meta:
        model = TrafficSource
        fields = [
            "id",
            "organization",
            "name",
            "kind",
            "time_zone",
            "currency",
            "column_mapping",
            "expected_delay",
            "created_at",
        ]
        read_only_fields = ["created_at"]


class AffiliateProgramSerializer(_ReferenceSerializer):
    class Meta:
        model = AffiliateProgram
        fields = ["id", "organization", "name", "external_id", "created_at"]
        read_only_fields = ["created_at"]


class OfferSerializer(_ReferenceSerializer):
    class Meta:
        model = Offer
        fields = ["id", "organization", "program", "name", "external_id", "created_at"]
        read_only_fields = ["created_at"]


class CampaignSerializer(_ReferenceSerializer):
    source_name = serializers.CharField(source="source.name", read_only=True)

    class Meta:
        model = Campaign
        fields = [
            "id",
            "organization",
            "source",
            "source_name",
            "external_id",
            "match_name",
            "name",
            "offer",
            "created_at",
        ]
        read_only_fields = ["created_at"]


_NOT_SENT = object()


class CampaignChangeSerializer(CampaignSerializer):
    """A campaign's change: its name and offer. What files match it by is read-only (a PUT need not repeat it),
    and a request that sends another value for it is refused rather than quietly ignored."""

    class Meta(CampaignSerializer.Meta):
        read_only_fields = ["created_at", *CAMPAIGN_MATCHED_BY]

    def validate(self, attrs):
        # Read-only, a value sent would be dropped before the service (which refuses a change) could see it.
        for name in CAMPAIGN_MATCHED_BY:
            sent = self.initial_data.get(name, _NOT_SENT)
            stored = getattr(self.instance, Campaign._meta.get_field(name).attname)
            if sent is not _NOT_SENT and str(sent).strip() != str(stored):
                raise serializers.ValidationError({name: [MATCHED_BY_IS_FIXED]})
        return super().validate(attrs)


class _ReferenceViewSet(TenantModelViewSet):
    """Writes go through the services (checks and audit); reads are scoped to the user's organizations, by
    name unless asked otherwise."""

    search_fields = ["name", "external_id"]
    ordering_fields = ["name", "created_at", "id"]
    ordering = ["name", "id"]

    def perform_create(self, serializer):
        instance = self.queryset.model(**serializer.validated_data)
        serializer.instance = reference_save(instance=instance, user=self.request.user)

    def perform_update(self, serializer):
        instance = serializer.instance
        for name, value in serializer.validated_data.items():
            setattr(instance, name, value)
        serializer.instance = reference_save(instance=instance, user=self.request.user)

    def perform_destroy(self, instance):
        reference_delete(instance=instance, user=self.request.user)


def _documented(serializer, **summaries):
    """The schema of a reference viewset: each action's summary and its answers, errors included."""
    answers = {
        "list": {200: serializer(many=True)},
        "retrieve": {200: serializer, 404: ERRORS[404]},
        "create": {201: serializer, **ERRORS},
        "update": {200: serializer, **ERRORS},
        "partial_update": {200: serializer, **ERRORS},
        "destroy": {204: None, **ERRORS},
    }
    return extend_schema_view(
        **{action: extend_schema(summary=summary, responses=answers[action]) for action, summary in summaries.items()}
    )


@_documented(
    TrafficSourceSerializer,
    list=_("List the traffic sources"),
    retrieve=_("Read a traffic source"),
    create=_("Create a traffic source (ad network, attribution platform or tracker)"),
    update=_("Change a traffic source: its name, kind, time zone, currency, column mapping or expected delay"),
    partial_update=_("Change some fields of a traffic source"),
    destroy=_("Delete a traffic source nothing was imported into"),
)
class TrafficSourceViewSet(_ReferenceViewSet):
    queryset = TrafficSource.objects.select_related("organization")
    serializer_class = TrafficSourceSerializer
    filterset_class = TrafficSourceFilter
    search_fields = ["name"]
    ordering_fields = ["name", "kind", "created_at", "id"]


@_documented(
    AffiliateProgramSerializer,
    list=_("List the affiliate programs"),
    retrieve=_("Read an affiliate program"),
    create=_("Create an affiliate program"),
    update=_("Change an affiliate program"),
    partial_update=_("Change some fields of an affiliate program"),
    destroy=_("Delete an affiliate program without offers or payouts"),
)
class AffiliateProgramViewSet(_ReferenceViewSet):
    queryset = AffiliateProgram.objects.select_related("organization")
    serializer_class = AffiliateProgramSerializer
    filterset_class = AffiliateProgramFilter


@_documented(
    OfferSerializer,
    list=_("List the offers"),
    retrieve=_("Read an offer"),
    create=_("Create an offer of an affiliate program"),
    update=_("Change an offer"),
    partial_update=_("Change some fields of an offer"),
    destroy=_("Delete an offer no campaign or payout names"),
)
class OfferViewSet(_ReferenceViewSet):
    queryset = Offer.objects.select_related("organization")
    serializer_class = OfferSerializer
    filterset_class = OfferFilter


@_documented(
    CampaignSerializer,
    list=_("List the campaigns of the traffic sources"),
    retrieve=_("Read a campaign"),
    create=_("Create a campaign before a file names it"),
    update=_("Rename a campaign or link it to an offer"),
    partial_update=_("Rename a campaign or link it to an offer (only the fields sent)"),
    destroy=_("Delete a campaign no imported row names"),
)
class CampaignViewSet(_ReferenceViewSet):
    queryset = Campaign.objects.select_related("organization", "source")
    serializer_class = CampaignSerializer
    filterset_class = CampaignFilter
    search_fields = ["name", "external_id", "match_name"]

    def get_serializer_class(self):
        return CampaignChangeSerializer if self.action in ("update", "partial_update") else CampaignSerializer


def register(router) -> None:
    router.register("sources", TrafficSourceViewSet, basename="analytics-source")
    router.register("programs", AffiliateProgramViewSet, basename="analytics-program")
    router.register("offers", OfferViewSet, basename="analytics-offer")
    router.register("campaigns", CampaignViewSet, basename="analytics-campaign")
