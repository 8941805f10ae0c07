"""Drafts: created, changed, recalculated and deleted. A draft posts nothing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date as Date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from apps.core.mechanisms.audit import audit_record
from apps.core.models import Currency, Organization

from ...models import (
    Counterparty,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
)
from ..common import pk as _pk
from ..common import user_id as _user_id
from .base import _label, _lock, _require_write
from .lines import _lines_text, _replace_lines, _total_text, invoice_lines_check

DRAFT_FIELDS = ("kind", "counterparty", "currency", "issue_date", "due_date", "reference", "notes")


def _check_header(organization_id: int, data: dict) -> None:
    errors = {}
    kind = data.get("kind")
    if kind not in InvoiceKind.values:
        errors["kind"] = _("Choose receivable or payable.")
    counterparty = data.get("counterparty")
    if counterparty is None:
        errors["counterparty"] = _("This field is required.")
    elif not Counterparty.objects.filter(organization_id=organization_id, pk=_pk(counterparty)).exists():
        errors["counterparty"] = _("No such counterparty in this organization.")
    currency = _pk(data.get("currency"))
    if not currency:
        errors["currency"] = _("This field is required.")
    elif not Currency.objects.filter(pk=currency, is_active=True).exists():
        errors["currency"] = _("Unknown or inactive currency {currency}.").format(currency=currency)
    issue_date, due_date = data.get("issue_date"), data.get("due_date")
    if not isinstance(issue_date, Date):
        errors["issue_date"] = _("A date is required.")
    if not isinstance(due_date, Date):
        errors["due_date"] = _("A date is required.")
    elif isinstance(issue_date, Date) and due_date < issue_date:
        errors["due_date"] = _("The due date {due} is before the issue date {issued}.").format(
            due=due_date, issued=issue_date
        )
    if errors:
        raise ValidationError(errors)


def invoice_create(
    *,
    organization: Organization | int,
    user,
    kind: str,
    counterparty: Counterparty | int,
    currency: Currency | str,
    issue_date: Date,
    due_date: Date,
    lines: Iterable[Mapping] = (),
    reference: str = "",
    notes: str = "",
) -> Invoice:
    """Create a draft invoice with its lines (amounts computed here). A draft posts nothing."""
    organization_id = _pk(organization)
    _require_write(user, organization_id)
    header = {
        "kind": kind,
        "counterparty": counterparty,
        "currency": currency,
        "issue_date": issue_date,
        "due_date": due_date,
    }
    _check_header(organization_id, header)
    checked = invoice_lines_check(organization_id=organization_id, kind=kind, currency=_pk(currency), lines=lines)
    with transaction.atomic():
        invoice = Invoice.objects.create(
            organization_id=organization_id,
            kind=kind,
            counterparty_id=_pk(counterparty),
            currency_id=_pk(currency),
            issue_date=issue_date,
            due_date=due_date,
            reference=(reference or "")[:64],
            notes=notes or "",
            created_by_id=_user_id(user),
        )
        invoice.total = _replace_lines(invoice, checked)
        invoice.save(update_fields=["total"])
        audit_record(
            action="ledger.invoice.create",
            actor=user,
            organization=organization_id,
            obj=invoice,
            changes={
                **{name: [None, str(getattr(invoice, name))] for name in DRAFT_FIELDS},
                "total": [None, _total_text(invoice)],
                "lines": [[], _lines_text(checked)],
            },
        )
    return invoice


def _draft_refusal(invoice: Invoice) -> ValidationError:
    return ValidationError(
        _("Invoice {invoice} is {status}: only a draft can be changed.").format(
            invoice=_label(invoice), status=InvoiceStatus(invoice.status).label
        ),
        code="not_draft",
    )


def invoice_update(*, invoice: Invoice | int, user, lines: Iterable[Mapping] | None = None, **fields) -> Invoice:
    """Change a draft: any of ``kind``, ``counterparty``, ``currency``, ``issue_date``, ``due_date``,
    ``reference``, ``notes``, and (when given) replace its lines."""
    unknown = set(fields) - set(DRAFT_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: {names}.").format(names=", ".join(sorted(unknown))))
    with transaction.atomic():
        locked = _lock(invoice)
        _require_write(user, locked.organization_id)
        if locked.status != InvoiceStatus.DRAFT:
            raise _draft_refusal(locked)
        header = {
            name: getattr(locked, name) for name in ("kind", "counterparty", "currency", "issue_date", "due_date")
        }
        header.update({k: v for k, v in fields.items() if k in header})
        _check_header(locked.organization_id, header)
        currency = _pk(header["currency"])
        if lines is None:
            lines = [
                {
                    "description": line.description,
                    "quantity": line.quantity,
                    "unit_price": line.unit_price,
                    "account": line.account_id,
                    "category": line.category_id,
                    "project": line.project_id,
                }
                for line in locked.lines.all()
            ]
        checked = invoice_lines_check(
            organization_id=locked.organization_id, kind=header["kind"], currency=currency, lines=lines
        )
        before = {name: str(getattr(locked, name)) for name in DRAFT_FIELDS}
        before["total"] = _total_text(locked)
        before["lines"] = _lines_text(locked.lines.all())
        locked.kind = header["kind"]
        locked.counterparty_id = _pk(header["counterparty"])
        locked.currency_id = currency
        locked.issue_date = header["issue_date"]
        locked.due_date = header["due_date"]
        if "reference" in fields:
            locked.reference = (fields["reference"] or "")[:64]
        if "notes" in fields:
            locked.notes = fields["notes"] or ""
        locked.total = _replace_lines(locked, checked)
        locked.save()
        locked = _lock(locked)  # fresh related rows (counterparty, currency) for the caller
        after = {name: str(getattr(locked, name)) for name in DRAFT_FIELDS}
        after["total"] = _total_text(locked)
        after["lines"] = _lines_text(locked.lines.all())
        audit_record(
            action="ledger.invoice.update",
            actor=user,
            organization=locked.organization_id,
            obj=locked,
            changes={name: [before[name], after[name]] for name in after if before[name] != after[name]},
        )
    return locked


def invoice_recalculate(*, invoice: Invoice | int, user) -> Invoice:
    """Re-check a draft's lines as they are stored (after a form saved them) and store their amounts and the
    total. Raises ValidationError naming the line if one is wrong."""
    with transaction.atomic():
        locked = _lock(invoice)
        _require_write(user, locked.organization_id)
        if locked.status != InvoiceStatus.DRAFT:
            raise _draft_refusal(locked)
        stored = list(locked.lines.all())
        checked = invoice_lines_check(
            organization_id=locked.organization_id,
            kind=locked.kind,
            currency=locked.currency,
            lines=[
                {
                    "description": line.description,
                    "quantity": line.quantity,
                    "unit_price": line.unit_price,
                    "account": line.account_id,
                    "category": line.category_id,
                    "project": line.project_id,
                }
                for line in stored
            ],
        )
        for line, data in zip(stored, checked, strict=True):
            if line.amount != data.amount:
                line.amount = data.amount
                line.save(update_fields=["amount"])
        total = sum((data.amount for data in checked), Decimal(0))
        if locked.total != total:
            locked.total = total
            locked.save(update_fields=["total"])
    return locked


def invoice_delete(*, invoice: Invoice | int, user) -> None:
    """Delete a draft (issued invoices are voided instead: their number and postings stay)."""
    with transaction.atomic():
        locked = _lock(invoice)
        _require_write(user, locked.organization_id)
        if locked.status != InvoiceStatus.DRAFT:
            raise ValidationError(
                _("Invoice {invoice} is {status}: only a draft can be deleted; void it instead.").format(
                    invoice=_label(locked), status=InvoiceStatus(locked.status).label
                ),
                code="not_draft",
            )
        audit_record(action="ledger.invoice.delete", actor=user, organization=locked.organization_id, obj=locked)
        locked.lines.all().delete()
        locked.delete()
