"""Turns the ledger's database rule violations into clear, translated validation errors.

The rules live in PostgreSQL (apps/ledger/sql/); each raises SQLSTATE 23514 with a constraint name
and a JSON DETAIL. Here each constraint name becomes a message naming the field, the leg and the values.
"""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.utils.translation import gettext as _

from apps.core.language.formatting import format_date
from apps.core.mechanisms.idempotency import display_key


def _diag(error: DatabaseError) -> tuple[str | None, dict]:
    """The constraint a database error names, and its JSON DETAIL (empty when it has none)."""
    cause = error.__cause__
    diag = getattr(cause, "diag", None)
    if diag is None:
        return None, {}
    try:
        detail = json.loads(diag.message_detail) if diag.message_detail and diag.message_detail.startswith("{") else {}
    except ValueError:
        detail = {}
    return diag.constraint_name, detail


def translate(
    error: DatabaseError, *, accounts: dict[int, str] | None = None, batch: bool = False
) -> ValidationError | None:
    """A ValidationError for a known ledger rule, or ``None`` if ``error`` is something else. In a batch,
    field names start with the posting (``postings.3.entries.1.amount``)."""
    constraint, detail = _diag(error)
    accounts = accounts or {}
    posting = f"postings.{detail['posting']}." if batch and "posting" in detail else ""

    def _leg_field(detail: dict, name: str) -> str:
        return f"{posting}entries.{detail['leg']}.{name}" if "leg" in detail else f"{posting}entries"

    if constraint == "ledger_transaction_balanced":
        return ValidationError(
            {
                f"{posting}entries": _(
                    "The entries do not balance in {currency}: debits and credits differ by {total}."
                ).format(currency=detail.get("currency", "?"), total=detail.get("total", "?"))
            },
            code="unbalanced",
        )
    if constraint == "ledger_batch_duplicate_key":
        return ValidationError(
            {
                f"{posting}idempotency_key": _(
                    "The idempotency key {key} appears more than once in this batch."
                ).format(key=display_key(detail.get("key") or ""))
            },
            code="duplicate_key",
        )
    if constraint == "ledger_transaction_legs":
        return ValidationError({"entries": _("A transaction needs at least two entries.")}, code="too_few_legs")
    if constraint == "ledger_leg_account_unknown":
        return ValidationError(
            {
                _leg_field(detail, "account"): _("Account {account} does not exist in this organization.").format(
                    account=detail.get("account")
                )
            },
            code="unknown_account",
        )
    if constraint == "ledger_leg_account_inactive":
        return ValidationError(
            {
                _leg_field(detail, "account"): _("Account {account} is closed.").format(
                    account=accounts.get(detail.get("account"), detail.get("account"))
                )
            },
            code="inactive_account",
        )
    if constraint == "ledger_leg_account_parent":
        return ValidationError(
            {
                _leg_field(detail, "account"): _(
                    "Account {account} has sub-accounts and takes no postings; choose one of them."
                ).format(account=accounts.get(detail.get("account"), detail.get("account")))
            },
            code="parent_account",
        )
    if constraint in ("ledger_leg_amount_zero", "ledger_entry_amount_not_zero"):
        return ValidationError({_leg_field(detail, "amount"): _("The amount must not be zero.")}, code="zero_amount")
    if constraint == "ledger_entry_precision":
        return ValidationError(
            {
                _leg_field(detail, "amount"): _(
                    "{amount} has more decimals than {currency} allows ({precision})."
                ).format(**{k: detail.get(k, "?") for k in ("amount", "currency", "precision")})
            },
            code="precision",
        )
    if constraint == "ledger_period_closed":
        return ValidationError(
            {
                "date": _("The books are closed through {locked_through}; {date} is inside the closed period.").format(
                    locked_through=format_date(detail.get("locked_through")), date=format_date(detail.get("date"))
                )
            },
            code="period_closed",
        )
    if constraint == "ledger_balance_respects_floor":
        account_id = detail.get("account")
        return ValidationError(
            {
                "entries": _("This would take {account} below zero, and it is marked as never below zero.").format(
                    account=accounts.get(account_id, account_id or "?")
                )
            },
            code="overdraft",
        )
    if constraint == "ledger_posted_immutable":
        return ValidationError(
            _("Posted transactions cannot be changed or deleted; post a reversal instead."), code="immutable"
        )
    if constraint == "ledger_transaction_reverses_key":
        return ValidationError(_("This transaction has already been reversed."), code="already_reversed")
    if constraint in (
        "ledger_entry_matches_account",
        "ledger_entry_project_same_org",
        "ledger_entry_category_same_org",
        "ledger_entry_counterparty_same_org",
    ):
        return ValidationError(
            {"entries": _("An entry refers to a record of another organization.")}, code="foreign_tenant"
        )
    return None
