"""What every invoice use case shares: the row lock, the status an invoice has for its payments and due
date, the permission check, the label of an invoice in messages."""

from __future__ import annotations

from datetime import date as Date

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ...models import Account, Invoice, InvoiceStatus, Transaction
from ..common import pk as _pk
from ..common import require_power
from ..posting import transaction_reverse

REFUSED = gettext_lazy("Your role does not allow changing invoices.")


def _require_write(user, organization_id: int) -> None:
    require_power(user, organization_id, refused=REFUSED)


def _label(invoice: Invoice) -> str:
    return invoice.number or _("draft #{id}").format(id=invoice.pk)


def _status_for(invoice: Invoice, today: Date) -> str:
    """The status an issued, not void invoice has for its paid amount and due date."""
    if invoice.paid_amount >= invoice.total:
        return InvoiceStatus.PAID
    if invoice.due_date < today:
        return InvoiceStatus.OVERDUE
    if invoice.paid_amount > 0:
        return InvoiceStatus.PARTIALLY_PAID
    return InvoiceStatus.ISSUED


def _lock(invoice: Invoice | int) -> Invoice:
    """The invoice re-read with its row locked until the end of the transaction."""
    return (
        Invoice.objects.select_for_update(of=("self",))
        .select_related("currency", "counterparty", "organization")
        .get(pk=_pk(invoice))
    )


def _reversal_of(posted: Transaction, *, user, date: Date, reason: str) -> Transaction:
    """The reversal of a document's posting (an issue, a payment): the one already in the books, adopted,
    else posted now, dated ``date``."""
    reversal = Transaction.objects.filter(reverses_id=posted.pk).first()
    if reversal is None:
        reversal = transaction_reverse(transaction=posted, user=user, date=date, reason=reason, for_document=True)
    return reversal


def _account_label(account: Account) -> str:
    return f"{account.code} {account.name}"
