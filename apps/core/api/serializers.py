"""Base serializers: every related field only accepts rows of the user's organizations."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.accounts.roles import MANAGE_API_KEYS, MANAGE_MEMBERS, Role, write_power
from apps.core.accounts.tenancy import is_tenant_model, memberships, organizations_with_power, scope
from apps.core.api import fields
from apps.core.api.fields import DateTimeField, IntegerField
from apps.core.models import ApiKey, AuditLog, Currency, Membership, Organization, User
from apps.core.validation.limits import TEXT_MAX_LENGTH


def _scope_field(field, user, power: str) -> None:
    queryset = getattr(field, "queryset", None)
    if queryset is None:
        return
    if queryset.model is Organization:
        writable = organizations_with_power(user, power)
        field.queryset = queryset if writable is None else queryset.filter(pk__in=writable)
    elif is_tenant_model(queryset.model):
        field.queryset = scope(queryset, user)


class ModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose fields follow Kontora's input rules: dates in the accepted range, decimals in
    their one documented form, unbounded text fields capped at ``TEXT_MAX_LENGTH``."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateField: fields.DateField,
        models.DateTimeField: fields.DateTimeField,
        models.DecimalField: fields.StrictDecimalField,
    }

    def build_standard_field(self, field_name, model_field):
        field_class, field_kwargs = super().build_standard_field(field_name, model_field)
        if isinstance(model_field, models.TextField) and "max_length" not in field_kwargs and model_field.editable:
            field_kwargs["max_length"] = TEXT_MAX_LENGTH
        return field_class, field_kwargs


class TenantModelSerializer(ModelSerializer):
    """A ModelSerializer whose related fields (and many-related fields) are narrowed to the user's
    organizations, so a foreign id answers "does not exist" exactly as a missing one does. The
    ``organization`` field accepts only organizations where the user may write this app's data (or, when
    ``Meta.organization_power`` is set, where the user holds that power), and a record never moves to another
    organization once it exists."""

    organization = serializers.SlugRelatedField(slug_field="slug", queryset=Organization.objects.all())

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is None:
            return fields
        power = getattr(self.Meta, "organization_power", None) or write_power(self.Meta.model._meta.app_label)
        for field in fields.values():
            _scope_field(getattr(field, "child_relation", field), request.user, power)
        return fields

    def validate_organization(self, organization):
        if self.instance is not None and organization.pk != self.instance.organization_id:
            raise serializers.ValidationError(_("A record cannot move to another organization."))
        return organization

    def validate(self, attrs):
        attrs = super().validate(attrs)
        from apps.core.accounts.tenancy import check_same_organization

        instance = self.Meta.model(**{k: v for k, v in attrs.items() if not isinstance(v, list)})
        if self.instance is not None:
            for field in self.Meta.model._meta.concrete_fields:
                if field.name not in attrs and field.attname != "id":
                    setattr(instance, field.attname, getattr(self.instance, field.attname))
        from django.core.exceptions import ValidationError as DjangoValidationError

        try:
            check_same_organization(instance)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from error
        return attrs


class OrganizationSlugField(serializers.SlugRelatedField):
    """An organization named by its slug, accepting only those where the requesting user holds ``power``:
    any other slug answers "does not exist", exactly as a missing one does."""

    def __init__(self, *, power: str, **kwargs):
        self.power = power
        kwargs.setdefault("slug_field", "slug")
        kwargs.setdefault("queryset", Organization.objects.all())
        super().__init__(**kwargs)

    def get_queryset(self):
        queryset = super().get_queryset()
        request = self.context.get("request")
        if request is None:
            return queryset.none()
        allowed = organizations_with_power(request.user, self.power)
        return queryset if allowed is None else queryset.filter(pk__in=allowed)


# --- core resources ---------------------------------------------------------------------------------------


class UserBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "first_name", "last_name"]
        read_only_fields = fields


class OrganizationBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "slug", "name"]
        read_only_fields = fields


class OrganizationSerializer(serializers.ModelSerializer):
    reporting_currency = serializers.PrimaryKeyRelatedField(queryset=Currency.objects.filter(is_active=True))
    role = serializers.SerializerMethodField(help_text=_("Your role in this organization (null for a superuser)."))

    class Meta:
        model = Organization
        fields = [
            "id",
            "name",
            "slug",
            "time_zone",
            "reporting_currency",
            "language",
            "require_mfa",
            "logo",
            "created_at",
            "role",
        ]
        read_only_fields = ["id", "slug", "logo", "created_at"]

    @extend_schema_field(serializers.ChoiceField(choices=Role.choices, allow_null=True))
    def get_role(self, obj: Organization) -> str | None:
        request = self.context.get("request")
        return memberships(request.user).get(obj.pk) if request is not None else None


class MembershipSerializer(serializers.ModelSerializer):
    organization = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    user = UserBriefSerializer(read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "organization", "user", "role", "created_at"]
        read_only_fields = fields


class MembershipCreateSerializer(serializers.Serializer):
    organization = OrganizationSlugField(power=MANAGE_MEMBERS, help_text=_("Slug of the organization."))
    email = serializers.EmailField(help_text=_("E-mail address of an existing user."))
    role = serializers.ChoiceField(choices=Role.choices, default=Role.VIEWER)

    def validate_email(self, value: str) -> User:
        user = User.objects.filter(email__iexact=value.strip()).first()
        if user is None:
            raise serializers.ValidationError(
                _("No user has the e-mail address {email}; they must sign up first.").format(email=value)
            )
        return user


class MembershipRoleSerializer(serializers.ModelSerializer):
    class Meta:
        model = Membership
        fields = ["role"]


class MyMembershipSerializer(serializers.ModelSerializer):
    organization = OrganizationBriefSerializer(read_only=True)

    class Meta:
        model = Membership
        fields = ["organization", "role", "created_at"]
        read_only_fields = fields


class MeSerializer(serializers.ModelSerializer):
    memberships = MyMembershipSerializer(many=True, read_only=True)
    language = serializers.ChoiceField(
        choices=User._meta.get_field("language").choices,
        allow_blank=True,
        read_only=True,
        help_text=_("The user's language; empty when none is chosen (the browser's is used)."),
    )

    class Meta:
        model = User
        fields = ["id", "email", "first_name", "last_name", "language", "is_superuser", "memberships"]
        read_only_fields = fields


class CurrencySerializer(serializers.ModelSerializer):
    class Meta:
        model = Currency
        fields = ["code", "name", "precision", "is_crypto", "is_active"]
        read_only_fields = fields


class AuditLogSerializer(serializers.ModelSerializer):
    organization = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    actor = serializers.SlugRelatedField(slug_field="email", read_only=True, allow_null=True)
    api_key = serializers.SlugRelatedField(
        slug_field="name",
        read_only=True,
        allow_null=True,
        help_text=_("The API key the change was made with, when a script made it (then actor is empty)."),
    )
    changes = serializers.DictField(read_only=True, help_text=_("What changed: field → [before, after] or value."))
    action_label = serializers.CharField(
        read_only=True, help_text=_("The action in words, in the language of the request (Accept-Language).")
    )

    class Meta:
        model = AuditLog
        fields = [
            "id",
            "created_at",
            "organization",
            "actor",
            "api_key",
            "action",
            "action_label",
            "object_type",
            "object_id",
            "object_repr",
            "changes",
            "request_id",
        ]
        read_only_fields = fields


class ApiKeySerializer(serializers.ModelSerializer):
    organization = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="email", read_only=True, allow_null=True)
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=ApiKey.Scope.choices), read_only=True)
    is_active = serializers.SerializerMethodField(help_text=_("Neither revoked nor expired."))

    class Meta:
        model = ApiKey
        fields = [
            "id",
            "organization",
            "name",
            "prefix",
            "scopes",
            "role",
            "created_by",
            "created_at",
            "expires_at",
            "last_used_at",
            "revoked_at",
            "is_active",
        ]
        read_only_fields = fields

    def get_is_active(self, obj: ApiKey) -> bool:
        return obj.revoked_at is None and (obj.expires_at is None or obj.expires_at > timezone.now())


class ApiKeyCreateSerializer(serializers.Serializer):
    organization = OrganizationSlugField(power=MANAGE_API_KEYS, help_text=_("Slug of the organization."))
    name = serializers.CharField(max_length=100)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=ApiKey.Scope.choices),
        default=lambda: [ApiKey.Scope.READ],
        help_text=_("read, or read and write."),
    )
    role = serializers.ChoiceField(
        choices=Role.choices,
        default=Role.VIEWER,
        help_text=_("With the write scope, the key may change what a member of this role may change."),
    )
    expires_at = DateTimeField(required=False, allow_null=True, default=None)


class ApiKeyCreatedSerializer(ApiKeySerializer):
    key = serializers.CharField(
        source="plain_key", read_only=True, help_text=_("The key itself. It is shown this once: store it now.")
    )

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]
        read_only_fields = fields


# --- tokens -----------------------------------------------------------------------------------------------


class TokenObtainSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(write_only=True, trim_whitespace=False, style={"input_type": "password"})
    otp = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=_("The code from the authenticator app, or a recovery code, when two-factor authentication is on."),
    )


class TokenRefreshSerializer(serializers.Serializer):
    refresh = serializers.CharField(trim_whitespace=True)


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField(help_text=_("Send as “Authorization: Bearer <access>”."))
    refresh = serializers.CharField(help_text=_("Single use: exchange it for a new pair before it expires."))
    access_expires_in = IntegerField(help_text=_("Seconds until the access token expires."))
    token_type = serializers.CharField()
