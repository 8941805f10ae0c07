"""/api/v1/fx-rates/: exchange rates, public and the organization's own; members with the power enter their
own. ``resolve`` answers which rate Kontora would use for a conversion (``apps.core.selectors.fx_rate_for``)."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from apps.core.accounts.tenancy import organization_ids
from apps.core.api.fields import DateField
from apps.core.api.permissions import IsMember
from apps.core.api.serializers import ModelSerializer, OrganizationSlugField
from apps.core.api.viewsets import TenantScopedMixin
from apps.core.filters import DateFilter
from apps.core.models import Currency, FxRate, Organization
from apps.core.money import fx
from apps.core.selectors import fx_rate_for


class FxRateFilter(django_filters.FilterSet):
    organization = django_filters.CharFilter(field_name="organization__slug", label=_("Organization (slug)"))
    public = django_filters.BooleanFilter(
        field_name="organization", lookup_expr="isnull", label=_("Public rates only (true) or own only (false)")
    )
    base = django_filters.CharFilter(method="filter_code", label=_("Base currency"))
    quote = django_filters.CharFilter(method="filter_code", label=_("Quote currency"))
    pair = django_filters.CharFilter(method="filter_pair", label=_("Pair, e.g. USD/RUB"))
    source = django_filters.MultipleChoiceFilter(choices=FxRate.Source.choices, label=_("Source"))
    date = DateFilter(label=_("Date"))
    date_after = DateFilter(field_name="date", lookup_expr="gte", label=_("On or after"))
    date_before = DateFilter(field_name="date", lookup_expr="lte", label=_("On or before"))

    class Meta:
        model = FxRate
        fields = ["organization", "public", "base", "quote", "pair", "source", "date", "date_after", "date_before"]

    def filter_code(self, queryset, name, value):
        return queryset.filter(**{f"{name}_id": value.strip().upper()})

    def filter_pair(self, queryset, name, value):
        base, _sep, quote = value.upper().replace("-", "/").partition("/")
        return queryset.filter(base_id=base, quote_id=quote)


class FxRateSerializer(ModelSerializer):
    organization = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True, help_text=_("Null for a public rate.")
    )
    base = serializers.SlugRelatedField(slug_field="code", read_only=True)
    quote = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = FxRate
        fields = ["id", "organization", "date", "base", "quote", "rate", "source", "created_at"]
        read_only_fields = fields


@extend_schema_field({"type": "string", "format": "decimal", "example": "81.0123"})
class RateField(serializers.Field):
    """A decimal string handed to the service as it came: it refuses floats, non-numbers, zero and negative
    rates and too many decimals with a message naming the field."""

    def to_internal_value(self, data):
        return data

    def to_representation(self, value):
        return str(value)


class FxRateCreateSerializer(serializers.Serializer):
    organization = OrganizationSlugField(power=fx.FX_WRITE_POWER, help_text=_("Slug of your organization."))
    date = DateField()
    base = serializers.SlugRelatedField(slug_field="code", queryset=Currency.objects.all())
    quote = serializers.SlugRelatedField(slug_field="code", queryset=Currency.objects.all())
    rate = RateField(help_text=_("Units of the quote currency for one unit of the base currency."))


class FxRateResolveSerializer(serializers.Serializer):
    base = serializers.CharField()
    quote = serializers.CharField()
    on = DateField()
    date = DateField(help_text=_("Date of the stored rate used (the older of two for a cross rate)."))
    rate = serializers.DecimalField(max_digits=40, decimal_places=12, coerce_to_string=True)
    method = serializers.ChoiceField(choices=["identity", "direct", "inverse", "cross"])
    source = serializers.CharField()
    rates = FxRateSerializer(many=True)


class MemberOrganizationField(serializers.SlugRelatedField):
    """An organization named by its slug, among those the user belongs to (reading needs no power)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "slug")
        kwargs.setdefault("queryset", Organization.objects.all())
        super().__init__(**kwargs)

    def get_queryset(self):
        queryset = super().get_queryset()
        request = self.context.get("request")
        if request is None:
            return queryset.none()
        allowed = organization_ids(request.user)
        return queryset if allowed is None else queryset.filter(pk__in=allowed)


class FxRateResolveQuerySerializer(serializers.Serializer):
    organization = MemberOrganizationField(
        required=False, help_text=_("Slug of the organization whose own rates count too.")
    )
    base = serializers.SlugRelatedField(slug_field="code", queryset=Currency.objects.all())
    quote = serializers.SlugRelatedField(slug_field="code", queryset=Currency.objects.all())
    date = DateField()


@extend_schema_view(
    list=extend_schema(summary=_("Exchange rates: the public ones and your organizations' own")),
    retrieve=extend_schema(summary=_("One exchange rate")),
    create=extend_schema(
        summary=_("Enter an own rate of your organization (write:core); repeating the same rate changes nothing"),
        request=FxRateCreateSerializer,
        responses={201: FxRateSerializer, 200: FxRateSerializer},
    ),
)
class FxRateViewSet(
    TenantScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = FxRate.objects.select_related("organization", "base", "quote")
    serializer_class = FxRateSerializer
    permission_classes = [IsMember]
    write_power = fx.FX_WRITE_POWER
    filterset_class = FxRateFilter
    search_fields = ["base__code", "quote__code"]
    ordering_fields = ["date", "base", "quote", "rate", "created_at", "id"]
    ordering = ["-date", "base", "quote", "-id"]

    def get_serializer_class(self):
        return FxRateCreateSerializer if self.action == "create" else FxRateSerializer

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fx_rate, created = fx.fx_rate_create(
            user=request.user, source=FxRate.Source.MANUAL, **serializer.validated_data
        )
        fx_rate = self.queryset.get(pk=fx_rate.pk)
        return Response(
            FxRateSerializer(fx_rate, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(
        summary=_("The rate Kontora would use to convert base into quote on a date"),
        description=_(
            "The latest stored rate on or before the date; on the same date the organization's own rate wins over "
            "a public one. Inverse pairs and cross rates through RUB are used when they are more recent. Answers "
            "400 with code validation_error naming the pair and date when there is none."
        ),
        parameters=[
            OpenApiParameter("base", str, required=True, description=_("Base currency code")),
            OpenApiParameter("quote", str, required=True, description=_("Quote currency code")),
            OpenApiParameter("date", str, required=True, description=_("Date, YYYY-MM-DD")),
            OpenApiParameter("organization", str, description=_("Organization slug (its own rates count too)")),
        ],
        responses=FxRateResolveSerializer,
        filters=False,
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def resolve(self, request):
        query = FxRateResolveQuerySerializer(data=request.query_params, context=self.get_serializer_context())
        query.is_valid(raise_exception=True)
        data = query.validated_data
        used = fx_rate_for(
            organization=data.get("organization"), base=data["base"], quote=data["quote"], on=data["date"]
        )
        body = {
            "base": used.base,
            "quote": used.quote,
            "on": used.on,
            "date": used.date,
            "rate": used.rate,
            "method": used.method,
            "source": used.source,
            "rates": used.rates,
        }
        return Response(FxRateResolveSerializer(body, context=self.get_serializer_context()).data)


router = SimpleRouter()
router.register("fx-rates", FxRateViewSet, basename="fxrate")
urlpatterns = router.urls
