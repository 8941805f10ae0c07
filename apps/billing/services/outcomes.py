"""What billing tells the rest of Kontora and the customer when a payment, refund or subscription changes: a
domain event (``billing.payment_succeeded``, ``billing.payment_failed``, ``billing.refund_succeeded``,
``billing.subscription_changed``) and, for a payment, an e-mail (a receipt, or a note that it failed).

Called by the services at the point where the state changes, inside their transaction, so the event and the
message exist exactly when the change does. Each is written under a product key of what it announces
(``billing:payment:<id>:succeeded``…): a change applied again (a webhook redelivered, a task re-run) finds
the key and announces nothing more.
"""

from __future__ import annotations

import hashlib

from apps.core.mechanisms.events import emit
from apps.core.mechanisms.idempotency import MAX_STORED_KEY_LENGTH, product_key
from apps.core.mechanisms.notifications import notify

from ..models import Payment, PaymentStatus, Refund, RefundStatus, Subscription

PAYMENT_SUCCEEDED = "billing.payment_succeeded"
PAYMENT_FAILED = "billing.payment_failed"
REFUND_SUCCEEDED = "billing.refund_succeeded"
SUBSCRIPTION_CHANGED = "billing.subscription_changed"

RECEIPT_TEMPLATE = "billing_payment_receipt"
FAILED_TEMPLATE = "billing_payment_failed"


def _payment_payload(payment: Payment) -> dict:
    return {
        "payment": payment.pk,
        "status": payment.status,
        "amount": str(payment.amount),
        "captured_amount": str(payment.captured_amount) if payment.captured_amount is not None else None,
        "currency": payment.currency_id,
        "provider": payment.gateway.provider,
        "provider_payment_id": payment.provider_payment_id,
        "purpose_type": payment.purpose_type,
        "purpose_id": payment.purpose_id,
    }


def _is_failure(payment: Payment) -> bool:
    """A payment that did not go through for the customer: refused (failed), or canceled by the bank or the
    provider with a reason (YooKassa: ``payment_network / insufficient_funds``). A cancel of ours (party
    ``merchant``) or an abandoned checkout (no reason) is no failure to tell anyone about."""
    if payment.status == PaymentStatus.FAILED:
        return True
    reason = payment.failure_reason or ""
    return payment.status == PaymentStatus.CANCELED and bool(reason) and not reason.startswith("merchant")


def payment_announce(*, payment: Payment) -> None:
    """The payment's status has just changed (in the caller's transaction, with its row locked): a succeeded
    payment is announced and its receipt e-mailed to the customer; a failed one is announced and the customer
    told. Other statuses announce nothing."""
    if payment.status == PaymentStatus.SUCCEEDED:
        name, template = PAYMENT_SUCCEEDED, RECEIPT_TEMPLATE
    elif _is_failure(payment):
        name, template = PAYMENT_FAILED, FAILED_TEMPLATE
    else:
        return
    emit(
        name,
        organization=payment.organization_id,
        payload=_payment_payload(payment),
        aggregate=f"billing.payment:{payment.pk}",
        key=product_key("billing", "payment", payment.pk, payment.status),
    )
    if payment.customer_email:
        notify(
            recipient=payment.customer_email,
            template=template,
            context={
                "organization_name": payment.organization.name,
                "amount": str(payment.captured_amount if payment.captured_amount is not None else payment.amount),
                "currency": payment.currency_id,
                "description": payment.description,
                "provider": str(payment.gateway.get_provider_display()),
                "payment_reference": payment.provider_payment_id,
                "failure_reason": payment.failure_reason,
            },
            key=product_key("billing", "payment", payment.pk, template),
            organization=payment.organization_id,
        )


def refund_announce(*, refund: Refund) -> None:
    """The refund's status has just changed: a succeeded refund is announced."""
    if refund.status != RefundStatus.SUCCEEDED:
        return
    payment = refund.payment
    emit(
        REFUND_SUCCEEDED,
        organization=refund.organization_id,
        payload={
            "refund": refund.pk,
            "payment": payment.pk,
            "amount": str(refund.amount),
            "currency": payment.currency_id,
            "provider": payment.gateway.provider,
            "provider_refund_id": refund.provider_refund_id,
            "purpose_type": payment.purpose_type,
            "purpose_id": payment.purpose_id,
        },
        aggregate=f"billing.payment:{payment.pk}",
        key=product_key("billing", "refund", refund.pk, refund.status),
    )


def subscription_announce(*, subscription: Subscription, change: str, key: str | None = None) -> None:
    """The subscription changed (``change``: activate, upgrade, downgrade_scheduled, cancel, cancel_scheduled,
    resume, renewal_failed, expire, period_roll). ``key`` names a change that must be announced once (the
    payment event's key, a period's end); changes a person makes and may repeat (cancel, resume) have none."""
    emit(
        SUBSCRIPTION_CHANGED,
        organization=subscription.organization_id,
        payload={
            "subscription": subscription.pk,
            "change": change,
            "plan": subscription.plan.code,
            "status": subscription.status,
            "period_end": subscription.current_period_end.isoformat() if subscription.current_period_end else None,
            "cancel_at_period_end": subscription.cancel_at_period_end,
        },
        aggregate=f"billing.subscription:{subscription.pk}",
        key=_subscription_key(subscription, change, key) if key else None,
    )


def _subscription_key(subscription: Subscription, change: str, key: str):
    parts = ("billing", "subscription", subscription.pk, change)
    if len(":".join(map(str, (*parts, key)))) > MAX_STORED_KEY_LENGTH:
        key = hashlib.sha256(key.encode()).hexdigest()[:40]  # a long event key, shortened the same way each time
    return product_key(*parts, key)
