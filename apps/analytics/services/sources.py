"""Traffic sources and the reference data around them (affiliate programs, offers, campaigns): found by name
or created the first time an operator imports into one; created, changed and deleted by people through
:func:`reference_save` and :func:`reference_delete`, checked and audited."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.accounts.roles import write_power
from apps.core.accounts.tenancy import has_power
from apps.core.mechanisms.audit import audit_changes, audit_record, audit_values

from ..models import AffiliateProgram, Campaign, Offer, TrafficSource

# The audit's name of each kind of reference row ("analytics.campaign.update").
REFERENCE_MODELS = {TrafficSource: "source", AffiliateProgram: "program", Offer: "offer", Campaign: "campaign"}

# What files match a campaign by: fixed once the campaign exists, as a change would part it from its facts.
CAMPAIGN_MATCHED_BY = ("source", "external_id", "match_name")
MATCHED_BY_IS_FIXED = gettext_lazy("Files match the campaign by it: it cannot be changed once the campaign exists.")


def traffic_source_get_or_create(
    *, organization, name: str, kind: str = TrafficSource.Kind.AD_NETWORK, user=None
) -> tuple[TrafficSource, bool]:
    """The organization's traffic source called ``name`` (exactly), created with ``kind`` when there is none.
    Returns ``(source, created)``."""
    organization_id = getattr(organization, "pk", organization)
    existing = TrafficSource.objects.filter(organization_id=organization_id, name=name).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            source = TrafficSource.objects.create(organization_id=organization_id, name=name, kind=kind)
            audit_record(
                action="analytics.source.create",
                actor=user,
                organization=organization_id,
                obj=source,
                changes={"name": name, "kind": kind},
            )
    except IntegrityError:  # created at the same moment by another import
        return TrafficSource.objects.get(organization_id=organization_id, name=name), False
    return source, True


def _reference_name(instance) -> str:
    name = REFERENCE_MODELS.get(type(instance))
    if name is None:
        raise TypeError(f"Not traffic reference data: {type(instance).__name__}")
    return name


def _require_write(user, organization_id) -> None:
    if user is not None and not has_power(user, write_power("analytics"), organization_id):
        raise PermissionDenied(_("Your role does not allow changing traffic data in this organization."))


def reference_save(*, instance, user):
    """Create or change a traffic source, affiliate program, offer or campaign. A row stays in its organization,
    and what it points at (a campaign's offer, an offer's program) is of the same organization. Audited with
    the fields that changed."""
    name = _reference_name(instance)
    _require_write(user, instance.organization_id)
    creating = instance.pk is None
    before: dict[str, str] = {}
    if not creating:
        original = type(instance).objects.get(pk=instance.pk)
        if original.organization_id != instance.organization_id:
            raise ValidationError({"organization": _("A record cannot move to another organization.")})
        if isinstance(instance, Campaign):
            attributes = {name: Campaign._meta.get_field(name).attname for name in CAMPAIGN_MATCHED_BY}
            moved = [name for name, key in attributes.items() if getattr(original, key) != getattr(instance, key)]
            if moved:
                raise ValidationError(dict.fromkeys(moved, MATCHED_BY_IS_FIXED))
        before = audit_values(original)
    for field_name in ("program", "offer", "source"):
        related = getattr(instance, field_name, None) if hasattr(type(instance), field_name) else None
        if related is not None and related.organization_id != instance.organization_id:
            raise ValidationError({field_name: _("It belongs to another organization.")})
    instance.full_clean()
    with transaction.atomic():
        try:
            with transaction.atomic():
                instance.save()
        except IntegrityError as error:  # the same name or id saved by someone else since full_clean() looked
            raise ValidationError(_("A record with these values was saved meanwhile; reload and try again.")) from error
        after = audit_values(instance)
        audit_record(
            action=f"analytics.{name}.{'create' if creating else 'update'}",
            actor=user,
            organization=instance.organization_id,
            obj=instance,
            changes=audit_changes(before, after),
        )
    return instance


def reference_delete(*, instance, user) -> None:
    """Delete a traffic source, program, offer or campaign that nothing refers to (facts, imports, payouts and
    campaigns keep theirs); refused, naming it, otherwise."""
    name = _reference_name(instance)
    _require_write(user, instance.organization_id)
    with transaction.atomic():
        audit_record(action=f"analytics.{name}.delete", actor=user, organization=instance.organization_id, obj=instance)
        try:
            with transaction.atomic():
                instance.delete()
        except (ProtectedError, IntegrityError) as error:
            raise ValidationError(
                _("“{name}” is still referred to by imported data, payouts or campaigns; it cannot be deleted.").format(
                    name=instance
                ),
                code="in_use",
            ) from error
