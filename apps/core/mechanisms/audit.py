"""The audit trail: every service that changes state records who did what, in the same transaction.

An action is stored as a stable code (``ledger.invoice.issue``) and shown by its translated label
(«Счёт на оплату выставлен»): each app registers the labels of its codes with :func:`register_action_labels`;
a code without a label is shown as it is.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from apps.core.mechanisms.audit_labels import ACTION_LABELS, action_label, register_action_labels  # noqa: F401  (the module's API)
from apps.core.models import ApiKey, AuditLog
from apps.core.operations.request_id import current_request_id


def audit_values(instance) -> dict[str, str]:
    """A row's editable fields (not its id or organization) as the audit log records them, as text: what a
    service compares before and after a change."""
    return {
        field.name: str(getattr(instance, field.attname))
        for field in instance._meta.concrete_fields
        if field.editable and field.name not in ("id", "organization")
    }


def audit_changes(before: dict, after: dict) -> dict[str, list]:
    """``{field: [before, after]}`` for each field whose value differs (``before`` empty for a new row)."""
    return {name: [before.get(name), value] for name, value in after.items() if before.get(name) != value}


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


register_action_labels(
    {
        "api_key.create": _("API key created"),
        "api_key.revoke": _("API key revoked"),
        "auth.token_obtain": _("Signed in to the API"),
        "auth.token_reuse": _("Refresh token reused: the login was revoked"),
        "auth.token_revoke": _("Signed out of the API"),
        "auth.token_revoke_all": _("Signed out of the API everywhere"),
        "core.fx_rate.create": _("Exchange rate added"),
        "core.fx_rate.update": _("Exchange rate changed"),
        "core.fx_rate.delete": _("Exchange rate deleted"),
        "core.fx_rates.fetch": _("Exchange rates fetched"),
        "membership.add": _("Member added"),
        "membership.change_role": _("Member's role changed"),
        "membership.remove": _("Member removed"),
        "organization.create": _("Organization created"),
        "organization.update": _("Organization changed"),
        "core.webhook_delivery.reprocess": _("Webhook delivery reprocessed"),
    }
)
