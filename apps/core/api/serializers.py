"""Base serializers: every related field only accepts rows of the user's organizations."""

from __future__ import annotations

from rest_framework import serializers

from ..models import Organization
from ..roles import write_power
from ..tenancy import is_tenant_model, organizations_with_power, scope


def _scope_field(field, user, app_label: str) -> None:
    queryset = getattr(field, "queryset", None)
    if queryset is None:
        return
    if queryset.model is Organization:
        writable = organizations_with_power(user, write_power(app_label))
        field.queryset = queryset if writable is None else queryset.filter(pk__in=writable)
    elif is_tenant_model(queryset.model):
        field.queryset = scope(queryset, user)


class TenantModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose related fields (and many-related fields) are narrowed to the user's
    organizations, so a foreign id answers "does not exist" exactly as a missing one does. The
    ``organization`` field accepts only organizations where the user may write this app's data."""

    organization = serializers.SlugRelatedField(slug_field="slug", queryset=Organization.objects.all())

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is None:
            return fields
        app_label = self.Meta.model._meta.app_label
        for field in fields.values():
            _scope_field(getattr(field, "child_relation", field), request.user, app_label)
        return fields

    def validate(self, attrs):
        attrs = super().validate(attrs)
        from ..tenancy import check_same_organization

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
