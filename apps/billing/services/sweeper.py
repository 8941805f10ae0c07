"""The payments sweeper (a beat task every few minutes): what webhooks may have missed.

- A payment still pending (or held, waiting for capture) longer than its window is re-checked with its
  provider through :func:`payment_sync`, which applies the answer exactly as a webhook would (the same
  idempotent :func:`payment_apply_state`), so a lost or late notification costs minutes.
- A succeeded payment whose fee is still unknown (Stripe's, whose fee is asked for after the payment: see
  :func:`payment_fee_fetch_later`) four hours after it succeeded, when the fee task's message was lost or it
  gave up, is asked once more each run, for three days.
- A paid payment whose purpose is gone or cancelled (an invoice voided, an order cancelled: see
  :mod:`apps.billing.services.purposes`) is flagged for refund: visible on the payment with the reason, for a
  person to decide. Nothing is refunded automatically (the money may be wanted for something else).

Safe to run twice at once: the state is applied under the payment's lock, and a flag is set once.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.billing.models import Payment, PaymentStatus
from apps.billing.providers import ProviderError
from apps.billing.selectors import payment_is_fully_refunded, payments_fee_unknown, payments_unsettled
from apps.core.language.text import in_language_of
from apps.core.mechanisms.audit import audit_record

from .payments import FEE_ASKED_AFTERWARDS, payment_fee_fetch, payment_sync
from .purposes import purpose_types, purposes_gone

logger = logging.getLogger(__name__)

# How long a payment may wait before the sweeper asks its provider: a customer on the payment page takes
# minutes; a held payment waits for a person to capture it, so it is asked about less eagerly.
SYNC_AFTER = {
    PaymentStatus.PENDING: dt.timedelta(minutes=15),
    PaymentStatus.WAITING_FOR_CAPTURE: dt.timedelta(hours=1),
}
SYNC_BATCH = 200  # a run asks about at most this many payments (the longest waiting first)
FEE_AFTER = dt.timedelta(hours=4)  # the fee task has had all its tries (about three hours)
FEE_GIVE_UP = dt.timedelta(days=3)  # a charge still without a fee then is a person's to look at
FLAG_BATCH = 500  # ids per purpose check


@dataclass
class SweepSummary:
    checked: int = 0
    changed: int = 0
    unreachable: int = 0
    fees: int = 0
    flagged: int = 0


def payments_sweep(*, now: dt.datetime | None = None, batch: int = SYNC_BATCH) -> SweepSummary:
    """Re-check the payments waiting longer than their window, then flag paid payments whose purpose is gone."""
    now = now or timezone.now()
    summary = SweepSummary()
    waiting = Q()
    for status, window in SYNC_AFTER.items():
        waiting |= Q(status=status, created_at__lt=now - window)
    stale = (
        payments_unsettled(older_than=now - min(SYNC_AFTER.values()))
        .filter(waiting)
        .exclude(provider_payment_id="")  # never reached the provider: nothing to ask (payment_start retries it)
        .order_by("updated_at", "pk")[:batch]
    )
    for payment in stale:
        summary.checked += 1
        try:
            changed = payment_sync(payment=payment)
        except ProviderError as error:
            # Unreachable or refusing now: the next run asks again.
            summary.unreachable += 1
            logger.warning("billing sweeper: payment %s not re-checked: %s", payment.pk, error)
            continue
        summary.changed += bool(changed)
    fee_unknown = payments_fee_unknown(
        providers=FEE_ASKED_AFTERWARDS, succeeded_between=(now - FEE_GIVE_UP, now - FEE_AFTER)
    ).order_by("succeeded_at", "pk")[:batch]
    for payment in fee_unknown:
        try:
            summary.fees += payment_fee_fetch(payment=payment)
        except ProviderError as error:
            summary.unreachable += 1
            logger.warning("billing sweeper: the fee of payment %s not asked for: %s", payment.pk, error)
    summary.flagged = payments_flag_for_refund(now=now)
    return summary


def payments_flag_for_refund(*, now: dt.datetime | None = None) -> int:
    """Flag every paid, unflagged payment whose purpose (of a registered type) is gone or cancelled; returns
    how many were flagged now."""
    now = now or timezone.now()
    flagged = 0
    for purpose_type in purpose_types():
        paid = Payment.objects.filter(
            purpose_type=purpose_type, status=PaymentStatus.SUCCEEDED, refund_flagged_at__isnull=True
        ).exclude(purpose_id="")
        ids = sorted(set(paid.values_list("purpose_id", flat=True)))
        for start in range(0, len(ids), FLAG_BATCH):
            gone = purposes_gone(purpose_type, ids[start : start + FLAG_BATCH])
            for payment_id, purpose_id in paid.filter(purpose_id__in=list(gone)).values_list("pk", "purpose_id"):
                flagged += payment_flag_for_refund(payment=payment_id, reason=gone[purpose_id], now=now)
    return flagged


def payment_flag_for_refund(*, payment: Payment | int, reason, now: dt.datetime | None = None) -> bool:
    """Mark a paid payment as one a person should consider refunding, with ``reason`` (stored in the
    organization's language). Once: a payment already flagged, not succeeded, or refunded in full is left as it
    is (False)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=getattr(payment, "pk", payment))
        if locked.refund_flagged_at is not None or locked.status != PaymentStatus.SUCCEEDED:
            return False
        if payment_is_fully_refunded(payment=locked):
            return False
        with in_language_of(locked.organization_id):
            text = str(reason)[:250]
        locked.refund_flagged_at, locked.refund_flag_reason = now, text
        locked.save(update_fields=["refund_flagged_at", "refund_flag_reason", "updated_at"])
        audit_record(
            action="billing.payment.refund_flagged",
            organization=locked.organization_id,
            obj=locked,
            changes={"reason": text, "purpose": f"{locked.purpose_type}:{locked.purpose_id}"},
        )
    return True
