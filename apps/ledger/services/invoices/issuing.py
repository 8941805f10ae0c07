"""Issuing: the next gap-free number of the kind and year, and the receivable or payable posting."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.language.text import in_language_of
from apps.core.mechanisms.audit import audit_record
from apps.core.mechanisms.idempotency import product_key

from ...models import (
    INVOICE_POSTED_STATUSES,
    Counterparty,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    Transaction,
)
from ..posting import Leg, transaction_post
from .accounts import invoice_balance_account_for, invoice_default_line_account_for
from .base import _label, _lock, _require_write, _status_for
from .drafts import invoice_recalculate

NUMBER_PREFIX = {InvoiceKind.RECEIVABLE: "INV", InvoiceKind.PAYABLE: "BILL"}

_NEXT_NUMBER = """
INSERT INTO ledger_invoicenumbercounter (organization_id, kind, year, last_number) VALUES (%s, %s, %s, 1)
ON CONFLICT (organization_id, kind, year) DO UPDATE SET last_number = ledger_invoicenumbercounter.last_number + 1
RETURNING last_number
"""


def _next_number(organization_id: int, kind: str, year: int) -> str:
    # One statement takes (or creates) the counter row and keeps it locked until the issuing transaction ends:
    # concurrent issues queue here, and a rollback gives the number back, so numbers have no gaps.
    with connection.cursor() as cursor:
        cursor.execute(_NEXT_NUMBER, [organization_id, kind, year])
        (number,) = cursor.fetchone()
    return f"{NUMBER_PREFIX[kind]}-{year}-{number:06d}"


def invoice_issue(*, invoice: Invoice | int, user) -> Invoice:
    """Issue a draft: give it the next number of its kind and year and post the receivable (debit the
    receivable account, credit each line's income account) or the payable (debit each line's expense or asset
    account, credit the payable account). Issuing an issued invoice again changes nothing."""
    with transaction.atomic():
        locked = _lock(invoice)
        _require_write(user, locked.organization_id)
        if locked.status in INVOICE_POSTED_STATUSES:
            return locked
        if locked.status == InvoiceStatus.VOID:
            raise ValidationError(
                _("Invoice {invoice} is void and cannot be issued.").format(invoice=_label(locked)), code="void"
            )
        if not locked.lines.exists():
            raise ValidationError(
                {"lines": _("Invoice {invoice} has no lines: add at least one.").format(invoice=_label(locked))}
            )
        locked = invoice_recalculate(invoice=locked, user=user)
        stored = list(locked.lines.all())
        if locked.total <= 0:
            raise ValidationError(
                {"lines": _("Invoice {invoice} totals zero: there is nothing to bill.").format(invoice=_label(locked))}
            )
        if not Counterparty.objects.filter(pk=locked.counterparty_id, is_active=True).exists():
            raise ValidationError(
                {"counterparty": _("{counterparty} is inactive.").format(counterparty=locked.counterparty)}
            )
        organization_id = locked.organization_id
        currency = locked.currency_id
        balance_account = invoice_balance_account_for(
            organization_id=organization_id, kind=locked.kind, currency=currency
        )
        default_account = None
        if any(line.account_id is None for line in stored):
            default_account = invoice_default_line_account_for(
                organization_id=organization_id, kind=locked.kind, currency=currency
            )
        number = _next_number(organization_id, locked.kind, locked.issue_date.year)
        sign = 1 if locked.kind == InvoiceKind.RECEIVABLE else -1
        counterparty_id = locked.counterparty_id
        legs = [Leg(balance_account.pk, sign * locked.total, counterparty=counterparty_id, memo=number)]
        legs += [
            Leg(
                line.account_id or default_account.pk,
                -sign * line.amount,
                project=line.project_id,
                category=line.category_id,
                counterparty=counterparty_id,
                memo=line.description,
            )
            for line in stored
            if line.amount != 0
        ]
        with in_language_of(organization_id):  # stored text: the books' language, not the reader's
            description = _("Invoice {number}, {counterparty}").format(number=number, counterparty=locked.counterparty)
        posted = transaction_post(
            organization=organization_id,
            user=user,
            date=locked.issue_date,
            entries=legs,
            idempotency_key=product_key("invoice", locked.pk, "issue"),
            description=description,
            kind=Transaction.Kind.INVOICE,
        )
        locked.number = number
        locked.balance_account = balance_account
        locked.issue_transaction = posted
        locked.issued_at = timezone.now()
        locked.status = _status_for(locked, locked.organization.today())
        locked.save(update_fields=["number", "balance_account", "issue_transaction", "issued_at", "status"])
        audit_record(
            action="ledger.invoice.issue",
            actor=user,
            organization=organization_id,
            obj=locked,
            changes={"number": number, "total": str(locked.total), "transaction": posted.pk},
        )
    return locked
