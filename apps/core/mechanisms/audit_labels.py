"""The translatable labels of audit action codes (``apps.core.mechanisms.audit``): a registry every app fills, low
enough that the AuditLog model can name its action in words."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ACTION_LABELS: dict[str, Any] = {}


def register_action_labels(labels: Mapping[str, Any]) -> None:
    """Give audit action codes their translatable labels (``{"ledger.invoice.issue": _("Invoice issued")}``)."""
    ACTION_LABELS.update(labels)


def action_label(code: str) -> str:
    """The label of an audit action code in the active language; the code itself when it has none."""
    label = ACTION_LABELS.get(code)
    return str(label) if label is not None else code
