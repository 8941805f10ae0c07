"""Payments: start one at a provider, capture or cancel it, and apply what the provider says about it.

The order of work in :func:`payment_start` is what makes a retry safe: the payment is stored with its key and
committed before the provider is called; the provider is sent a key derived from ours (the same on every
retry), so a worker killed after the provider's answer and before our commit, run again, reaches the same
provider object instead of making a second one.

:func:`payment_apply_state` is the one function that applies a provider's word about a payment (the answer to
our call, a webhook, the sweeper's poll): under a lock on the payment, idempotent, order-independent (a stale
status after a final one is ignored), refusing to apply an amount other than the one asked (it is flagged).
"""

from __future__ import annotations

import logging
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.accounts.roles import write_power
from apps.core.accounts.tenancy import has_power
from apps.core.mechanisms.audit import audit_record
from apps.core.mechanisms.idempotency import mark_replay, replay_of, stored_key
from apps.core.mechanisms.jobs import enqueue_swept_on_commit
from apps.core.models import Currency
from apps.core.money.amounts import check_precision, to_decimal

from ..models import (
    PAYMENT_TRANSITIONS,
    CaptureMode,
    GatewayAccount,
    Payment,
    PaymentStatus,
    Provider,
    UnmatchedRefund,
)
from ..providers import PaymentRequest, PaymentState, ProviderError, Receipt, client_for, derived_key, receipt_build
from .outcomes import payment_announce
from .postings import fee_post, payment_post

logger = logging.getLogger(__name__)


def require_billing_power(user, organization_id: int) -> None:
    """Refuse a member whose role may not change billing records (capture, cancel, refund). ``user=None`` is
    system work (webhooks, tasks), which acts for the organization itself."""
    if user is None:
        return
    if not has_power(user, write_power("billing"), organization_id):
        raise PermissionDenied(_("Your role in this organization does not allow changing payments."))


def _purpose(purpose) -> tuple[str, str]:
    """``("ledger.invoice", 12)``, a model instance, or None → (purpose_type, purpose_id)."""
    if purpose is None:
        return "", ""
    if isinstance(purpose, tuple | list):
        kind, pk = purpose
        return str(kind), str(pk)
    return purpose._meta.label_lower, str(purpose.pk)


def payment_start(
    *,
    gateway: GatewayAccount,
    amount,
    currency: str | Currency,
    purpose,
    description: str,
    idempotency_key,
    return_url: str,
    customer_email: str | None = None,
    customer_phone: str | None = None,
    receipt_items=None,
    two_stage: bool = False,
    user=None,
    saved_method: str = "",
    save_method_for: str = "",
    recurring: str = "",
    metadata: dict | None = None,
) -> Payment:
    """Start a payment of ``amount`` in ``currency`` through ``gateway`` for ``purpose`` (a model instance,
    ``("ledger.invoice", id)``, or None) and return it with the provider's ``confirmation_url`` to send the
    customer to. A repeat of ``idempotency_key`` (a client's key, or a ``product_key``) returns the first
    payment (``is_replay``); if the first attempt died before it stored the provider's answer, the repeat asks
    the provider again with the same key and stores the answer.

    ``saved_method`` charges a payment method the customer saved earlier, with no redirect (renewals: YooKassa's
    payment_method_id, T-Bank's RebillId); ``save_method_for`` (a customer's id, e.g. ``org-12``) asks the
    provider to save the method paid with, for a subscription's first payment (the provider's state then names
    it: ``PaymentState.saved_method``, to pass to ``subscription_activate(payment_method=...)``).

    ``recurring`` (``month`` or ``year``) makes it the first payment of a subscription the provider renews itself
    (Stripe: a Checkout Session in subscription mode); ``metadata`` is sent to the provider with the payment
    (Stripe puts it on the subscription too) and kept on the payment.

    Raises ValidationError for bad input (nothing is written) and ProviderError when the provider refuses
    (permanently: the payment is marked failed) or cannot be reached (it stays pending; repeat the call)."""
    key = stored_key(idempotency_key)
    currency_id = getattr(currency, "pk", currency)
    amount = to_decimal(amount, field="amount")
    purpose_type, purpose_id = _purpose(purpose)
    errors = {}
    currency_obj = Currency.objects.filter(pk=currency_id).first()
    if currency_obj is None:
        errors["currency"] = _("There is no currency {code}.").format(code=currency_id)
    elif amount <= 0:
        errors["amount"] = _("The amount must be above zero.")
    else:
        try:
            check_precision(amount, currency=currency_obj.code, precision=currency_obj.precision)
        except ValidationError as error:
            errors.update(error.message_dict)
    if not gateway.is_active:
        errors["gateway"] = _("Gateway {gateway} is switched off.").format(gateway=gateway)
    if two_stage and not gateway.supports_two_stage:
        errors["two_stage"] = _("Gateway {gateway} takes one-stage payments only.").format(gateway=gateway)
    receipt: Receipt | None = None
    if receipt_items:
        try:
            receipt = receipt_build(items=receipt_items, email=customer_email or "", phone=customer_phone or "")
        except (ValueError, TypeError) as error:
            errors["receipt_items"] = _("The receipt is incomplete: {reason}.").format(reason=error)
        else:
            if receipt.total != amount:
                errors["receipt_items"] = _("The receipt's items come to {total}, not the payment's {amount}.").format(
                    total=receipt.total, amount=amount
                )
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        payment = (
            Payment.objects.select_for_update()
            .filter(organization_id=gateway.organization_id, idempotency_key=key)
            .first()
        )

        def same_request(earlier: Payment):
            return (
                (_("gateway"), earlier.gateway_id == gateway.pk),
                (_("amount"), earlier.amount == amount),
                (_("currency"), earlier.currency_id == currency_id),
                (_("purpose"), (earlier.purpose_type, earlier.purpose_id) == (purpose_type, purpose_id)),
            )

        if payment is not None:
            replay_of(payment, key, same_request(payment))
            if payment.provider_payment_id or payment.status != PaymentStatus.PENDING:
                return payment
        else:
            payment = _payment_create(
                organization_id=gateway.organization_id,
                gateway=gateway,
                amount=amount,
                currency_id=currency_id,
                purpose_type=purpose_type,
                purpose_id=purpose_id,
                description=description[:250],
                idempotency_key=key,
                provider_key=derived_key(gateway.pk, key),
                return_url=return_url,
                capture_mode=CaptureMode.TWO_STAGE if two_stage else CaptureMode.ONE_STAGE,
                receipt=receipt.as_json() if receipt else {},
                customer_email=customer_email or "",
                customer_phone=customer_phone or "",
                metadata={**(metadata or {}), **({"recurring": recurring} if recurring else {})},
                created_by=user if getattr(user, "is_authenticated", False) and isinstance(user.pk, int) else None,
            )
            # A concurrent request with the same key may have stored it first: then this one goes on like a
            # retry (the provider is sent the same key) and records nothing of its own.
            if payment.idempotent_replay:
                replay_of(payment, key, same_request(payment))
            else:
                audit_record(
                    action="billing.payment.start",
                    actor=user,
                    organization=payment.organization_id,
                    obj=payment,
                    changes={"amount": str(amount), "currency": currency_id, "gateway": gateway.pk},
                )
    replay = getattr(payment, "idempotent_replay", False)
    request = PaymentRequest(
        key=payment.provider_key,
        amount=payment.amount,
        currency=payment.currency_id,
        description=payment.description,
        return_url=payment.return_url,
        two_stage=payment.capture_mode == CaptureMode.TWO_STAGE,
        receipt=Receipt.from_json(payment.receipt),
        customer_email=payment.customer_email,
        customer_phone=payment.customer_phone,
        metadata={**{k: v for k, v in payment.metadata.items() if k != "recurring"}, "payment": payment.pk},
        saved_method=saved_method,
        save_method_for=save_method_for,
        recurring=payment.metadata.get("recurring", ""),
    )
    try:
        state = client_for(gateway).create_payment(request)
    except ProviderError as error:
        if not error.temporary:
            _refused(payment, error, user=user)
        raise
    with transaction.atomic():
        payment_apply_state(payment=payment, state=state)
    payment.refresh_from_db()
    return mark_replay(payment, replay)


def payment_record_received(
    *,
    gateway: GatewayAccount,
    state: PaymentState,
    purpose,
    description: str,
    idempotency_key,
) -> Payment:
    """Record a payment the provider took on its own (a subscription's renewal that Stripe charged), as
    ``state`` describes it, and apply that state: a succeeded one is booked like any payment. Idempotent by
    ``idempotency_key`` (a product key naming the provider's object): the same event again changes nothing."""
    key = stored_key(idempotency_key)
    purpose_type, purpose_id = _purpose(purpose)
    if state.amount is None or state.amount <= 0:
        raise ValidationError({"amount": _("The amount must be above zero.")})
    payment = _payment_create(
        organization_id=gateway.organization_id,
        gateway=gateway,
        amount=state.amount,
        currency_id=state.currency,
        purpose_type=purpose_type,
        purpose_id=purpose_id,
        description=description[:250],
        idempotency_key=key,
        provider_key=derived_key(gateway.pk, key),
        provider_payment_id=state.provider_id,
        metadata={"received": True},
    )
    if not payment.idempotent_replay:
        audit_record(
            action="billing.payment.received",
            organization=payment.organization_id,
            obj=payment,
            changes={"amount": str(state.amount), "currency": state.currency, "provider_id": state.provider_id},
        )
    payment_apply_state(payment=payment, state=state)
    payment.refresh_from_db()
    return payment


def _payment_create(**fields) -> Payment:
    """Store a new payment; when a concurrent request with the same key stored one first (the unique key
    waits for it, then refuses), return that one as a replay."""
    try:
        with transaction.atomic():
            return mark_replay(Payment.objects.create(**fields), False)
    except IntegrityError:
        existing = (
            Payment.objects.select_for_update()
            .filter(organization_id=fields["organization_id"], idempotency_key=fields["idempotency_key"])
            .first()
        )
        if existing is None:
            raise
        return mark_replay(existing, True)


def _refused(payment: Payment, error: ProviderError, *, user) -> None:
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.status == PaymentStatus.PENDING:
            locked.status = PaymentStatus.FAILED
            locked.failure_reason = str(error)[:250]
            locked.save(update_fields=["status", "failure_reason", "updated_at"])
            audit_record(
                action="billing.payment.provider_refused",
                actor=user,
                organization=locked.organization_id,
                obj=locked,
                changes={"reason": locked.failure_reason},
            )


def _same_amount(state_amount: Decimal | None, allowed: set[Decimal]) -> bool:
    return state_amount is None or any(state_amount == value for value in allowed)


def payment_apply_state(*, payment: Payment, state: PaymentState) -> list[str]:
    """Apply what the provider says about ``payment`` and return the names of what changed (empty when
    nothing did: a repeat, or a stale status after a final one). A succeeded payment is booked, once; an
    amount or currency other than the one asked is flagged (``amount_mismatch``) and the state not applied.
    Runs in a transaction of its own (or the caller's) with the payment's row locked."""
    with transaction.atomic():
        locked = (
            Payment.objects.select_for_update(of=("self",)).select_related("gateway", "organization").get(pk=payment.pk)
        )
        changed: dict[str, object] = {}
        if state.provider_id and not locked.provider_payment_id:
            changed["provider_payment_id"] = state.provider_id
        elif state.provider_id and state.provider_id != locked.provider_payment_id:
            raise ValueError(
                f"state of {state.provider_id} applied to payment {locked.pk} ({locked.provider_payment_id})"
            )
        reference = state.reference or ""
        metadata = {
            **locked.metadata,
            **({"provider_reference": reference} if reference else {}),
            # The method the provider saved for later charges (a subscription's first payment).
            **({"saved_method": state.saved_method} if state.saved_method else {}),
        }
        if metadata != locked.metadata:
            changed["metadata"] = metadata
        if state.confirmation_url and not locked.confirmation_url:
            changed["confirmation_url"] = state.confirmation_url
        # What the provider may report as the payment's amount: what was asked, or (YooKassa, after a partial
        # capture) what we asked it to capture.
        allowed = {locked.amount}
        if locked.metadata.get("capture_amount"):
            allowed.add(Decimal(locked.metadata["capture_amount"]))
        amount_ok = _same_amount(state.amount, allowed) and (not state.currency or state.currency == locked.currency_id)
        captured_ok = state.captured_amount is None or Decimal(0) <= state.captured_amount <= locked.amount
        if not (amount_ok and captured_ok):
            note = _(
                "The provider reports {amount} {currency} (captured {captured}) for a payment of {asked} "
                "{asked_currency}; its status {status} was not applied."
            ).format(
                amount=state.amount,
                currency=state.currency,
                captured=state.captured_amount,
                asked=locked.amount,
                asked_currency=locked.currency_id,
                status=state.status,
            )
            if not locked.amount_mismatch or locked.mismatch_note != note:
                changed.update(amount_mismatch=True, mismatch_note=note)
                audit_record(
                    action="billing.payment.amount_mismatch",
                    organization=locked.organization_id,
                    obj=locked,
                    changes={"reported": str(state.amount), "currency": state.currency, "status": state.status},
                )
            _save(locked, changed)
            return list(changed)
        status_changed = state.status != locked.status and state.status in PAYMENT_TRANSITIONS[locked.status]
        if status_changed:
            changed["status"] = state.status
            if state.status == PaymentStatus.SUCCEEDED:
                captured = state.captured_amount if state.captured_amount is not None else locked.amount
                changed["captured_amount"] = captured
                changed["succeeded_at"] = timezone.now()
                if state.fee is not None:
                    changed["fee"] = state.fee
                    changed["net"] = captured - state.fee
            elif state.failure_reason:
                changed["failure_reason"] = state.failure_reason[:250]
        elif (
            locked.status == PaymentStatus.SUCCEEDED
            and state.status == PaymentStatus.SUCCEEDED
            and locked.fee is None
            and state.fee is not None
        ):
            # The fee is often known only after the payment (Stripe's balance transaction).
            changed["fee"] = state.fee
            changed["net"] = locked.captured_amount - state.fee
        if not changed:
            return []
        before = locked.status
        _save(locked, changed)
        audit_record(
            action="billing.payment.state",
            organization=locked.organization_id,
            obj=locked,
            changes={
                "status": [before, locked.status],
                **{name: str(value) for name, value in changed.items() if name in ("captured_amount", "fee")},
            },
        )
        if status_changed and locked.status == PaymentStatus.SUCCEEDED:
            payment_post(payment=locked)
            _apply_unmatched_refunds(locked)
        elif "fee" in changed:
            fee_post(payment=locked)
        if status_changed:
            payment_announce(payment=locked)  # domain events and the receipt e-mail, in this transaction
            # The live return page, and a checkout's subscription (see services/checkout.py).
            from .checkout import payment_status_changed

            payment_status_changed(payment=locked)
        return list(changed)


def _save(payment: Payment, changed: dict) -> None:
    if not changed:
        return
    for name, value in changed.items():
        setattr(payment, name, value)
    payment.save(update_fields=[*changed, "updated_at"])


def _apply_unmatched_refunds(payment: Payment) -> None:
    """Refunds the provider reported before the payment was known (or taken) are applied now."""
    from .refunds import refund_apply_state, refund_state_from_json

    ids = {payment.provider_payment_id, payment.metadata.get("provider_reference") or payment.provider_payment_id}
    waiting = UnmatchedRefund.objects.select_for_update().filter(
        gateway_id=payment.gateway_id, provider_payment_id__in=ids, applied_at__isnull=True
    )
    for unmatched in waiting:
        refund_apply_state(gateway=payment.gateway, state=refund_state_from_json(unmatched.state))


def _lock_for_call(payment: Payment, allowed: set[str], refused, *, user) -> Payment:
    require_billing_power(user, payment.organization_id)
    with transaction.atomic():
        locked = Payment.objects.select_for_update().select_related("gateway").get(pk=payment.pk)
        if locked.status not in allowed or not locked.provider_payment_id:
            raise ValidationError({"status": refused.format(status=locked.get_status_display())}, code="status")
    return locked


def payment_capture(*, payment: Payment, amount=None, user=None) -> Payment:
    """Take the money a two-stage payment holds (all of it, or ``amount`` of it); the provider's answer is
    applied. Repeating it sends the provider the same key."""
    locked = _lock_for_call(
        payment,
        {PaymentStatus.WAITING_FOR_CAPTURE},
        _("Only a payment waiting for capture can be captured; this one is {status}."),
        user=user,
    )
    amount = locked.amount if amount is None else to_decimal(amount, field="amount")
    if amount <= 0 or amount > locked.amount:
        raise ValidationError(
            {"amount": _("Capture between 0 and {amount}, not {asked}.").format(amount=locked.amount, asked=amount)}
        )
    with transaction.atomic():
        Payment.objects.select_for_update().get(pk=locked.pk)
        metadata = {**locked.metadata, "capture_amount": str(amount)}
        Payment.objects.filter(pk=locked.pk).update(metadata=metadata)
        audit_record(
            action="billing.payment.capture",
            actor=user,
            organization=locked.organization_id,
            obj=locked,
            changes={"amount": str(amount)},
        )
    state = client_for(locked.gateway).capture(
        provider_payment_id=locked.provider_payment_id,
        amount=amount,
        currency=locked.currency_id,
        key=derived_key(locked.provider_key, "capture"),
    )
    payment_apply_state(payment=locked, state=state)
    locked.refresh_from_db()
    return locked


def payment_cancel(*, payment: Payment, user=None) -> Payment:
    """Cancel a payment not yet taken (pending or held); the provider's answer is applied."""
    locked = _lock_for_call(
        payment,
        {PaymentStatus.PENDING, PaymentStatus.WAITING_FOR_CAPTURE},
        _("A {status} payment cannot be canceled; refund it instead."),
        user=user,
    )
    audit_record(action="billing.payment.cancel", actor=user, organization=locked.organization_id, obj=locked)
    state = client_for(locked.gateway).cancel(
        provider_payment_id=locked.provider_payment_id, key=derived_key(locked.provider_key, "cancel")
    )
    payment_apply_state(payment=locked, state=state)
    locked.refresh_from_db()
    return locked


def payment_sync(*, payment: Payment) -> list[str]:
    """Ask the provider for the payment's state and apply it (the sweeper's and a webhook's re-fetch). A payment
    the provider was never reached for (no provider id) has nothing to fetch: [] is returned."""
    if not payment.provider_payment_id:
        return []
    state = client_for(payment.gateway).fetch_payment(payment.provider_payment_id)
    return payment_apply_state(payment=payment, state=state)


# --- the provider's fee, asked for after the payment -------------------------------------------------------

# Stripe's events never carry the fee (an event's objects are not expanded): it is on the charge's balance
# transaction, which is fetched once the payment has succeeded. YooKassa's notifications carry it
# (``income_amount``); T-Bank does not report one.
FEE_ASKED_AFTERWARDS = frozenset({Provider.STRIPE})
PAYMENT_FEE_FETCH_TASK = "apps.billing.tasks.payment_fee_fetch_task"


def payment_fee_wanted(payment: Payment) -> bool:
    """A succeeded payment whose fee is unknown, at a provider that tells it when asked."""
    return (
        payment.status == PaymentStatus.SUCCEEDED
        and payment.fee is None
        and payment.gateway.provider in FEE_ASKED_AFTERWARDS
    )


def payment_fee_fetch_later(*, payment: Payment) -> None:
    """Ask for the payment's fee once the caller's transaction has committed: in this process, right after the
    commit, so that the HTTP call to the provider never holds the caller's row locks or its transaction open (a
    webhook's handling holds its delivery's lock); and, if the provider cannot tell it then, again later by a
    task of its own (:data:`PAYMENT_FEE_FETCH_TASK`), then by the payments sweeper."""
    payment.refresh_from_db(fields=["status", "fee"])
    if payment_fee_wanted(payment):
        payment_id = payment.pk
        transaction.on_commit(lambda: _fee_fetch_after_commit(payment_id), robust=True)


def _fee_fetch_after_commit(payment_id: int) -> None:
    try:
        if payment_fee_fetch(payment=payment_id):
            return
    except ProviderError as error:
        logger.warning("billing: the fee of payment %s is asked for later: %s", payment_id, error)
    enqueue_swept_on_commit(PAYMENT_FEE_FETCH_TASK, payment_id, countdown=fee_retry_delay(0))


def fee_retry_delay(retries: int) -> int:
    """Seconds before asking for a fee again: 30 s, 1, 2, 4 … minutes, at most an hour."""
    return min(3600, 30 * 2**retries)


def payment_fee_fetch(*, payment: Payment | int) -> bool:
    """Ask the provider for a succeeded payment's fee while it is unknown, and book it (through
    :func:`payment_apply_state`, so twice at once books it once). Runs outside any transaction. Returns whether
    the fee is known now (the provider may not have settled the charge yet); raises ProviderError when the
    provider cannot be asked."""
    payment = Payment.objects.select_related("gateway").get(pk=getattr(payment, "pk", payment))
    if not payment_fee_wanted(payment):
        return payment.fee is not None
    payment_sync(payment=payment)
    payment.refresh_from_db(fields=["fee"])
    return payment.fee is not None
