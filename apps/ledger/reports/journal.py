"""The books of one organization as a plain-text accounting journal (beancount or hledger), so that an
independent tool can recompute every balance from the entries alone.

- Accounts are named ``<Root>:<parent…>:<code>-<name>``, the root from the account type (``Assets``,
  ``Liabilities``, ``Equity``, ``Income``, ``Expenses``) and each component reduced to letters, digits
  and dashes, starting with a capital or a digit (what both tools accept); the rare clash of two
  sanitized names gets the account id appended. Every account is opened, with its currency, on the date
  of the first entry of the books.
- One journal transaction per ledger transaction, in (date, id) order, with its postings in entry order.
  Amounts are written exactly, with the currency's precision; the transaction's id and kind, and each
  leg's project, category, counterparty and memo, go along as metadata (beancount) or tags (hledger).
- At the end, a balance assertion per account with entries (the stored balance the day after the last
  entry; for beancount, whose check includes sub-accounts, the account's with its sub-accounts'), so the
  tool itself confirms the books; ``assertions=False`` leaves them out.

Entries are read from a server-side cursor, so a journal of millions of entries streams in constant memory.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import TextIO

from django.db.models import Max, Min

from apps.core.models import Currency, Organization

from ..models import Account, AccountBalance, AccountType, TransactionEntry

FORMATS = ("beancount", "hledger")
ROOTS = {
    AccountType.ASSET: "Assets",
    AccountType.LIABILITY: "Liabilities",
    AccountType.EQUITY: "Equity",
    AccountType.INCOME: "Income",
    AccountType.EXPENSE: "Expenses",
}
HLEDGER_TYPES = {"asset": "A", "liability": "L", "equity": "E", "income": "R", "expense": "X"}
# What beancount's account pattern allows in a component ([\p{L}\p{Nd}-]); hledger allows all of it too.
_NAME_CATEGORIES = frozenset({"Lu", "Ll", "Lt", "Lm", "Lo", "Nd"})
_DASHES = re.compile(r"-{2,}")
_BEANCOUNT_CURRENCY = re.compile(r"^[A-Z][A-Z0-9'._-]{0,22}[A-Z0-9]$")
CHUNK = 5000


@dataclass(frozen=True)
class JournalSummary:
    accounts: int
    transactions: int
    postings: int


def account_component(text: str) -> str:
    """``text`` as one component of an account name: letters, decimal digits and single dashes, the first
    character a capital letter or a digit (an initial small letter is capitalised; anything else, a letter
    of a script without case say, gets an "X" in front)."""
    kept = "".join(c if unicodedata.category(c) in _NAME_CATEGORIES else "-" for c in text)
    component = _DASHES.sub("-", kept).strip("-")
    if not component:
        return ""
    if unicodedata.category(component[0]) == "Ll":
        component = component[0].upper() + component[1:]
    if unicodedata.category(component[0]) not in ("Lu", "Nd") or not all(
        unicodedata.category(c) in _NAME_CATEGORIES or c == "-" for c in component
    ):
        component = "X" + component
    return component


def account_names(accounts: list[Account]) -> dict[int, str]:
    """A valid, unique journal name for each account, with its parents (of the same type) as components."""
    by_id = {account.pk: account for account in accounts}

    def path(account: Account) -> list[str]:
        parts, seen, node = [], set(), account
        while node is not None and node.pk not in seen:
            seen.add(node.pk)
            parts.append(account_component(f"{node.code} {node.name}") or f"Account{node.pk}")
            parent = by_id.get(node.parent_id)
            node = parent if parent is not None and parent.type == account.type else None
        return [ROOTS[account.type], *reversed(parts)]

    names: dict[int, str] = {}
    used: set[str] = set()
    for account in sorted(accounts, key=lambda a: a.pk):
        name = ":".join(path(account))
        if name.casefold() in used:
            name = f"{name}-{account.pk}"
        used.add(name.casefold())
        names[account.pk] = name
    return names


def commodity(code: str, fmt: str) -> str:
    if fmt == "beancount":
        return code if _BEANCOUNT_CURRENCY.match(code) else f"X{code}"
    return code if code.isalpha() else f'"{code}"'


def _amount(value: Decimal, precision: int) -> str:
    return format(Decimal(value).quantize(Decimal(1).scaleb(-precision)), "f")


def _bean_string(text: str) -> str:
    text = " ".join((text or "").split())
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _hledger_text(text: str, *, tag: bool = False) -> str:
    text = " ".join((text or "").split()).replace(";", ",")
    return text.replace(",", " ").replace(":", " ") if tag else text


def journal_export(
    *, organization: Organization | int, fmt: str, out: TextIO, assertions: bool = True
) -> JournalSummary:
    """Write the organization's books to ``out`` in ``fmt`` (``beancount`` or ``hledger``)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown journal format {fmt!r}; use one of {', '.join(FORMATS)}")
    organization_id = getattr(organization, "pk", organization)
    org = Organization.objects.get(pk=organization_id)
    accounts = list(Account.objects.filter(organization_id=organization_id).order_by("code"))
    names = account_names(accounts)
    precision = dict(Currency.objects.values_list("code", "precision"))
    entries = TransactionEntry.objects.filter(organization_id=organization_id)
    span = entries.aggregate(first=Min("date"), last=Max("date"))
    opened = span["first"] or org.today()

    write = out.write
    if fmt == "beancount":
        write(f";; Kontora books of {' '.join(org.name.split())}, beancount format\n")
        write(f'option "title" {_bean_string(org.name)}\n')
        write(f'option "operating_currency" "{commodity(org.reporting_currency_id, fmt)}"\n\n')
        for account in accounts:
            write(f"{opened.isoformat()} open {names[account.pk]} {commodity(account.currency_id, fmt)}\n")
    else:
        write(f"; Kontora books of {' '.join(org.name.split())}, hledger format\n")
        write("decimal-mark .\n\n")
        for code in sorted({account.currency_id for account in accounts}):
            sample = _amount(Decimal(1000), precision.get(code, 2))
            write(f"commodity {sample} {commodity(code, fmt)}\n")
        write("\n")
        for account in accounts:
            write(f"account {names[account.pk]}  ; type:{HLEDGER_TYPES[account.type]}\n")
    write("\n")

    transactions = postings = 0
    for header, legs in _transactions(entries):
        transactions += 1
        postings += len(legs)
        write(_transaction(fmt, header, legs, names, precision))

    if assertions and span["last"] is not None:
        write(_assertions(fmt, span["last"] + dt.timedelta(days=1), accounts, names, precision))
    return JournalSummary(accounts=len(accounts), transactions=transactions, postings=postings)


def _transactions(entries) -> Iterator[tuple[tuple, list[tuple]]]:
    rows = (
        entries.order_by("date", "transaction_id", "id")
        .values_list(
            "transaction_id",
            "date",
            "transaction__kind",
            "transaction__description",
            "account_id",
            "currency_id",
            "amount",
            "project__name",
            "category__name",
            "counterparty__name",
            "memo",
        )
        .iterator(chunk_size=CHUNK)
    )
    current, legs = None, []
    for transaction_id, day, kind, description, *leg in rows:
        if current is not None and current[0] != transaction_id:
            yield current, legs
            legs = []
        current = (transaction_id, day, kind, description)
        legs.append(tuple(leg))
    if current is not None:
        yield current, legs


def _transaction(fmt: str, header: tuple, legs: list[tuple], names: dict[int, str], precision: dict) -> str:
    transaction_id, day, kind, description = header
    lines = []
    if fmt == "beancount":
        lines.append(f"{day.isoformat()} * {_bean_string(description)}")
        lines.append(f'  kontora-transaction: "{transaction_id}"')
        lines.append(f'  kontora-kind: "{kind}"')
        for account_id, currency, amount, project, category, counterparty, memo in legs:
            lines.append(
                f"  {names[account_id]}  {_amount(amount, precision.get(currency, 8))} {commodity(currency, fmt)}"
            )
            for key, value in (("project", project), ("category", category), ("counterparty", counterparty)):
                if value:
                    lines.append(f"    {key}: {_bean_string(value)}")
            if memo:
                lines.append(f"    memo: {_bean_string(memo)}")
    else:
        lines.append(
            f"{day.isoformat()} * {_hledger_text(description)}  ; kontora-transaction:{transaction_id}, kind:{kind}"
        )
        for account_id, currency, amount, project, category, counterparty, memo in legs:
            tags = [
                f"{key}:{_hledger_text(value, tag=True)}"
                for key, value in (("project", project), ("category", category), ("counterparty", counterparty))
                if value
            ]
            if memo:
                tags.append(f"memo:{_hledger_text(memo, tag=True)}")
            comment = f"  ; {', '.join(tags)}" if tags else ""
            amount_text = f"{_amount(amount, precision.get(currency, 8))} {commodity(currency, fmt)}"
            lines.append(f"    {names[account_id]}  {amount_text}{comment}")
    return "\n".join(lines) + "\n\n"


def _assertions(fmt: str, day: dt.date, accounts: list[Account], names: dict[int, str], precision: dict) -> str:
    stored = dict(
        AccountBalance.objects.filter(account__in=[a.pk for a in accounts], entry_count__gt=0).values_list(
            "account_id", "balance"
        )
    )
    used = [account for account in accounts if account.pk in stored]
    if not used:
        return ""
    if fmt == "beancount":
        # beancount's balance check includes the sub-accounts (in the asserted currency): assert the subtree.
        subtree: dict[int, Decimal] = {}
        for account in used:
            prefix = names[account.pk] + ":"
            subtree[account.pk] = sum(
                (
                    stored[other.pk]
                    for other in used
                    if other.currency_id == account.currency_id
                    and (other.pk == account.pk or names[other.pk].startswith(prefix))
                ),
                Decimal(0),
            )
        lines = ["; The stored balances (of each account with its sub-accounts), which the entries above add up to."]
        for account in used:
            amount = _amount(subtree[account.pk], precision.get(account.currency_id, 8))
            lines.append(
                f"{day.isoformat()} balance {names[account.pk]}  {amount} {commodity(account.currency_id, fmt)}"
            )
        return "\n".join(lines) + "\n"
    lines = [f"{day.isoformat()} Kontora stored balances  ; the entries above must add up to them"]
    for account in used:
        currency = commodity(account.currency_id, fmt)
        amount = _amount(stored[account.pk], precision.get(account.currency_id, 8))
        lines.append(f"    {names[account.pk]}  0 {currency} = {amount} {currency}")
    return "\n".join(lines) + "\n"
