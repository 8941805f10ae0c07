"""Use cases of organizations and memberships. Each runs in a transaction and writes its audit record."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from apps.core.accounts.roles import MANAGE_MEMBERS, MANAGE_ORGANIZATION, Role
from apps.core.accounts.tenancy import forget_memberships, has_power
from apps.core.language.text import unique_slug
from apps.core.mechanisms.audit import audit_record
from apps.core.models import Membership, Organization, User
from apps.core.realtime import notify_membership_changed


def _require(user, power: str, organization: Organization) -> None:
    if user is not None and not has_power(user, power, organization.pk):
        raise PermissionDenied(_("Your role in {organization} does not allow this.").format(organization=organization))


ORGANIZATION_FIELDS = ("name", "slug", "time_zone", "reporting_currency", "language", "require_mfa", "logo")


def _organization_fields(organization: Organization) -> dict[str, str]:
    """The audited fields of an organization as text (a file field as its stored name)."""
    values = {}
    for name in ORGANIZATION_FIELDS:
        if name == "logo":
            values[name] = organization.logo.name or ""
        elif name == "reporting_currency":
            values[name] = str(organization.reporting_currency_id)
        else:
            values[name] = str(getattr(organization, name))
    return values


@transaction.atomic
def organization_create(
    *,
    owner: User | None,
    name: str,
    slug: str = "",
    time_zone: str = "Europe/Moscow",
    reporting_currency: str = "RUB",
    language: str = "ru",
    by=None,
    **extra,
) -> Organization:
    """Create an organization with ``owner`` as its first member (role owner); ``by`` is who did it when it
    is not the owner (a superuser in the admin, who may add the members afterwards).

    Without ``slug`` one is made from the name, transliterated to Latin letters ("ИП Петров" → "ip-petrov")
    and numbered when taken ("ip-petrov-2")."""
    name = name.strip()
    organization = Organization(
        name=name,
        slug=slug or unique_slug(Organization, name, fallback="organization"),
        time_zone=time_zone,
        reporting_currency_id=reporting_currency,
        language=language,
        **extra,
    )
    organization.full_clean()
    organization.save()
    if owner is not None:
        Membership.objects.create(user=owner, organization=organization, role=Role.OWNER)
        forget_memberships(owner)
    after = _organization_fields(organization)
    audit_record(
        action="organization.create",
        actor=by or owner,
        organization=organization,
        obj=organization,
        changes={field: [None, value] for field, value in after.items()},
    )
    return organization


@transaction.atomic
def organization_update(*, organization: Organization, user, **changes) -> Organization:
    """Change an organization. ``organization`` may be an instance a form already changed in memory: the
    change set is read against the stored row, so the audit record holds the real before and after."""
    _require(user, MANAGE_ORGANIZATION, organization)
    stored = Organization.objects.select_for_update().get(pk=organization.pk)
    before = _organization_fields(stored)
    for field, value in changes.items():
        setattr(organization, field, value)
    organization.full_clean()
    organization.save()
    after = _organization_fields(organization)
    diff = {field: [before[field], after[field]] for field in after if before[field] != after[field]}
    audit_record(action="organization.update", actor=user, organization=organization, obj=organization, changes=diff)
    return organization


@transaction.atomic
def membership_add(*, organization: Organization, user: User, role: str, by=None) -> Membership:
    _require(by, MANAGE_MEMBERS, organization)
    if role == Role.OWNER and by is not None and not has_power(by, "delete_organization", organization.pk):
        raise PermissionDenied(_("Only an owner can make another owner."))
    if Membership.objects.filter(organization=organization, user=user).exists():
        raise ValidationError(
            {"user": _("{user} is already a member of {organization}.").format(user=user, organization=organization)}
        )
    membership = Membership.objects.create(organization=organization, user=user, role=role)
    forget_memberships(user)
    notify_membership_changed(user)
    audit_record(action="membership.add", actor=by, organization=organization, obj=membership, changes={"role": role})
    return membership


def _ensure_an_owner_remains(membership: Membership) -> None:
    others = Membership.objects.filter(organization_id=membership.organization_id, role=Role.OWNER).exclude(
        pk=membership.pk
    )
    if membership.role == Role.OWNER and not others.exists():
        raise ValidationError(
            _("{organization} must keep at least one owner.").format(organization=membership.organization)
        )


@transaction.atomic
def membership_change_role(*, membership: Membership, role: str, by=None) -> Membership:
    membership = Membership.objects.select_for_update().select_related("organization").get(pk=membership.pk)
    _require(by, MANAGE_MEMBERS, membership.organization)
    if (
        Role.OWNER in (role, membership.role)
        and by is not None
        and not has_power(by, "delete_organization", membership.organization_id)
    ):
        raise PermissionDenied(_("Only an owner can grant or take away the owner role."))
    if role != Role.OWNER:
        _ensure_an_owner_remains(membership)
    old = membership.role
    membership.role = role
    membership.full_clean()
    membership.save(update_fields=["role"])
    notify_membership_changed(membership.user)
    audit_record(
        action="membership.change_role",
        actor=by,
        organization=membership.organization_id,
        obj=membership,
        changes={"role": [old, role]},
    )
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, by=None) -> None:
    membership = Membership.objects.select_for_update().select_related("organization").get(pk=membership.pk)
    _require(by, MANAGE_MEMBERS, membership.organization)
    _ensure_an_owner_remains(membership)
    audit_record(action="membership.remove", actor=by, organization=membership.organization_id, obj=membership)
    membership.delete()
    notify_membership_changed(membership.user)
