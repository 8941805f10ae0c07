"""Subscriptions the provider renews itself (Stripe): the changes a person makes here are made on the provider's
subscription first, so that it charges what Kontora's plan says.

Stripe is the source of the money for such a subscription: it invoices every period and every prorated plan
change, and its webhooks (``invoice.paid``, ``customer.subscription.updated`` / ``deleted``) bring each outcome
back (``apps.billing.webhooks.stripe``). So a cancel, a resume or a plan change asked here goes to Stripe before
anything changes here; when Stripe refuses or cannot be reached, nothing changes here either, and the person is
told so. A change Stripe made but we did not (a worker died in between) comes back by webhook: cancelling and
resuming are mirrored from ``customer.subscription.updated``.

- cancel at the period end / resume: ``cancel_at_period_end`` on Stripe's subscription;
- upgrade: Stripe's subscription moves to the new price with the difference invoiced at once
  (``always_invoice``, as a pending update: a declined charge changes nothing); its ``invoice.paid`` applies the
  upgrade (limits follow verified payments);
- downgrade to a cheaper paid plan: the new price from the next invoice (no proration); to the free plan: Stripe
  cancels at the period end.

Idempotency keys name the subscription's state they change (its ``updated_at``; for an upgrade, the price and
the amount due in the period), so a retry of one change reaches the same Stripe request, while cancelling again
after a resume is a new one.
"""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from apps.billing.models import PlanPrice, Subscription, SubscriptionProvider
from apps.billing.providers import ProviderError, client_for
from apps.billing.providers.base import RecurringPrice

from .gateways import GatewayNotConfigured, platform_gateway

logger = logging.getLogger(__name__)


def renewed_by_provider(subscription: Subscription) -> bool:
    """True for a subscription whose renewals the provider charges itself (Stripe's, once it exists there)."""
    return subscription.provider == SubscriptionProvider.STRIPE and bool(subscription.provider_subscription_id)


def _client():
    from apps.billing.providers.stripe_client import StripeProvider

    client = client_for(platform_gateway(SubscriptionProvider.STRIPE))
    assert isinstance(client, StripeProvider)
    return client


def _key(subscription: Subscription, action: str, *parts) -> str:
    stamp = subscription.updated_at.isoformat() if subscription.updated_at else ""
    return ":".join(["kontora-sub", str(subscription.pk), action, stamp, *(str(part) for part in parts)])


def _call(subscription: Subscription, what, **arguments) -> None:
    try:
        what(subscription.provider_subscription_id, **arguments)
    except (ProviderError, GatewayNotConfigured) as error:
        logger.warning("billing: Stripe subscription %s not changed: %s", subscription.provider_subscription_id, error)
        raise ValidationError(
            _("Stripe could not change the subscription ({reason}); nothing has changed. Please try again.").format(
                reason=error
            )
        ) from error


def provider_cancel_at_period_end(subscription: Subscription, value: bool) -> None:
    """Schedule (``True``) or withdraw (``False``) the end of Stripe's subscription at its period end."""
    if renewed_by_provider(subscription):
        action = "cancel" if value else "resume"
        _call(subscription, _client().subscription_update, key=_key(subscription, action), cancel_at_period_end=value)


def provider_cancel_now(subscription: Subscription) -> None:
    """End Stripe's subscription at once."""
    if renewed_by_provider(subscription):
        _call(subscription, _client().subscription_cancel_now, key=_key(subscription, "end"))


def provider_change_price(subscription: Subscription, price: PlanPrice, *, invoice_now: bool, due=None) -> None:
    """Move Stripe's subscription to ``price``: invoiced and charged at once for the rest of the period
    (``invoice_now``, an upgrade) or from the next period (a downgrade, or undoing a scheduled one)."""
    if not renewed_by_provider(subscription):
        return
    from apps.billing.providers.stripe_client import PRORATE_NONE, PRORATE_NOW

    from .checkout import plan_line

    recurring = RecurringPrice(
        amount=price.amount, currency=price.currency_id, period=price.period, name=plan_line(price.plan, price.period)
    )
    _call(
        subscription,
        _client().subscription_update,
        key=(
            f"kontora-sub:{subscription.pk}:upgrade:{price.pk}:{due}:{subscription.current_period_end.isoformat()}"
            if invoice_now and subscription.current_period_end
            else _key(subscription, "price", price.pk)
        ),
        price=recurring,
        proration=PRORATE_NOW if invoice_now else PRORATE_NONE,
    )
