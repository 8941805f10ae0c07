"""Voiding: a draft just becomes void; an issued invoice gets the reversal of its issue posting."""

from __future__ import annotations

from datetime import date as Date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from apps.core.language.formatting import format_money
from apps.core.mechanisms.audit import audit_record
from apps.core.money.amounts import round_to

from ...models import (
    Invoice,
    InvoiceStatus,
)
from .base import _label, _lock, _require_write, _reversal_of


def invoice_void(*, invoice: Invoice | int, user, date: Date | None = None, reason: str = "") -> Invoice:
    """Void an invoice. A draft just becomes void (it has no number and posted nothing). An issued invoice
    gets the reversal of its issue posting, dated ``date`` (default: today where the organization is, never
    before the issue date); it keeps its number, so the numbering stays gap-free. Refused while payments
    stand: reverse them first. Voiding a void invoice changes nothing."""
    with transaction.atomic():
        locked = _lock(invoice)
        _require_write(user, locked.organization_id)
        if locked.status == InvoiceStatus.VOID:
            return locked
        before = locked.status
        changes: dict = {"status": [before, InvoiceStatus.VOID], "reason": reason}
        if locked.status != InvoiceStatus.DRAFT:
            standing = list(locked.payments.filter(reversal_transaction__isnull=True).order_by("date", "pk"))
            if standing:
                paid = round_to(sum((p.amount for p in standing), Decimal(0)), locked.currency.precision)
                raise ValidationError(
                    ngettext(
                        "Invoice {invoice} cannot be voided: {count} payment of {amount} is recorded against it. "
                        "Reverse the payment first, then void the invoice.",
                        "Invoice {invoice} cannot be voided: {count} payments totalling {amount} are recorded "
                        "against it. Reverse the payments first, then void the invoice.",
                        len(standing),
                    ).format(invoice=_label(locked), count=len(standing), amount=format_money(paid, locked.currency)),
                    code="has_payments",
                )
            reversal = _reversal_of(
                locked.issue_transaction,
                user=user,
                date=date or max(locked.organization.today(), locked.issue_date),
                reason=reason or _("invoice {invoice} voided").format(invoice=_label(locked)),
            )
            locked.void_transaction = reversal
            changes["reversal"] = reversal.pk
        locked.status = InvoiceStatus.VOID
        locked.voided_at = timezone.now()
        locked.save(update_fields=["status", "void_transaction", "voided_at"])
        audit_record(
            action="ledger.invoice.void", actor=user, organization=locked.organization_id, obj=locked, changes=changes
        )
    return locked
