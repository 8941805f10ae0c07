"""Refunds: ask the provider to give back part or all of a captured payment, and apply what it says.

Never more than captured: :func:`refund_create` counts what is already refunded (pending and succeeded) under
a lock on the payment's row, and the trigger billing_refund_guard counts again in PostgreSQL, whatever
writes the row. Like a payment, a refund is stored with its key before the provider is called, and the
provider is sent a key derived from ours, so a retry never gives back twice.
"""

from __future__ import annotations

from dataclasses import asdict
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.language.formatting import format_money
from apps.core.mechanisms.audit import audit_record
from apps.core.mechanisms.idempotency import mark_replay, product_key, replay_of, stored_key
from apps.core.money.amounts import check_precision, to_decimal

from ..models import GatewayAccount, Payment, PaymentStatus, Refund, RefundStatus, UnmatchedRefund
from ..providers import ProviderError, Receipt, RefundRequest, RefundState, client_for, derived_key, receipt_build
from ..selectors import payment_get_by_provider_id
from .outcomes import refund_announce
from .payments import require_billing_power
from .postings import refund_post

_COUNTED = (RefundStatus.PENDING, RefundStatus.SUCCEEDED)


def refunded_amount(payment: Payment) -> Decimal:
    """What is refunded or being refunded (pending and succeeded refunds) of ``payment``."""
    total = Refund.objects.filter(payment_id=payment.pk, status__in=_COUNTED).aggregate(total=Sum("amount"))["total"]
    return total or Decimal(0)


def refund_create(*, payment: Payment, amount, reason: str, idempotency_key, user, receipt_items=None) -> Refund:
    """Refund ``amount`` of a succeeded ``payment``. Refuses (ValidationError naming the amount and what is
    left; nothing written) more than captured minus refunded. A repeat of ``idempotency_key`` returns the
    first refund (``is_replay``), asking the provider again with the same key if the first attempt died
    before storing its answer. Raises ProviderError when the provider refuses (the refund is then canceled)
    or cannot be reached (it stays pending; repeat the call)."""
    require_billing_power(user, payment.organization_id)
    key = stored_key(idempotency_key)
    amount = to_decimal(amount, field="amount")
    with transaction.atomic():
        locked = Payment.objects.select_for_update().select_related("gateway", "currency").get(pk=payment.pk)
        refund = Refund.objects.filter(organization_id=locked.organization_id, idempotency_key=key).first()
        if refund is not None:
            replay_of(
                refund,
                key,
                ((_("payment"), refund.payment_id == locked.pk), (_("amount"), refund.amount == amount)),
            )
            if refund.provider_refund_id or refund.status != RefundStatus.PENDING:
                return refund
        else:
            refund = _new_refund(locked, amount=amount, key=key, reason=reason, user=user, receipt_items=receipt_items)
    replay = getattr(refund, "idempotent_replay", False)
    request = RefundRequest(
        key=refund.provider_key,
        provider_payment_id=locked.metadata.get("provider_reference") or locked.provider_payment_id,
        amount=refund.amount,
        currency=locked.currency_id,
        reason=refund.reason,
        receipt=Receipt.from_json(refund.receipt),
    )
    try:
        state = client_for(locked.gateway).create_refund(request)
    except ProviderError as error:
        if not error.temporary:
            with transaction.atomic():
                Refund.objects.select_for_update().filter(pk=refund.pk, status=RefundStatus.PENDING).update(
                    status=RefundStatus.CANCELED, failure_reason=str(error)[:250], updated_at=timezone.now()
                )
        raise
    refund_apply_state(gateway=locked.gateway, state=state, refund=refund)
    refund.refresh_from_db()
    return mark_replay(refund, replay)


def _new_refund(payment: Payment, *, amount: Decimal, key: str, reason: str, user, receipt_items) -> Refund:
    if payment.status != PaymentStatus.SUCCEEDED:
        raise ValidationError(
            {
                "payment": _("Only a succeeded payment can be refunded; this one is {status}.").format(
                    status=payment.get_status_display()
                )
            },
            code="not_succeeded",
        )
    left = payment.captured_amount - refunded_amount(payment)
    if amount <= 0:
        raise ValidationError({"amount": _("The amount must be above zero.")}, code="min_value")
    check_precision(amount, currency=payment.currency_id, precision=payment.currency.precision)
    if amount > left:
        raise ValidationError(
            {
                "amount": _("{amount} is more than the {left} left to refund of this payment.").format(
                    amount=format_money(amount, payment.currency), left=format_money(left, payment.currency)
                )
            },
            code="over_refund",
        )
    receipt = None
    if receipt_items:
        try:
            receipt = receipt_build(items=receipt_items, email=payment.customer_email, phone=payment.customer_phone)
        except (ValueError, TypeError) as error:
            raise ValidationError(
                {"receipt_items": _("The receipt is incomplete: {reason}.").format(reason=error)}
            ) from None
    elif payment.receipt:
        receipt = _scaled_receipt(Receipt.from_json(payment.receipt), amount, payment.amount)
    refund = Refund.objects.create(
        organization_id=payment.organization_id,
        payment=payment,
        amount=amount,
        idempotency_key=key,
        provider_key=derived_key(payment.gateway_id, "refund", key),
        reason=(reason or "")[:250],
        receipt=receipt.as_json() if receipt else {},
        created_by=user if getattr(user, "is_authenticated", False) and isinstance(user.pk, int) else None,
    )
    audit_record(
        action="billing.refund.create",
        actor=user,
        organization=payment.organization_id,
        obj=refund,
        changes={"payment": payment.pk, "amount": str(amount), "reason": refund.reason},
    )
    return mark_replay(refund, False)


def _scaled_receipt(receipt: Receipt | None, amount: Decimal, total: Decimal) -> Receipt | None:
    """The refund's receipt when the payment had one: the whole receipt for a full refund; for a part, one
    line for the amount given back (54-FZ wants a receipt for every refund)."""
    if receipt is None:
        return None
    if amount == total:
        return receipt
    first = receipt.items[0]
    from ..providers.receipts import ReceiptItem

    return Receipt(
        items=(
            ReceiptItem(
                description=first.description,
                quantity=Decimal(1),
                amount=amount,
                vat_code=first.vat_code,
                payment_subject=first.payment_subject,
                payment_mode=first.payment_mode,
            ),
        ),
        email=receipt.email,
        phone=receipt.phone,
        tax_system_code=receipt.tax_system_code,
    )


def refund_state_to_json(state: RefundState) -> dict:
    data = asdict(state)
    data["amount"] = None if state.amount is None else str(state.amount)
    return data


def refund_state_from_json(data: dict) -> RefundState:
    return RefundState(**{**data, "amount": None if data.get("amount") is None else Decimal(data["amount"])})


def refund_apply_state(*, gateway: GatewayAccount, state: RefundState, refund: Refund | None = None) -> list[str]:
    """Apply what the provider says about a refund (the answer to our call, a webhook, a poll) and return the
    names of what changed. Idempotent and order-independent: a final refund keeps its status; a refund made
    at the provider (its dashboard) is recorded; a refund whose payment is not known or not yet taken is kept
    (UnmatchedRefund) and applied when the payment succeeds. A succeeded refund is booked, once."""
    with transaction.atomic():
        if refund is None:
            refund = Refund.objects.filter(payment__gateway=gateway, provider_refund_id=state.provider_id).first()
        if refund is None:
            payment = payment_get_by_provider_id(gateway=gateway, provider_payment_id=state.provider_payment_id)
            if payment is None or payment.status != PaymentStatus.SUCCEEDED or state.amount is None:
                UnmatchedRefund.objects.update_or_create(
                    gateway=gateway,
                    provider_refund_id=state.provider_id,
                    defaults={
                        "organization_id": gateway.organization_id,
                        "provider_payment_id": state.provider_payment_id,
                        "state": refund_state_to_json(state),
                    },
                )
                return ["unmatched"]
            Payment.objects.select_for_update().get(pk=payment.pk)
            key = product_key("billing", gateway.provider, "refund", state.provider_id)
            refund, _created = Refund.objects.get_or_create(
                organization_id=payment.organization_id,
                idempotency_key=key,
                defaults={
                    "payment": payment,
                    "amount": state.amount,
                    "provider_refund_id": state.provider_id,
                    "provider_key": "",
                    "reason": _("Refunded at the provider"),
                },
            )
        locked = (
            Refund.objects.select_for_update()
            .select_related("payment__gateway", "payment__organization")
            .get(pk=refund.pk)
        )
        changed: dict[str, object] = {}
        if state.provider_id and not locked.provider_refund_id:
            changed["provider_refund_id"] = state.provider_id
        if state.amount is not None and state.amount != locked.amount:
            # Not ours to correct: a person looks (the refund keeps what was asked).
            changed["failure_reason"] = _("The provider reports {amount}, not the {asked} asked.").format(
                amount=state.amount, asked=locked.amount
            )[:250]
        elif locked.status == RefundStatus.PENDING and state.status != RefundStatus.PENDING:
            changed["status"] = state.status
            if state.status == RefundStatus.SUCCEEDED:
                changed["succeeded_at"] = timezone.now()
            elif state.failure_reason:
                changed["failure_reason"] = state.failure_reason[:250]
        changed = {name: value for name, value in changed.items() if getattr(locked, name) != value}
        if changed:
            before = locked.status
            for name, value in changed.items():
                setattr(locked, name, value)
            locked.save(update_fields=[*changed, "updated_at"])
            audit_record(
                action="billing.refund.state",
                organization=locked.organization_id,
                obj=locked,
                changes={"status": [before, locked.status]},
            )
            if changed.get("status") == RefundStatus.SUCCEEDED:
                refund_post(refund=locked)
            if "status" in changed:
                refund_announce(refund=locked)
        UnmatchedRefund.objects.filter(
            gateway=gateway, provider_refund_id=locked.provider_refund_id, applied_at__isnull=True
        ).update(applied_at=timezone.now())
        return list(changed)


def refund_sync(*, refund: Refund) -> list[str]:
    """Ask the provider for the refund's state and apply it."""
    payment = refund.payment
    if not refund.provider_refund_id:
        return []
    state = client_for(payment.gateway).fetch_refund(
        refund.provider_refund_id, provider_payment_id=payment.provider_payment_id
    )
    return refund_apply_state(gateway=payment.gateway, state=state, refund=refund)
