"""The labels of billing's payment audit actions (``apps.core.mechanisms.audit``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from apps.core.mechanisms.audit import register_action_labels

LABELS = {
    "billing.gateway.platform_sync": _("Platform payment gateway updated from the environment"),
    "billing.payment.start": _("Payment started"),
    "billing.payment.provider_refused": _("Payment refused by the provider"),
    "billing.payment.capture": _("Payment capture asked"),
    "billing.payment.cancel": _("Payment cancellation asked"),
    "billing.payment.state": _("Payment status changed by the provider"),
    "billing.payment.amount_mismatch": _("Payment amount differs from the one asked"),
    "billing.refund.create": _("Refund asked"),
    "billing.refund.state": _("Refund status changed by the provider"),
}

register_action_labels(LABELS)
