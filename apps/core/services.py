"""Use cases of organizations and memberships. Each runs in a transaction and writes its audit record."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from .audit import audit_record
from .models import Membership, Organization, User
from .realtime import notify_membership_changed
from .roles import MANAGE_MEMBERS, MANAGE_ORGANIZATION, Role
from .tenancy import forget_memberships, has_power


def _require(user, power: str, organization: Organization) -> None:
    if user is not None and not has_power(user, power, organization.pk):
        raise PermissionDenied(_("Your role in {organization} does not allow this.").format(organization=organization))


@transaction.atomic
def organization_create(
    *,
    owner: User,
    name: str,
    slug: str = "",
    time_zone: str = "Europe/Moscow",
    reporting_currency: str = "RUB",
    language: str = "ru",
) -> Organization:
    """Create an organization with ``owner`` as its first member (role owner)."""
    organization = Organization(
        name=name.strip(),
        slug=slug or slugify(name)[:64],
        time_zone=time_zone,
        reporting_currency_id=reporting_currency,
        language=language,
    )
    organization.full_clean()
    organization.save()
    Membership.objects.create(user=owner, organization=organization, role=Role.OWNER)
    forget_memberships(owner)
    audit_record(action="organization.create", actor=owner, organization=organization, obj=organization)
    return organization


@transaction.atomic
def organization_update(*, organization: Organization, user, **changes) -> Organization:
    _require(user, MANAGE_ORGANIZATION, organization)
    before = {field: getattr(organization, field) for field in changes}
    for field, value in changes.items():
        setattr(organization, field, value)
    organization.full_clean()
    organization.save()
    diff = {f: [str(before[f]), str(v)] for f, v in changes.items() if before[f] != v}
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
