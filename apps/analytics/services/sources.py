"""Traffic sources: found by name, or created the first time an operator imports into one."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from apps.core.mechanisms.audit import audit_record

from ..models import TrafficSource


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
