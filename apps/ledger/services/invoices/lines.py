"""Invoice lines: checked (every bad field named as ``lines.<index>.<field>``), their amounts computed (the one
rounding point of an invoice), stored, and shown in the audit trail."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from apps.core.models import Currency
from apps.core.money.amounts import check_size, round_to, to_decimal

from ...models import (
    Category,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    Project,
)
from .. import purposes
from ..common import pk as _pk
from ..purposes import account_purpose_check
from .base import _account_label

MAX_LINES = 500

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
