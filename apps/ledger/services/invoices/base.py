"""What every invoice use case shares: the row lock, the status an invoice has for its payments and due
date, the permission check, the label of an invoice in messages."""

from __future__ import annotations

from datetime import date as Date

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from apps.core.accounts.roles import write_power
from apps.core.accounts.tenancy import has_power

from ...models import (
    Account,
    Invoice,
    InvoiceStatus,
)


def _pk(value):
    return getattr(value, "pk", value)


def _user_id(user) -> int | None:
    user_id = getattr(user, "pk", None) if getattr(user, "is_authenticated", False) else None
    return user_id if isinstance(user_id, int) else None


def _require_write(user, organization_id: int) -> None:
    if user is None:
        return  # system work (tasks, demo data) acts for the organization itself
    if not has_power(user, write_power("ledger"), organization_id):
        raise PermissionDenied(_("Your role does not allow changing invoices."))


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


def _account_label(account: Account) -> str:
    return f"{account.code} {account.name}"
