"""The receivable, payable and default line accounts of invoices, created on first use, one per currency."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from ...models import (
    Account,
    AccountType,
    InvoiceKind,
)
from ..books import account_on_first_use


def invoice_balance_account_for(*, organization_id: int, kind: str, currency: str) -> Account:
    """The receivable (or payable) account in ``currency``: an active one of that purpose, or created."""
    if kind == InvoiceKind.RECEIVABLE:
        return account_on_first_use(
            organization_id=organization_id,
            currency=currency,
            purpose=Account.Purpose.RECEIVABLE,
            code=f"AR-{currency}",
            name=gettext_lazy("Accounts receivable {currency}"),
            type=AccountType.ASSET,
        )
    return account_on_first_use(
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
        return account_on_first_use(
            organization_id=organization_id,
            currency=currency,
            purpose="",
            code=f"SALES-{currency}",
            name=gettext_lazy("Sales {currency}"),
            type=AccountType.INCOME,
        )
    return account_on_first_use(
        organization_id=organization_id,
        currency=currency,
        purpose="",
        code=f"PURCHASES-{currency}",
        name=gettext_lazy("Purchases {currency}"),
        type=AccountType.EXPENSE,
    )
