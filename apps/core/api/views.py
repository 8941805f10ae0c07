"""The core endpoints: sign-in tokens, organizations, memberships, the current user, currencies, the audit
log and API keys. They validate input and call the services of ``apps.core``; the rules live there."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core import services
from apps.core.accounts import tokens
from apps.core.accounts.roles import MANAGE_API_KEYS, MANAGE_MEMBERS, MANAGE_ORGANIZATION
from apps.core.api.errors import ErrorSerializer, error_response
from apps.core.api.permissions import IsMember, PeopleOnlyForWrites
from apps.core.api.serializers import (
    ApiKeyCreatedSerializer,
    ApiKeyCreateSerializer,
    ApiKeySerializer,
    AuditLogSerializer,
    CurrencySerializer,
    MembershipCreateSerializer,
    MembershipRoleSerializer,
    MembershipSerializer,
    MeSerializer,
    OrganizationSerializer,
    TokenObtainSerializer,
    TokenPairSerializer,
    TokenRefreshSerializer,
)
from apps.core.api.throttling import TokenRateThrottle
from apps.core.api.viewsets import TenantReadOnlyViewSet, TenantScopedMixin
from apps.core.filters import ApiKeyFilter, AuditLogFilter, CurrencyFilter, MembershipFilter
from apps.core.models import ApiKey, AuditLog, Currency, Membership, Organization, User

_ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description=_("Invalid fields.")),
    401: OpenApiResponse(ErrorSerializer, description=_("The credentials were refused.")),
    403: OpenApiResponse(ErrorSerializer, description=_("Refused by a policy (e-mail, two-factor).")),
    429: OpenApiResponse(ErrorSerializer, description=_("Too many attempts.")),
}


# --- tokens -----------------------------------------------------------------------------------------------


class _TokenView(APIView):
    """Token endpoints take no credentials of their own and are throttled per client address."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [TokenRateThrottle]

    @staticmethod
    def _user_agent(request) -> str:
        return request.META.get("HTTP_USER_AGENT", "")[:200]

    @staticmethod
    def _refused(error: tokens.AuthError) -> Response:
        return error_response(error.code, error.message, error.status)

    @staticmethod
    def _pair(pair: tokens.TokenPair) -> Response:
        response = Response(TokenPairSerializer(pair).data)
        response["Cache-Control"] = "no-store"
        return response


class TokenObtainView(_TokenView):
    serializer_class = TokenObtainSerializer

    @extend_schema(
        tags=["auth"],
        summary=_("Sign in: e-mail and password (and a one-time code) for an access and a refresh token"),
        description=_(
            "Refusals carry a code: invalid_credentials (401), otp_required and otp_invalid (401) when the user "
            "has an authenticator app, email_unverified (403), mfa_required (403) when an organization of the "
            "user requires two-factor authentication and the user has not set it up, locked_out (429) after too "
            "many failures."
        ),
        request=TokenObtainSerializer,
        responses={200: TokenPairSerializer, **_ERRORS},
        auth=[],
    )
    def post(self, request):
        serializer = TokenObtainSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            pair = tokens.token_obtain(
                # The Django request: django-axes marks it when it locks the user out.
                request=request._request,
                email=data["email"],
                password=data["password"],
                otp=data["otp"],
                user_agent=self._user_agent(request),
            )
        except tokens.AuthError as error:
            return self._refused(error)
        return self._pair(pair)


class TokenRefreshView(_TokenView):
    serializer_class = TokenRefreshSerializer

    @extend_schema(
        tags=["auth"],
        summary=_("Exchange a refresh token for a new pair (the old refresh token is spent)"),
        description=_(
            "Each refresh token works once. Presenting a spent one answers token_reused (401) and revokes the "
            "whole login: its refresh tokens and its access tokens. Other refusals: token_invalid, token_revoked, "
            "token_expired (401), mfa_required (403)."
        ),
        request=TokenRefreshSerializer,
        responses={200: TokenPairSerializer, **_ERRORS},
        auth=[],
    )
    def post(self, request):
        serializer = TokenRefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            pair = tokens.token_refresh(
                refresh=serializer.validated_data["refresh"], user_agent=self._user_agent(request)
            )
        except tokens.AuthError as error:
            return self._refused(error)
        return self._pair(pair)


class TokenRevokeView(_TokenView):
    serializer_class = TokenRefreshSerializer

    @extend_schema(
        tags=["auth"],
        summary=_("Log out: revoke the refresh token's login (and its access tokens)"),
        description=_("Revoking an already revoked login changes nothing; an unknown token answers token_invalid."),
        request=TokenRefreshSerializer,
        responses={204: None, 400: _ERRORS[400], 401: _ERRORS[401], 429: _ERRORS[429]},
        auth=[],
    )
    def post(self, request):
        serializer = TokenRefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            tokens.token_revoke(refresh=serializer.validated_data["refresh"])
        except tokens.AuthError as error:
            return self._refused(error)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- organizations and people -----------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary=_("Your organizations")),
    update=extend_schema(summary=_("Change an organization's settings (manage_organization)")),
    partial_update=extend_schema(summary=_("Change some of an organization's settings (manage_organization)")),
)
class OrganizationViewSet(
    TenantScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Organization.objects.select_related("reporting_currency")
    serializer_class = OrganizationSerializer
    permission_classes = [IsMember, PeopleOnlyForWrites]
    write_power = MANAGE_ORGANIZATION
    search_fields = ["name", "slug"]
    ordering_fields = ["name", "slug", "created_at", "id"]
    ordering = ["name", "id"]

    def perform_update(self, serializer):
        serializer.instance = services.organization_update(
            organization=serializer.instance, user=self.request.user, **serializer.validated_data
        )


@extend_schema_view(
    list=extend_schema(summary=_("Members of your organizations")),
    create=extend_schema(
        summary=_("Add an existing user to an organization (manage_members)"),
        request=MembershipCreateSerializer,
        responses={201: MembershipSerializer},
    ),
    update=extend_schema(
        summary=_("Change a member's role (manage_members)"),
        request=MembershipRoleSerializer,
        responses={200: MembershipSerializer},
    ),
    partial_update=extend_schema(
        summary=_("Change a member's role (manage_members)"),
        request=MembershipRoleSerializer,
        responses={200: MembershipSerializer},
    ),
    destroy=extend_schema(summary=_("Remove a member (manage_members)")),
)
class MembershipViewSet(
    TenantScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Membership.objects.select_related("user", "organization")
    serializer_class = MembershipSerializer
    permission_classes = [IsMember, PeopleOnlyForWrites]
    write_power = MANAGE_MEMBERS
    filterset_class = MembershipFilter
    search_fields = ["user__email", "user__first_name", "user__last_name"]
    ordering_fields = ["created_at", "role", "user__email", "organization__name", "id"]
    ordering = ["organization__name", "user__email", "id"]

    def get_serializer_class(self):
        if self.action == "create":
            return MembershipCreateSerializer
        if self.action in ("update", "partial_update"):
            return MembershipRoleSerializer
        return MembershipSerializer

    def _answer(self, membership: Membership, http_status=status.HTTP_200_OK) -> Response:
        membership = self.queryset.get(pk=membership.pk)
        return Response(MembershipSerializer(membership, context=self.get_serializer_context()).data, http_status)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            membership = services.membership_add(
                organization=data["organization"], user=data["email"], role=data["role"], by=request.user
            )
        except DjangoValidationError as error:
            # The service speaks of the user; this endpoint names them by their e-mail address.
            if hasattr(error, "error_dict") and "user" in error.error_dict:
                error.error_dict["email"] = error.error_dict.pop("user")
            raise
        return self._answer(membership, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        membership = self.get_object()
        serializer = self.get_serializer(membership, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        role = serializer.validated_data.get("role", membership.role)
        membership = services.membership_change_role(membership=membership, role=role, by=request.user)
        return self._answer(membership)

    def perform_destroy(self, instance):
        services.membership_remove(membership=instance, by=self.request.user)


class UserViewSet(viewsets.GenericViewSet):
    queryset = User.objects.all()
    serializer_class = MeSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = None
    filter_backends: list = []

    @extend_schema(summary=_("You: your account and your organizations"), responses=MeSerializer)
    @action(detail=False, methods=["get"])
    def me(self, request):
        if tokens.is_api_key_principal(request.user):
            raise exceptions.PermissionDenied(_("An API key is not a person: sign in with an access token."))
        user = User.objects.prefetch_related(
            Prefetch("memberships", queryset=Membership.objects.select_related("organization"))
        ).get(pk=request.user.pk)
        return Response(MeSerializer(user, context=self.get_serializer_context()).data)


# --- reference data and records ---------------------------------------------------------------------------


class CurrencyViewSet(TenantReadOnlyViewSet):
    """Currencies and crypto assets with their precision (global reference data)."""

    queryset = Currency.objects.all()
    serializer_class = CurrencySerializer
    filterset_class = CurrencyFilter
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name"]
    ordering = ["code"]


class AuditLogViewSet(TenantReadOnlyViewSet):
    """Who changed what, in your organizations."""

    queryset = AuditLog.objects.select_related("actor", "api_key", "organization")
    serializer_class = AuditLogSerializer
    filterset_class = AuditLogFilter
    search_fields = ["action", "object_repr", "actor__email", "request_id"]
    ordering_fields = ["created_at", "action", "id"]
    ordering = ["-created_at", "-id"]


@extend_schema_view(
    list=extend_schema(summary=_("API keys of your organizations (never the keys themselves)")),
    create=extend_schema(
        summary=_("Create an API key (manage_api_keys); the answer holds the key, shown this once"),
        request=ApiKeyCreateSerializer,
        responses={201: ApiKeyCreatedSerializer},
    ),
)
class ApiKeyViewSet(
    TenantScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = ApiKey.objects.select_related("organization", "created_by")
    serializer_class = ApiKeySerializer
    permission_classes = [IsMember, PeopleOnlyForWrites]
    write_power = MANAGE_API_KEYS
    filterset_class = ApiKeyFilter
    search_fields = ["name", "prefix"]
    ordering_fields = ["created_at", "name", "last_used_at", "id"]
    ordering = ["-created_at", "-id"]

    def get_serializer_class(self):
        return ApiKeyCreateSerializer if self.action == "create" else ApiKeySerializer

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        api_key, plain = tokens.api_key_create(**serializer.validated_data, by=request.user)
        api_key.plain_key = plain
        response = Response(
            ApiKeyCreatedSerializer(api_key, context=self.get_serializer_context()).data, status.HTTP_201_CREATED
        )
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(summary=_("Revoke an API key at once (manage_api_keys)"), request=None, responses=ApiKeySerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        api_key = tokens.api_key_revoke(api_key=self.get_object(), by=request.user)
        return Response(ApiKeySerializer(api_key, context=self.get_serializer_context()).data)
