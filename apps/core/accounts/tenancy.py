"""Tenancy: the one mechanism that scopes every queryset to the organizations of the requesting user.

Every domain row belongs to one organization. A model says how to reach it with ``tenant_path`` (a lookup
ending at the organization, ``"organization"`` for rows that hold it directly, ``"invoice__organization"``
for a child row); :class:`TenantModel` does that for the common case. :func:`scope` narrows any queryset of
such a model to what a user may see; the API base viewset, the web views, the admin (changelists, foreign-key
choices, autocompletes, list filters) and the realtime stream all go through it, so a row of another
organization is simply not found (404), never forbidden (403).

The principal may be a user or an API key (see ``apps.core.api.authentication``): anything with an
``organization_ids()`` method, or a Django user whose memberships define it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.core.accounts.roles import role_grants

if TYPE_CHECKING:
    from apps.core.models import Organization

_CACHE_ATTR = "_kontora_memberships"


def memberships(user) -> dict[int, str]:
    """``{organization_id: role}`` for the user, cached on the user object for the request."""
    if user is None or not getattr(user, "is_authenticated", False):
        return {}
    if hasattr(user, "tenant_memberships"):  # an API key principal
        return user.tenant_memberships()
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        from apps.core.models import Membership

        cached = dict(Membership.objects.filter(user_id=user.pk).values_list("organization_id", "role"))
        setattr(user, _CACHE_ATTR, cached)
    return cached


def forget_memberships(user) -> None:
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def sees_everything(user) -> bool:
    return bool(getattr(user, "is_superuser", False) and getattr(user, "is_active", False))


def organization_ids(user) -> set[int] | None:
    """The organizations the user can see; ``None`` means all of them (an active superuser)."""
    if sees_everything(user):
        return None
    return set(memberships(user))


def has_power(user, power: str, organization_id: int | None = None) -> bool:
    """Whether the user holds ``power`` in the organization, or in any of theirs when it is ``None``."""
    if sees_everything(user):
        return True
    roles = memberships(user)
    if organization_id is not None:
        role = roles.get(organization_id)
        return role is not None and role_grants(role, power)
    return any(role_grants(role, power) for role in roles.values())


def organizations_with_power(user, power: str) -> set[int] | None:
    if sees_everything(user):
        return None
    return {org_id for org_id, role in memberships(user).items() if role_grants(role, power)}


def tenant_path(model) -> str | None:
    """The lookup from ``model`` to its organization: ``""`` for Organization itself, ``None`` if global."""
    return getattr(model, "tenant_path", None)


def is_tenant_model(model) -> bool:
    return tenant_path(model) is not None


def scope(queryset: models.QuerySet, user) -> models.QuerySet:
    """Narrow ``queryset`` to the rows the user may see. Global models (no ``tenant_path``) pass through."""
    path = tenant_path(queryset.model)
    if path is None:
        return queryset
    org_ids = organization_ids(user)
    if org_ids is None:
        return queryset
    if path == "":
        return queryset.filter(pk__in=org_ids)
    if path == "@users":  # users are visible to the members of organizations they share
        return queryset.filter(memberships__organization_id__in=org_ids).distinct()
    if getattr(queryset.model, "tenant_shared_when_null", False):  # public rows (no organization) are shared
        return queryset.filter(Q(**{f"{path}_id__in": org_ids}) | Q(**{f"{path}__isnull": True}))
    return queryset.filter(**{f"{path}_id__in": org_ids})


def organization_id_of(obj) -> int | None:
    """The organization id of a tenant row (following ``tenant_path``), or ``None`` for global rows."""
    path = tenant_path(type(obj))
    if path is None or path == "@users":
        return None
    if path == "":
        return obj.pk
    target = obj
    parts = path.split("__")
    for part in parts[:-1]:
        target = getattr(target, part, None)
        if target is None:
            return None
    return getattr(target, f"{parts[-1]}_id", None)


class TenantQuerySet(models.QuerySet):
    def for_user(self, user) -> TenantQuerySet:
        return scope(self, user)

    def for_organization(self, organization: Organization | int) -> TenantQuerySet:
        org_id = getattr(organization, "pk", organization)
        path = tenant_path(self.model)
        return self.filter(**{f"{path}_id" if path else "pk": org_id})


class TenantModel(models.Model):
    """A row that belongs to one organization. Its foreign keys to other tenant rows must stay inside it."""

    organization = models.ForeignKey(
        "core.Organization",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("organization"),
    )

    tenant_path = "organization"
    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True

    def clean(self) -> None:
        super().clean()
        check_same_organization(self)


def check_same_organization(obj) -> None:
    """Refuse a foreign key that points into another organization (a bookkeeper of A picking B's account)."""
    own = organization_id_of(obj)
    if own is None:
        return
    errors = {}
    for field in obj._meta.concrete_fields:
        if not field.is_relation or field.name == "organization" or not is_tenant_model(field.related_model):
            continue
        related = getattr(obj, field.name, None)
        if related is None:
            continue
        other = organization_id_of(related)
        if other is not None and other != own:
            errors[field.name] = ValidationError(
                _("%(object)s belongs to another organization."), code="foreign_tenant", params={"object": related}
            )
    if errors:
        raise ValidationError(errors)
