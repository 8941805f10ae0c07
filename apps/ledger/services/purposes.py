"""What an account may be picked for: the one rule behind the services' refusals and the pickers' choices.

- ``cash``: the cash or bank account money moves through (income, expense, transfer, invoice payment): an
  asset or liability account (a card's debt is a liability) that is not kept for a job of its own
  (receivables, payables, currency exchange, opening balances);
- ``income`` / ``expense``: the income account of an income (and of a receivable invoice's line), the expense
  account of an expense (and of a payable invoice's line);
- ``posting``: any account a leg may name.

Every purpose wants an open account without sub-accounts: a parent account sums its children and takes no
postings of its own (the posting function refuses a leg on one too, see ``ledger_post_many``).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from ..models import Account, AccountType

CASH = "cash"
INCOME = "income"
EXPENSE = "expense"
POSTING = "posting"

_TYPES = {
    CASH: {AccountType.ASSET, AccountType.LIABILITY},
    INCOME: {AccountType.INCOME},
    EXPENSE: {AccountType.EXPENSE},
    POSTING: set(AccountType),
}
# Accounts kept for one job are moved by the services that own it, never picked as cash or bank.
_CASH_PURPOSES = {Account.Purpose.GENERAL, Account.Purpose.CASH}


def has_children():
    return Exists(Account.objects.filter(parent_id=OuterRef("pk")))


def account_purpose_filter(purpose: str) -> Q:
    """The accounts that fit ``purpose``, as a filter on Account."""
    condition = Q(is_active=True, type__in=sorted(_TYPES[purpose])) & ~Q(has_children())
    if purpose == CASH:
        condition &= Q(purpose__in=sorted(_CASH_PURPOSES))
    return condition


def accounts_with_children_flag(organization_id: int, ids: Iterable) -> dict[int, Account]:
    """The organization's accounts among ``ids``, each knowing whether it has sub-accounts: one query, for
    services that check several accounts."""
    ids = [value for value in ids if isinstance(value, int)]
    if not ids:
        return {}
    rows = Account.objects.filter(organization_id=organization_id, pk__in=ids).annotate(has_children=has_children())
    return {account.pk: account for account in rows}


def _label(account: Account) -> str:
    return f"{account.code} {account.name}"


def account_purpose_check(account: Account | None, purpose: str, *, field: str = "account") -> None:
    """Refuse ``account`` for ``purpose`` with a ValidationError naming ``field``. ``None`` is an account that
    does not exist in the organization. The account may carry ``has_children`` (see
    :func:`accounts_with_children_flag`); otherwise it is read."""
    if account is None:
        raise ValidationError({field: _("No such account in this organization.")}, code="unknown_account")
    if not account.is_active:
        raise ValidationError(
            {field: _("Account {account} is closed.").format(account=_label(account))}, code="inactive_account"
        )
    has_children = getattr(account, "has_children", None)
    if has_children is None:
        has_children = Account.objects.filter(parent_id=account.pk).exists()
    if has_children:
        raise ValidationError(
            {
                field: _("Account {account} has sub-accounts and takes no postings; choose one of them.").format(
                    account=_label(account)
                )
            },
            code="parent_account",
        )
    fits = account.type in _TYPES[purpose] and (purpose != CASH or account.purpose in _CASH_PURPOSES)
    if fits:
        return
    messages = {
        CASH: _("Account {account} is not a cash or bank account; choose the account the money moved through."),
        INCOME: _("Account {account} is not an income account; choose an income account."),
        EXPENSE: _("Account {account} is not an expense account; choose an expense account."),
    }
    raise ValidationError({field: messages[purpose].format(account=_label(account))}, code="wrong_purpose")
