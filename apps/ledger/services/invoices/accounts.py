"""The receivable, payable and default line accounts of invoices, created on first use, one per currency."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.language.text import in_language_of

from ...models import (
    Account,
    AccountType,
    InvoiceKind,
)


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
