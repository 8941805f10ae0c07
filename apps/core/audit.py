"""The audit trail: every service that changes state records who did what, in the same transaction."""

from __future__ import annotations

from typing import Any

from .models import ApiKey, AuditLog
from .request_id import current_request_id


def audit_record(
    *,
    action: str,
    actor=None,
    organization=None,
    obj: Any = None,
    changes: dict | None = None,
) -> AuditLog:
    """Write the audit record of a change made by ``actor``: a user, or the principal of a request that an
    API key authenticated (recorded as that key, since no person is behind it)."""
    actor_id = getattr(actor, "pk", None) if getattr(actor, "is_authenticated", False) else None
    if actor_id is not None and not isinstance(actor_id, int):
        actor_id = None
    api_key = getattr(actor, "api_key", None)
    return AuditLog.objects.create(
        action=action,
        actor_id=actor_id,
        api_key_id=api_key.pk if isinstance(api_key, ApiKey) else None,
        organization_id=getattr(organization, "pk", organization),
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        changes=changes or {},
        request_id=current_request_id() or "",
    )
