"""Invoices: drafts, issuing (a gap-free number and the receivable or payable posting), payments allocated to
them, voiding, and the overdue sweep.

Every posting carries an idempotency key: ``invoice:<id>:issue`` for the issue, ``invoice-payment:<id>:<key>``
for a payment (``key`` chosen by the caller, one per submission, so a double click pays once), and
``reversal:<transaction id>`` for voids and payment reversals (see :func:`transaction_reverse`). Every change of
an invoice's money or status happens with its row locked (``SELECT … FOR UPDATE``), in one database
transaction with the posting and the audit record.

Receivable and payable accounts are created on first use, one per currency (``AR-<currency>`` and
``AP-<currency>``), unless the organization already has an active account of that purpose and currency, which is
then used; a line without an account is booked to ``SALES-<currency>`` (receivables) or
``PURCHASES-<currency>`` (payables), also created on first use. So the first invoice in a new currency works
without preparing the chart, and an organization that set its own accounts up keeps them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date as Date
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from apps.core.accounts.roles import write_power
from apps.core.accounts.tenancy import has_power
from apps.core.language.formatting import format_date, format_money
from apps.core.language.text import in_language_of
from apps.core.mechanisms.audit import audit_record
from apps.core.mechanisms.idempotency import clean_client_key, mark_replay, product_key, replay_of
from apps.core.models import Currency, Organization
from apps.core.money.amounts import check_precision, check_size, round_to, to_decimal

from ..models import (
    INVOICE_POSTED_STATUSES,
    Account,
    AccountType,
    Category,
    Counterparty,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoicePayment,
    InvoiceStatus,
    Project,
    Transaction,
)
from . import purposes
from .posting import Leg, transaction_post, transaction_reverse
from .purposes import account_purpose_check

logger = logging.getLogger(__name__)

NUMBER_PREFIX = {InvoiceKind.RECEIVABLE: "INV", InvoiceKind.PAYABLE: "BILL"}
# The caller's part of a payment's idempotency key; the posting's whole key must fit 128 characters.
MAX_LINES = 500


# --- helpers ----------------------------------------------------------------------------------------------


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


# --- accounts ---------------------------------------------------------------------------------------------


def _in_language_of(organization_id: int, template: Promise, currency: str) -> str:
    with in_language_of(organization_id):
        return str(template).format(currency=currency)


def _account_on_first_use(
    *, organization_id: int, currency: str, purpose: str, code: str, name: Promise, type: str
) -> Account:
    """The active account of ``purpose`` in ``currency``, else the one with ``code``, created on first use and
    named (``name``, a template with ``{currency}``) in the organization's language."""
    if purpose:
        existing = (
            Account.objects.filter(
                organization_id=organization_id, currency_id=currency, purpose=purpose, is_active=True
            )
            .order_by("pk")
            .first()
        )
        if existing is not None:
            return existing
    account, _created = Account.objects.get_or_create(
        organization_id=organization_id,
        code=code,
        defaults={
            "name": lambda: _in_language_of(organization_id, name, currency),
            "type": type,
            "currency_id": currency,
            "purpose": purpose,
        },
    )
    if account.currency_id != currency or not account.is_active:
        raise ValidationError(
            {
                "currency": _(
                    "Account {code} exists but is closed or holds another currency than {currency}; "
                    "give the organization an active account for {currency} or rename {code}."
                ).format(code=code, currency=currency)
            }
        )
    return account


def invoice_balance_account_for(*, organization_id: int, kind: str, currency: str) -> Account:
    """The receivable (or payable) account in ``currency``: an active one of that purpose, or created."""
    if kind == InvoiceKind.RECEIVABLE:
        return _account_on_first_use(
            organization_id=organization_id,
            currency=currency,
            purpose=Account.Purpose.RECEIVABLE,
            code=f"AR-{currency}",
            name=gettext_lazy("Accounts receivable {currency}"),
            type=AccountType.ASSET,
        )
    return _account_on_first_use(
        organization_id=organization_id,
        currency=currency,
        purpose=Account.Purpose.PAYABLE,
        code=f"AP-{currency}",
        name=gettext_lazy("Accounts payable {currency}"),
        type=AccountType.LIABILITY,
    )


def invoice_default_line_account_for(*, organization_id: int, kind: str, currency: str) -> Account:
    """Where a line without an account is booked: sales (receivables) or purchases (payables)."""
    if kind == InvoiceKind.RECEIVABLE:
        return _account_on_first_use(
            organization_id=organization_id,
            currency=currency,
            purpose="",
            code=f"SALES-{currency}",
            name=gettext_lazy("Sales {currency}"),
            type=AccountType.INCOME,
        )
    return _account_on_first_use(
        organization_id=organization_id,
        currency=currency,
        purpose="",
        code=f"PURCHASES-{currency}",
        name=gettext_lazy("Purchases {currency}"),
        type=AccountType.EXPENSE,
    )


# --- lines ------------------------------------------------------------------------------------------------

# A receivable invoice sells (its lines are income), a payable one buys (its lines are expenses).
LINE_PURPOSES = {InvoiceKind.RECEIVABLE: purposes.INCOME, InvoiceKind.PAYABLE: purposes.EXPENSE}


@dataclass(frozen=True)
class LineData:
    """A checked invoice line, ready to be saved."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    account: int | None = None
    category: int | None = None
    project: int | None = None


def line_amount(quantity: Decimal, unit_price: Decimal, precision: int) -> Decimal:
    """quantity × unit price, rounded half-even to the currency's precision: the one rounding point of an
    invoice (the total is the sum of rounded lines, so the lines always add up to it)."""
    return round_to(quantity * unit_price, precision)


def invoice_lines_check(
    *, organization_id: int, kind: str, currency: Currency | str, lines: Iterable[Mapping]
) -> list[LineData]:
    """Check lines given as mappings (``description``, ``quantity``, ``unit_price``, optional ``account``,
    ``category``, ``project`` as rows or ids) and compute their amounts. Raises one ValidationError naming
    every bad field as ``lines.<index>.<field>``."""
    if not isinstance(currency, Currency):
        currency = Currency.objects.get(pk=currency)
    lines = list(lines)
    if len(lines) > MAX_LINES:
        raise ValidationError({"lines": _("At most {n} lines per invoice.").format(n=MAX_LINES)})
    ids = {name: {_pk(line.get(name)) for line in lines} - {None, ""} for name in ("account", "category", "project")}
    accounts = purposes.accounts_with_children_flag(organization_id, _ints(ids["account"]))
    categories = set(
        Category.objects.filter(organization_id=organization_id, pk__in=_ints(ids["category"])).values_list(
            "pk", flat=True
        )
    )
    projects = set(
        Project.objects.filter(organization_id=organization_id, pk__in=_ints(ids["project"])).values_list(
            "pk", flat=True
        )
    )
    errors: dict[str, list[str]] = {}
    checked = []
    for index, line in enumerate(lines):
        prefix = f"lines.{index}."

        def refuse(name: str, message: str, prefix=prefix) -> None:
            errors.setdefault(prefix + name, []).append(message)

        description = str(line.get("description") or "").strip()
        if not description:
            refuse("description", _("Describe what this line is for."))
        quantity = unit_price = None
        try:
            quantity = to_decimal(line.get("quantity", 1), field="quantity", max_digits=20, decimal_places=6)
            if quantity <= 0:
                refuse("quantity", _("The quantity must be above zero."))
            elif quantity != round(quantity, 6):
                refuse("quantity", _("The quantity may have at most 6 decimals."))
        except ValidationError as error:
            refuse("quantity", error.message_dict["quantity"][0])
            quantity = None
        raw_price = line.get("unit_price")
        if raw_price in (None, ""):
            refuse("unit_price", _("This field is required."))
        else:
            try:
                unit_price = to_decimal(raw_price, field="unit_price")
                if unit_price < 0:
                    refuse("unit_price", _("The unit price must not be negative."))
                elif unit_price != round(unit_price, 8):
                    refuse("unit_price", _("The unit price may have at most 8 decimals."))
            except ValidationError as error:
                refuse("unit_price", error.message_dict["unit_price"][0])
                unit_price = None
        account_id = _pk(line.get("account")) or None
        if account_id is not None:
            account = accounts.get(account_id)
            if account is None:
                refuse("account", _("No such account in this organization."))
            elif not account.is_active:
                refuse("account", _("Account {account} is closed.").format(account=_account_label(account)))
            elif account.currency_id != currency.code:
                refuse(
                    "account",
                    _("Account {account} holds {account_currency}; the invoice is in {currency}.").format(
                        account=_account_label(account), account_currency=account.currency_id, currency=currency.code
                    ),
                )
            else:
                try:
                    account_purpose_check(account, LINE_PURPOSES[kind])
                except ValidationError as error:
                    refuse("account", error.message_dict["account"][0])
        category_id = _pk(line.get("category")) or None
        if category_id is not None and category_id not in categories:
            refuse("category", _("No such category in this organization."))
        project_id = _pk(line.get("project")) or None
        if project_id is not None and project_id not in projects:
            refuse("project", _("No such project in this organization."))
        if quantity is not None and unit_price is not None and not any(k.startswith(prefix) for k in errors):
            try:  # before rounding: quantizing a product past the column's digits would fail outright
                check_size(quantity * unit_price, field="unit_price")
            except ValidationError:
                refuse("unit_price", _("Quantity × unit price is too large for an amount."))
                continue
            amount = line_amount(quantity, unit_price, currency.precision)
            checked.append(
                LineData(
                    description=description[:500],
                    quantity=quantity,
                    unit_price=unit_price,
                    amount=amount,
                    account=account_id,
                    category=category_id,
                    project=project_id,
                )
            )
    if not errors:
        try:
            check_size(sum((line.amount for line in checked), Decimal(0)), field="lines")
        except ValidationError:
            errors["lines"] = [_("The invoice's total is too large for an amount.")]
    if errors:
        raise ValidationError(errors)
    return checked


def _ints(values) -> list[int]:
    out = []
    for value in values:
        try:
            out.append(int(value))
        except (TypeError, ValueError):
            continue
    return out


def _total_text(invoice: Invoice) -> str:
    return str(round_to(invoice.total, Currency.objects.get(pk=invoice.currency_id).precision))


def _lines_text(lines: Iterable) -> list[str]:
    """Lines as the audit record shows them: "description: quantity × unit price = amount → account"."""
    texts = []
    for line in lines:
        account = line.account_id if isinstance(line, InvoiceLine) else line.account
        quantity, price, amount = (f"{Decimal(v).normalize():f}" for v in (line.quantity, line.unit_price, line.amount))
        texts.append(f"{line.description}: {quantity} × {price} = {amount} → {account or '—'}")
    return texts


def _replace_lines(invoice: Invoice, lines: list[LineData]) -> Decimal:
    invoice.lines.all().delete()
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=invoice,
            position=position,
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            amount=line.amount,
            account_id=line.account,
            category_id=line.category,
            project_id=line.project,
        )
        for position, line in enumerate(lines, start=1)
    )
    return sum((line.amount for line in lines), Decimal(0))


# --- drafts -----------------------------------------------------------------------------------------------

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


# --- issuing ----------------------------------------------------------------------------------------------

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


# --- payments ---------------------------------------------------------------------------------------------


def invoice_payment_record(
    *,
    invoice: Invoice | int,
    user,
    amount,
    date: Date,
    account: Account | int,
    idempotency_key: str,
) -> InvoicePayment:
    """Record a payment of ``amount`` on ``date`` through the cash or bank ``account`` and allocate it to the
    invoice: debit cash, credit the receivable (or debit the payable, credit cash). Repeating the same
    ``idempotency_key`` returns the first payment and posts nothing."""
    key = clean_client_key(idempotency_key)
    with transaction.atomic():
        locked = _lock(invoice)
        _require_write(user, locked.organization_id)
        posting_key = product_key("invoice-payment", locked.pk, key)
        repeated = (
            InvoicePayment.objects.filter(invoice_id=locked.pk, transaction__idempotency_key=posting_key)
            .select_related("transaction")
            .first()
        )
        if repeated is not None:
            return replay_of(
                repeated,
                key,
                (
                    (_("amount"), _same_amount(repeated.amount, amount)),
                    (_("date"), repeated.date == date),
                    (_("account"), repeated.account_id == _pk(account)),
                ),
            )
        label = _label(locked)
        if locked.status == InvoiceStatus.DRAFT:
            raise ValidationError(
                _("Invoice {invoice} is a draft: issue it before recording a payment.").format(invoice=label),
                code="not_issued",
            )
        if locked.status == InvoiceStatus.VOID:
            raise ValidationError(
                _("Invoice {invoice} is void: it takes no payments.").format(invoice=label), code="void"
            )
        if locked.status == InvoiceStatus.PAID:
            raise ValidationError(
                _("Invoice {invoice} is already paid in full.").format(invoice=label), code="already_paid"
            )
        errors = {}
        amount = to_decimal(amount, field="amount")
        outstanding = locked.outstanding
        if amount <= 0:
            errors["amount"] = _("The amount must be above zero.")
        elif amount > outstanding:
            errors["amount"] = _("{amount} is more than the {outstanding} still due on {invoice}.").format(
                amount=format_money(amount, locked.currency),
                outstanding=format_money(round_to(outstanding, locked.currency.precision), locked.currency),
                invoice=label,
            )
        else:
            try:
                check_precision(amount, currency=locked.currency_id, precision=locked.currency.precision)
            except ValidationError as error:
                errors.update(error.message_dict)
        if not isinstance(date, Date):
            errors["date"] = _("A date is required.")
        elif date < locked.issue_date:
            errors["date"] = _("The payment date {date} is before the invoice's issue date {issued}.").format(
                date=format_date(date), issued=format_date(locked.issue_date)
            )
        cash = purposes.accounts_with_children_flag(locked.organization_id, [_pk(account)]).get(_pk(account))
        try:
            account_purpose_check(cash, purposes.CASH)
        except ValidationError as error:
            errors.update(error.message_dict)
        else:
            if cash.currency_id != locked.currency_id:
                errors["account"] = _(
                    "Account {account} holds {account_currency}; the invoice is in {currency}."
                ).format(account=_account_label(cash), account_currency=cash.currency_id, currency=locked.currency_id)
            elif cash.pk == locked.balance_account_id:
                errors["account"] = _("Choose the cash or bank account the money moved through, not {account}.").format(
                    account=_account_label(cash)
                )
        if errors:
            raise ValidationError(errors)
        counterparty_id = locked.counterparty_id
        if locked.kind == InvoiceKind.RECEIVABLE:
            legs = [
                Leg(cash.pk, amount, counterparty=counterparty_id, memo=label),
                Leg(locked.balance_account_id, -amount, counterparty=counterparty_id, memo=label),
            ]
        else:
            legs = [
                Leg(locked.balance_account_id, amount, counterparty=counterparty_id, memo=label),
                Leg(cash.pk, -amount, counterparty=counterparty_id, memo=label),
            ]
        with in_language_of(locked.organization_id):
            description = _("Payment of invoice {number}, {counterparty}").format(
                number=label, counterparty=locked.counterparty
            )
        posted = transaction_post(
            organization=locked.organization_id,
            user=user,
            date=date,
            entries=legs,
            idempotency_key=posting_key,
            description=description,
            kind=Transaction.Kind.PAYMENT,
        )
        payment = InvoicePayment.objects.create(
            organization_id=locked.organization_id,
            invoice=locked,
            date=date,
            amount=amount,
            account=cash,
            transaction=posted,
            created_by_id=_user_id(user),
        )
        before = locked.status
        locked.paid_amount += amount
        locked.status = _status_for(locked, locked.organization.today())
        locked.save(update_fields=["paid_amount", "status"])
        audit_record(
            action="ledger.invoice.pay",
            actor=user,
            organization=locked.organization_id,
            obj=locked,
            changes={
                "amount": str(amount),
                "paid_amount": str(locked.paid_amount),
                "status": [before, locked.status],
                "transaction": posted.pk,
            },
        )
    payment.invoice = locked
    return mark_replay(payment, False)


def _same_amount(recorded: Decimal, asked) -> bool:
    try:
        return recorded == to_decimal(asked, field="amount")
    except ValidationError:
        return False


def invoice_payment_reverse(
    *, payment: InvoicePayment | int, user, date: Date | None = None, reason: str = ""
) -> InvoicePayment:
    """Reverse a payment (a mistake, a bounced transfer): post the reversal of its posting and take it off the
    invoice's paid amount. Reversing a reversed payment changes nothing. If the payment's posting was already
    reversed directly in the books, that reversal is adopted."""
    invoice_id = InvoicePayment.objects.values_list("invoice_id", flat=True).get(pk=_pk(payment))
    with transaction.atomic():
        locked = _lock(invoice_id)
        _require_write(user, locked.organization_id)
        payment = InvoicePayment.objects.select_for_update().select_related("transaction").get(pk=_pk(payment))
        if payment.reversal_transaction_id is not None:
            return payment
        reversal = Transaction.objects.filter(reverses_id=payment.transaction_id).first()
        if reversal is None:
            reversal = transaction_reverse(
                transaction=payment.transaction,
                user=user,
                date=date or max(locked.organization.today(), payment.date),
                reason=reason or _("payment of invoice {invoice} reversed").format(invoice=_label(locked)),
                for_document=True,
            )
        payment.reversal_transaction = reversal
        payment.save(update_fields=["reversal_transaction"])
        before = locked.status
        locked.paid_amount -= payment.amount
        locked.status = _status_for(locked, locked.organization.today())
        locked.save(update_fields=["paid_amount", "status"])
        audit_record(
            action="ledger.invoice.payment_reverse",
            actor=user,
            organization=locked.organization_id,
            obj=locked,
            changes={
                "payment": payment.pk,
                "amount": str(payment.amount),
                "status": [before, locked.status],
                "reversal": reversal.pk,
                "reason": reason,
            },
        )
    payment.invoice = locked
    return payment


# --- voiding ----------------------------------------------------------------------------------------------


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
            reversal = Transaction.objects.filter(reverses_id=locked.issue_transaction_id).first()
            if reversal is None:
                reversal = transaction_reverse(
                    transaction=locked.issue_transaction,
                    user=user,
                    date=date or max(locked.organization.today(), locked.issue_date),
                    reason=reason or _("invoice {invoice} voided").format(invoice=_label(locked)),
                    for_document=True,
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


# --- the overdue sweep ------------------------------------------------------------------------------------

_MARK_OVERDUE = """
UPDATE ledger_invoice i SET status = 'overdue'
  FROM core_organization o
 WHERE o.id = i.organization_id
   AND i.status IN ('issued', 'partially_paid')
   AND i.due_date < (%s::timestamptz AT TIME ZONE o.time_zone)::date
"""


def invoices_mark_overdue(*, organization: Organization | int | None = None, now: datetime | None = None) -> int:
    """Mark as overdue every issued or partly paid invoice whose due date has passed where its organization
    is (its time zone). One set-based statement; running it again changes nothing. Returns how many changed."""
    sql, params = _MARK_OVERDUE, [now or timezone.now()]
    if organization is not None:
        sql += " AND i.organization_id = %s"
        params.append(_pk(organization))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        changed = cursor.rowcount
    if changed:
        logger.info("%s invoice(s) marked overdue", changed)
    return changed
