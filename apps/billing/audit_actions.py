"""The labels of billing's audit actions (``apps.core.mechanisms.audit``): how the admin and the API name them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from apps.core.mechanisms.audit import register_action_labels

# Subscriptions and plans (apps.billing.services.subscriptions, apps.billing.services.plans).
PLAN_LABELS = {
    "billing.plans.ensure_defaults": _("Default plans created"),
    "billing.plan.save": _("Plan saved"),
    "billing.subscription.start": _("Subscription started"),
    "billing.subscription.activate": _("Subscription activated by a payment"),
    "billing.subscription.upgrade": _("Subscription upgraded"),
    "billing.subscription.upgrade_pending": _("Subscription upgrade awaits payment"),
    "billing.subscription.upgrade_withdrawn": _("Subscription upgrade withdrawn: the provider refused to invoice it"),
    "billing.subscription.downgrade_scheduled": _("Subscription downgrade scheduled for the period end"),
    "billing.subscription.cancel": _("Subscription canceled"),
    "billing.subscription.replace": _("Subscription replaced by a new one"),
    "billing.subscription.cancel_scheduled": _("Subscription set to cancel at the period end"),
    "billing.subscription.resume": _("Subscription resumed"),
    "billing.subscription.renewal_failed": _("Subscription renewal failed"),
    "billing.subscription.grace": _("Subscription in its grace period"),
    "billing.subscription.expire": _("Subscription expired: back to the free plan"),
    "billing.subscription.period_roll": _("Subscription's scheduled change applied at the period end"),
}

# Gateways, payments and refunds (apps.billing.services.gateways, .payments, .refunds).
PAYMENT_LABELS = {
    "billing.gateway.platform_sync": _("Platform payment gateway updated from the environment"),
    "billing.gateway.save": _("Payment gateway saved"),
    "billing.payment.start": _("Payment started"),
    "billing.payment.received": _("Recorded a payment the provider took on its own (a subscription renewal)"),
    "billing.payment.provider_refused": _("Payment refused by the provider"),
    "billing.payment.capture": _("Payment capture asked"),
    "billing.payment.cancel": _("Payment cancellation asked"),
    "billing.payment.state": _("Payment status changed by the provider"),
    "billing.payment.amount_mismatch": _("Payment amount differs from the one asked"),
    "billing.refund.create": _("Refund asked"),
    "billing.refund.state": _("Refund status changed by the provider"),
    "billing.payment.refund_flagged": _("Payment flagged for refund: what it paid for is gone"),
}


def register_billing_action_labels() -> None:
    register_action_labels(PLAN_LABELS)
    register_action_labels(PAYMENT_LABELS)
