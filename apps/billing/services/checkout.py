"""Checkout: an organization owner chooses a plan on the pricing page and pays for it at the platform's
payment provider; when that payment succeeds the subscription becomes active (or the upgrade applies).

Subscription payments are the platform's income: they go through the platform's gateway
(:func:`~apps.billing.services.gateways.platform_gateway`), so the Payment row belongs to the platform's
organization while its purpose (``billing.subscription`` and the subscription's id) names the customer's
subscription. Pages find "the organization's payments" by that purpose.

Test mode: with ``KONTORA_BILLING_STUB_CHECKOUT`` on (allowed only while ``KONTORA_PAYMENTS_TEST_MODE`` is on,
never in production settings) and no platform gateway configured, the checkout goes to a clearly labelled
stub page of our own instead of a provider: the payment is stored pending under a test-mode gateway of the
platform organization and no provider is called; "paying" on that page applies a succeeded state through
:func:`payment_apply_state`, exactly as a provider's webhook would.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.mechanisms.audit import audit_record
from apps.core.mechanisms.idempotency import product_key
from apps.core.models import Organization
from apps.core.realtime import publish

from ..models import (
    BillingPeriod,
    GatewayAccount,
    GatewayMode,
    Payment,
    PaymentStatus,
    Plan,
    Provider,
    Subscription,
    SubscriptionStatus,
)
from ..providers import PaymentState, derived_key
from .gateways import GatewayNotConfigured, platform_gateway
from .payments import payment_apply_state, payment_start
from .provider_subscriptions import renewed_by_provider
from .subscriptions import (
    subscription_activate,
    subscription_change_plan,
    subscription_start,
    subscription_upgrade_paid,
)

logger = logging.getLogger(__name__)

SUBSCRIPTION_PURPOSE = "billing.subscription"
LIVE_EVENT = "billing.payment_status"
# The keys of checkout payments (a renewal's payment has its own, and its own activation in renewals.py).
CHECKOUT_KEY_PREFIXES = ("billing-checkout:", "billing-upgrade:")
# Stripe's subscription (and so each of its invoices) names ours in this metadata key.
SUBSCRIPTION_METADATA = "kontora_subscription"
STUB_GATEWAY_NAME = "Stub checkout (test mode)"


@dataclass
class Checkout:
    """What :func:`checkout_start` did: ``kind`` is ``payment`` (send the customer to ``payment``'s
    confirmation URL, or to the stub page when ``stub``), ``trial`` (a trial started; nothing to pay),
    ``downgrade`` (scheduled for the period end) or ``upgrade`` (applied at once, nothing due)."""

    kind: str
    subscription: Subscription
    payment: Payment | None = None
    stub: bool = False


def stub_checkout_enabled() -> bool:
    """The stub checkout page exists only when both test-mode switches are on."""
    return bool(getattr(settings, "KONTORA_BILLING_STUB_CHECKOUT", False)) and bool(
        getattr(settings, "KONTORA_PAYMENTS_TEST_MODE", False)
    )


def provider_for(currency: str) -> str:
    """The platform's provider for a currency: roubles through YooKassa (54-FZ receipts), the rest through
    Stripe; ``KONTORA_BILLING_PROVIDER_RUB`` / ``KONTORA_BILLING_PROVIDER_OTHER`` override."""
    if currency == "RUB":
        return getattr(settings, "KONTORA_BILLING_PROVIDER_RUB", "") or Provider.YOOKASSA
    return getattr(settings, "KONTORA_BILLING_PROVIDER_OTHER", "") or Provider.STRIPE


def add_period(start: dt.datetime, period: str) -> dt.datetime:
    """``start`` plus one billing period (a month keeps the day, or the month's last day: 31 Jan → 28 Feb)."""
    months = 12 if period == BillingPeriod.YEAR else 1
    month = start.month - 1 + months
    year, month = start.year + month // 12, month % 12 + 1
    return start.replace(year=year, month=month, day=min(start.day, calendar.monthrange(year, month)[1]))


def plan_line(plan: Plan, period: str) -> str:
    label = BillingPeriod(period).label
    return _("Kontora subscription: plan “{plan}”, one {period}").format(plan=plan.name, period=label)


def receipt_items(description: str, amount: Decimal) -> list[dict]:
    # 54-FZ: one service line; the VAT code is the platform's (KONTORA_BILLING_VAT_CODE, YooKassa's numbering).
    return [
        {
            "description": description[:128],
            "quantity": Decimal(1),
            "amount": amount,
            "vat_code": int(getattr(settings, "KONTORA_BILLING_VAT_CODE", 1)),
            "payment_subject": "service",
            "payment_mode": "full_payment",
        }
    ]


def _stub_gateway() -> GatewayAccount:
    slug = getattr(settings, "KONTORA_PLATFORM_ORGANIZATION", "")
    organization = Organization.objects.filter(slug=slug).first() if slug else None
    if organization is None:
        raise GatewayNotConfigured(
            "KONTORA_PLATFORM_ORGANIZATION must name an existing organization, even for the stub checkout."
        )
    gateway = GatewayAccount.objects.filter(organization=organization, name=STUB_GATEWAY_NAME).first()
    if gateway is None:
        gateway = GatewayAccount.objects.create(
            organization=organization, provider=Provider.YOOKASSA, mode=GatewayMode.TEST, name=STUB_GATEWAY_NAME
        )
    return gateway


def _stub_payment(*, gateway, amount, currency, subscription, description, key, return_url, user) -> Payment:
    """A pending payment of the stub checkout: stored like payment_start stores one, no provider called."""
    stored = str(key)
    payment = Payment.objects.filter(organization_id=gateway.organization_id, idempotency_key=stored).first()
    if payment is not None:
        return payment
    payment = Payment.objects.create(
        organization_id=gateway.organization_id,
        gateway=gateway,
        amount=amount,
        currency_id=currency,
        purpose_type=SUBSCRIPTION_PURPOSE,
        purpose_id=str(subscription.pk),
        description=description[:250],
        idempotency_key=stored,
        provider_key=derived_key(gateway.pk, stored),
        provider_payment_id=f"stub-{uuid.uuid4()}",
        return_url=return_url,
        customer_email=getattr(user, "email", "") or "",
        metadata={"stub": True},
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    audit_record(
        action="billing.payment.start",
        actor=user,
        organization=payment.organization_id,
        obj=payment,
        changes={"amount": str(amount), "currency": currency, "gateway": gateway.pk, "stub": True},
    )
    return payment


def _pay(
    *, subscription: Subscription, amount: Decimal, currency: str, description: str, key, user, return_url, first: bool
):
    """Start the payment of ``amount`` for ``subscription`` at the platform's provider (or the stub). A first
    payment asks YooKassa and T-Bank to save the payment method, which the renewals charge later; at Stripe it
    is a Checkout in subscription mode: Stripe makes the subscription and renews it itself, and its invoices'
    webhooks activate and renew ours (``webhooks/stripe.py``)."""
    try:
        gateway = platform_gateway(provider_for(currency))
    except GatewayNotConfigured:
        if not stub_checkout_enabled():
            raise
        gateway = _stub_gateway()
        with transaction.atomic():
            payment = _stub_payment(
                gateway=gateway,
                amount=amount,
                currency=currency,
                subscription=subscription,
                description=description,
                key=key,
                return_url=return_url,
                user=user,
            )
        return payment, True
    payment = payment_start(
        gateway=gateway,
        amount=amount,
        currency=currency,
        purpose=(SUBSCRIPTION_PURPOSE, subscription.pk),
        description=description,
        idempotency_key=key,
        return_url=return_url,
        customer_email=getattr(user, "email", None) or None,
        receipt_items=receipt_items(description, amount) if gateway.provider != Provider.STRIPE else None,
        user=user,
        save_method_for=f"org-{subscription.organization_id}" if first and gateway.provider != Provider.STRIPE else "",
        recurring=subscription.price.period if first and gateway.provider == Provider.STRIPE else "",
        metadata={SUBSCRIPTION_METADATA: str(subscription.pk)},
    )
    return payment, False


def _attempt(subscription: Subscription) -> int:
    """The number of the subscription's payments that failed or were canceled: part of the next payment's key,
    so that choosing the plan again after a declined payment starts a new one, while a pending one is reused."""
    return Payment.objects.filter(
        purpose_type=SUBSCRIPTION_PURPOSE,
        purpose_id=str(subscription.pk),
        status__in=[PaymentStatus.FAILED, PaymentStatus.CANCELED],
    ).count()


def checkout_start(*, organization, plan: Plan, currency: str, period: str, user, return_url) -> Checkout:
    """Subscribe ``organization`` to ``plan`` (priced in ``currency`` per ``period``), or move its current paid
    subscription to it, and start the payment that is due. ``return_url(payment)`` gives the address the
    provider sends the customer back to.

    A plan with a trial the organization never had starts the trial (no payment). Starting again while a
    subscription to the same plan and price still awaits its first payment reuses it and its payment."""
    current = Subscription.objects.current().filter(organization_id=organization.pk).select_related("plan").first()
    if current is not None and not current.plan.is_free:
        change = subscription_change_plan(subscription=current, plan=plan, user=user)
        if change.kind != "upgrade_pending" or renewed_by_provider(change.subscription):
            # Stripe invoices an upgrade of its subscription itself; its invoice.paid applies it.
            return Checkout(kind=change.kind, subscription=change.subscription)
        subscription = change.subscription
        amount, price = change.amount_due, subscription.pending_price
        key = product_key("billing-upgrade", subscription.pk, price.pk, amount, _attempt(subscription))
        description = plan_line(plan, price.period)
    else:
        subscription = (
            Subscription.objects.filter(
                organization_id=organization.pk,
                plan=plan,
                status=SubscriptionStatus.INCOMPLETE,
                price__currency_id=currency,
                price__period=period,
            )
            .select_related("price")
            .first()
        )
        if subscription is None:
            subscription = subscription_start(
                organization=organization, plan=plan, currency=currency, period=period, user=user
            )
        if subscription.status != SubscriptionStatus.INCOMPLETE:
            return Checkout(
                kind="trial" if subscription.status == SubscriptionStatus.TRIALING else "free",
                subscription=subscription,
            )
        amount = subscription.price.amount
        key = product_key("billing-checkout", subscription.pk, _attempt(subscription))
        description = plan_line(plan, period)
    if amount <= 0:
        raise ValidationError(_("There is nothing to pay for this plan."))
    payment, stub = _pay(
        subscription=subscription,
        amount=amount,
        currency=subscription.price.currency_id if subscription.price_id else currency,
        description=description,
        key=key,
        user=user,
        return_url=return_url,
        first=subscription.status == SubscriptionStatus.INCOMPLETE,
    )
    return Checkout(kind="payment", subscription=subscription, payment=payment, stub=stub)


def stub_payment_complete(*, payment: Payment, succeeded: bool) -> Payment:
    """The stub checkout's "pay" (or "decline") button: apply the outcome as a provider's webhook would."""
    if not payment.metadata.get("stub"):
        raise ValidationError(_("Only a payment of the stub checkout can be completed here."))
    state = PaymentState(
        provider_id=payment.provider_payment_id,
        status=PaymentStatus.SUCCEEDED if succeeded else PaymentStatus.CANCELED,
        amount=payment.amount,
        currency=payment.currency_id,
        failure_reason="" if succeeded else "declined on the stub checkout page",
    )
    payment_apply_state(payment=payment, state=state)
    payment.refresh_from_db()
    return payment


def subscription_of_payment(payment: Payment) -> Subscription | None:
    if payment.purpose_type != SUBSCRIPTION_PURPOSE or not payment.purpose_id.isdigit():
        return None
    return Subscription.objects.filter(pk=int(payment.purpose_id)).select_related("plan", "price").first()


def payment_status_changed(*, payment: Payment) -> None:
    """Called by :func:`payment_apply_state` (in its transaction, the payment locked) when a payment's status
    changed: a checkout payment that succeeded activates its subscription (or applies its upgrade), once,
    keyed by the payment; and the pages waiting for the payment hear its new status (after the commit).

    Only checkout payments (their keys start with ``CHECKOUT_KEY_PREFIXES``) change a subscription here;
    renewals (services/renewals.py) activate their periods themselves, and so do the invoices of a subscription
    Stripe renews (its first payment, ``recurring``, included: the invoice names Stripe's period and
    subscription)."""
    subscription = subscription_of_payment(payment)
    is_checkout = payment.idempotency_key.startswith(CHECKOUT_KEY_PREFIXES) and not payment.metadata.get("recurring")
    if subscription is not None and is_checkout and payment.status == PaymentStatus.SUCCEEDED:
        key = f"billing.payment:{payment.pk}"
        try:
            if subscription.status == SubscriptionStatus.INCOMPLETE:
                start = payment.succeeded_at or timezone.now()
                subscription_activate(
                    subscription=subscription,
                    period_start=start,
                    period_end=add_period(start, subscription.price.period if subscription.price_id else "month"),
                    provider=payment.gateway.provider,
                    payment_method=payment.metadata.get("saved_method", ""),
                    event_key=key,
                )
            elif subscription.pending_plan_id and subscription.pending_amount == payment.amount:
                subscription_upgrade_paid(subscription=subscription, event_key=key)
        except ValidationError:
            # The subscription changed meanwhile (ended, its upgrade withdrawn): the payment itself stands and
            # is booked; the money is the operator's to refund (the sweeper flags payments without a purpose).
            # Raising here would undo the payment's state and make the provider's deliveries fail forever.
            logger.warning(
                "Payment %s succeeded but subscription %s could not be updated from it",
                payment.pk,
                subscription.pk,
                exc_info=True,
            )
    payload = {
        "payment": payment.pk,
        "status": payment.status,
        "status_label": str(PaymentStatus(payment.status).label),
    }
    publish(payment.organization_id, LIVE_EVENT, payload)
    if subscription is not None and subscription.organization_id != payment.organization_id:
        publish(subscription.organization_id, LIVE_EVENT, payload)
