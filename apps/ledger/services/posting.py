"""Posting to the books. Every posting goes through :func:`transaction_post`, which hands the legs to the
database function ``ledger_post_many`` (one round trip) where the rules are enforced; the other services build
legs for the seed's operations (income, expense, transfer, exchange, reversal) and call it.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date as Date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.accounts.roles import MANAGE_ORGANIZATION
from apps.core.language.text import in_language_of
from apps.core.mechanisms.audit import audit_record
from apps.core.mechanisms.idempotency import mark_replay, product_key, replay_of, stored_key
from apps.core.models import FxRate, Organization
from apps.core.money.amounts import RATE_PLACES, check_size, convert, to_decimal

from .. import errors
from ..models import Account, AccountType, PeriodLock, Transaction, TransactionEntry
from . import purposes
from .books import account_on_first_use
from .common import pk as _pk
from .common import require_power, user_id

# Legs per transaction: far more than any real posting (a payroll run, a split invoice) needs, and few enough
# that one request's work stays bounded.
MAX_LEGS = 500


@dataclass(frozen=True)
class Leg:
    """One side of a posting: a signed amount (debit positive, credit negative) on an account."""

    account: int
    amount: Decimal
    project: int | None = None
    category: int | None = None
    counterparty: int | None = None
    memo: str = ""

    def as_json(self) -> dict:
        return {
            "account": self.account,
            "amount": str(self.amount),
            "project": self.project,
            "category": self.category,
            "counterparty": self.counterparty,
            "memo": self.memo,
        }


@dataclass
class _Tags:
    project: int | None = None
    category: int | None = None
    counterparty: int | None = None
    extra: dict = field(default_factory=dict)


def _legs(entries: Iterable[Leg | dict]) -> list[Leg]:
    entries = list(entries)
    if len(entries) > MAX_LEGS:
        raise ValidationError(
            {
                "entries": _("A transaction may have at most {n} entries; this one has {count}.").format(
                    n=MAX_LEGS, count=len(entries)
                )
            }
        )
    legs = []
    for index, entry in enumerate(entries):
        if isinstance(entry, dict):
            unknown = set(entry) - {"account", "amount", "project", "category", "counterparty", "memo"}
            if unknown:
                raise ValidationError(
                    {f"entries.{index}": _("Unknown fields: {names}.").format(names=", ".join(sorted(unknown)))}
                )
            if entry.get("account") in (None, ""):
                raise ValidationError({f"entries.{index}.account": _("This field is required.")})
            entry = Leg(
                account=_pk(entry["account"]),
                amount=entry.get("amount"),
                project=_pk(entry.get("project")),
                category=_pk(entry.get("category")),
                counterparty=_pk(entry.get("counterparty")),
                memo=entry.get("memo") or "",
            )
        amount = to_decimal(entry.amount, field=f"entries.{index}.amount")
        if amount == 0:
            raise ValidationError({f"entries.{index}.amount": _("The amount must not be zero.")})
        legs.append(
            Leg(
                _pk(entry.account),
                amount,
                _pk(entry.project),
                _pk(entry.category),
                _pk(entry.counterparty),
                (entry.memo or "")[:500],
            )
        )
    if len(legs) < 2:
        raise ValidationError({"entries": _("A transaction needs at least two entries.")})
    return legs


def _check_key(idempotency_key) -> str:
    """The key as stored: a client's key in its namespace, a product key (``product_key(…)``) as it stands."""
    return stored_key(idempotency_key)


def _account_names(organization_id: int, account_ids: Sequence[int]) -> dict[int, str]:
    names = Account.objects.filter(
        organization_id=organization_id, pk__in=[a for a in account_ids if isinstance(a, int)]
    )
    return {account.pk: str(account) for account in names}


# The kinds a person posts by hand (the admin's form, ``POST /transactions/``), as choices; the other kinds come
# from their own services: exchange from a transfer, reversal from transaction_reverse, invoice and payment
# from the invoices, recurring from its schedule.
POSTABLE_KINDS = [
    (kind.value, kind.label)
    for kind in (
        Transaction.Kind.COMPLEX,
        Transaction.Kind.INCOME,
        Transaction.Kind.EXPENSE,
        Transaction.Kind.TRANSFER,
        Transaction.Kind.OPENING,
    )
]


@dataclass(frozen=True)
class Posting:
    """One transaction to post in a batch."""

    date: Date
    entries: Sequence[Leg | dict]
    idempotency_key: str
    description: str = ""
    kind: str = Transaction.Kind.COMPLEX
    reverses: int | None = None
    fx_rate: int | None = None


def _posting_json(posting: Posting, index: int | None = None) -> dict:
    prefix = "" if index is None else f"postings.{index}."
    try:
        legs = _legs(posting.entries)
        key = _check_key(posting.idempotency_key)
        if not isinstance(posting.date, Date):
            raise ValidationError({"date": _("A date is required.")})
    except ValidationError as error:
        if not prefix:
            raise
        raise ValidationError({f"{prefix}{name}": messages for name, messages in error.message_dict.items()}) from None
    return {
        "date": posting.date.isoformat(),
        "kind": posting.kind,
        "description": (posting.description or "")[:500],
        "key": key,
        "reverses": _pk(posting.reverses),
        "fx_rate": _pk(posting.fx_rate),
        "legs": [leg.as_json() for leg in legs],
    }


def _post_many(organization_id: int, user, postings: list[dict], *, batch: bool) -> list[tuple[int, bool, object]]:
    payload = json.dumps(postings)
    # Inside a caller's transaction the balance is checked at once, so that the savepoint catches a refusal;
    # a call that is its own transaction is verified once, at its commit, which ends this same statement.
    check_now = connection.in_atomic_block
    params = [organization_id, user_id(user), payload, check_now]
    try:
        with _own_savepoint(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT posting, transaction_id, created, created_at FROM ledger_post_many(%s, %s, %s::jsonb, %s)",
                params,
            )
            rows = cursor.fetchall()
    except DatabaseError as error:
        refusal = _refusal(organization_id, postings, payload, error, batch=batch)
        if refusal is None:
            raise
        raise refusal from error
    created_accounts = [
        leg["account"]
        for (_index, _id, created, _at), posting in zip(rows, postings)
        if created
        for leg in posting["legs"]
    ]
    if created_accounts:
        from ..live import balances_changed

        balances_changed(organization_id, created_accounts)
    return [(transaction_id, created, created_at) for _index, transaction_id, created, created_at in rows]


def _own_savepoint():
    # Outside a caller's transaction the one statement is its own transaction (the commit-time checks run
    # at its end), so no BEGIN and COMMIT round trips are needed; inside one, a savepoint keeps a refused
    # posting from spoiling the caller's transaction.
    return transaction.atomic() if connection.in_atomic_block else nullcontext()


def _refusal(
    organization_id: int, postings: list[dict], payload: str, error: DatabaseError, *, batch: bool
) -> ValidationError | None:
    """The ValidationError to raise for a refused posting: the database's rules refused it, and
    ``ledger_post_diagnose`` says which posting and leg broke which rule (or, when no leg is at fault, the
    rule that refused it is translated as it stands: a closed period, an overdraft…)."""
    diagnosed = None
    try:
        with _own_savepoint(), connection.cursor() as cursor:
            cursor.execute("SELECT ledger_post_diagnose(%s, %s::jsonb)", [organization_id, payload])
    except DatabaseError as found:
        diagnosed = found
    account_ids = [leg["account"] for posting in postings for leg in posting["legs"]]
    names = _account_names(organization_id, account_ids)
    for candidate in (diagnosed, error):
        translated = errors.translate(candidate, accounts=names, batch=batch) if candidate is not None else None
        if translated is not None:
            return translated
    return None


def _replay_conflicts(
    organization_id: int, postings: list[dict], rows: list[tuple[int, bool, object]]
) -> dict[int, Transaction]:
    """A key met again must come with the request it was first used for: the same date, kind and legs (and,
    for a client's key, the same description). Raises IdempotencyConflict naming what differs; returns the
    earlier transactions by id, marked as replays."""
    replayed = {
        transaction_id: posting for posting, (transaction_id, created, _at) in zip(postings, rows) if not created
    }
    if not replayed:
        return {}
    earlier = {t.pk: t for t in Transaction.objects.filter(organization_id=organization_id, pk__in=replayed)}
    legs: dict[int, Counter] = {pk: Counter() for pk in replayed}
    for transaction_id, *leg in TransactionEntry.objects.filter(transaction_id__in=replayed).values_list(
        "transaction_id", "account_id", "amount", "project_id", "category_id", "counterparty_id", "memo"
    ):
        legs[transaction_id][tuple(leg)] += 1
    for transaction_id, posting in replayed.items():
        first = earlier[transaction_id]
        asked = Counter(
            (leg["account"], Decimal(leg["amount"]), leg["project"], leg["category"], leg["counterparty"], leg["memo"])
            for leg in posting["legs"]
        )
        replay_of(
            first,
            posting["key"],
            (
                (_("date"), first.date.isoformat() == posting["date"]),
                (_("kind"), first.kind == posting["kind"]),
                (_("entries"), legs[transaction_id] == asked),
                (_("reversed transaction"), first.reverses_id == posting["reverses"]),
                (
                    _("description"),
                    first.description == posting["description"] or not posting["key"].startswith("client:"),
                ),
            ),
        )
    return earlier


def transaction_post(
    *,
    organization: Organization | int,
    user,
    date: Date,
    entries: Iterable[Leg | dict],
    idempotency_key: str,
    description: str = "",
    kind: str = Transaction.Kind.COMPLEX,
    reverses: Transaction | int | None = None,
    fx_rate: FxRate | int | None = None,
) -> Transaction:
    """Post a balanced transaction. Repeating an idempotency key with the same request returns the first
    transaction, posting nothing (``is_replay(result)`` tells which); with a different request it raises
    IdempotencyConflict. A plain string is a client's key; the product's own keys are ``product_key(…)``.

    Raises ValidationError naming the field (``entries.1.amount``, ``date``…) when a rule refuses it; nothing
    is written then.
    """
    organization_id = _pk(organization)
    require_power(user, organization_id)
    posting = Posting(
        date=date,
        entries=list(entries),
        idempotency_key=idempotency_key,
        description=description,
        kind=kind,
        reverses=_pk(reverses),
        fx_rate=_pk(fx_rate),
    )
    data = _posting_json(posting)
    rows = _post_many(organization_id, user, [data], batch=False)
    [(transaction_id, created, created_at)] = rows
    if not created:
        return _replay_conflicts(organization_id, [data], rows)[transaction_id]
    user_id = getattr(user, "pk", None)
    posted = Transaction(
        id=transaction_id,
        organization_id=organization_id,
        date=date,
        kind=kind,
        description=data["description"],
        leg_count=len(data["legs"]),
        idempotency_key=data["key"],
        reverses_id=_pk(reverses),
        fx_rate_id=_pk(fx_rate),
        created_by_id=user_id if isinstance(user_id, int) else None,
        created_at=created_at,
    )
    posted._state.adding = False
    posted._state.db = "default"
    return mark_replay(posted, False)


BATCH_LIMIT = 10_000


def transactions_post_batch(*, organization: Organization | int, user, postings: Sequence[Posting]) -> list[int]:
    """Post many transactions in one database transaction (imports, bulk jobs), with the same rules and
    idempotency as :func:`transaction_post` (a replayed key must come with the same posting): all or nothing.
    Returns the transaction id of each posting."""
    organization_id = _pk(organization)
    require_power(user, organization_id)
    if not postings:
        return []
    if len(postings) > BATCH_LIMIT:
        raise ValidationError({"postings": _("At most {n} postings per batch.").format(n=BATCH_LIMIT)})
    data = [_posting_json(posting, index) for index, posting in enumerate(postings)]
    with transaction.atomic():
        rows = _post_many(organization_id, user, data, batch=True)
        _replay_conflicts(organization_id, data, rows)
    return [transaction_id for transaction_id, _created, _at in rows]


def _check_purposes(organization_id: int, accounts: dict[str, tuple]) -> None:
    """Each field's account fits its purpose (one query for them all); the first misfit is refused."""
    found = purposes.accounts_with_children_flag(organization_id, [_pk(account) for account, _p in accounts.values()])
    for name, (account, purpose) in accounts.items():
        purposes.account_purpose_check(found.get(_pk(account)), purpose, field=name)


def _tags(project=None, category=None, counterparty=None) -> dict:
    return {"project": _pk(project), "category": _pk(category), "counterparty": _pk(counterparty)}


def income_post(
    *,
    organization,
    user,
    date: Date,
    account: Account | int,
    income_account: Account | int,
    amount,
    idempotency_key: str,
    description: str = "",
    project=None,
    category=None,
    counterparty=None,
) -> Transaction:
    """Money received: debit the cash or bank ``account``, credit the ``income_account``."""
    amount = to_decimal(amount)
    if amount <= 0:
        raise ValidationError({"amount": _("Income must be a positive amount.")})
    _check_purposes(
        _pk(organization), {"account": (account, purposes.CASH), "income_account": (income_account, purposes.INCOME)}
    )
    tags = _tags(project, category, counterparty)
    return transaction_post(
        organization=organization,
        user=user,
        date=date,
        idempotency_key=idempotency_key,
        description=description,
        kind=Transaction.Kind.INCOME,
        entries=[Leg(_pk(account), amount, **tags), Leg(_pk(income_account), -amount, **tags)],
    )


def expense_post(
    *,
    organization,
    user,
    date: Date,
    account: Account | int,
    expense_account: Account | int,
    amount,
    idempotency_key: str,
    description: str = "",
    project=None,
    category=None,
    counterparty=None,
) -> Transaction:
    """Money spent: debit the ``expense_account``, credit the cash or bank ``account``."""
    amount = to_decimal(amount)
    if amount <= 0:
        raise ValidationError({"amount": _("An expense must be a positive amount.")})
    _check_purposes(
        _pk(organization), {"account": (account, purposes.CASH), "expense_account": (expense_account, purposes.EXPENSE)}
    )
    tags = _tags(project, category, counterparty)
    return transaction_post(
        organization=organization,
        user=user,
        date=date,
        idempotency_key=idempotency_key,
        description=description,
        kind=Transaction.Kind.EXPENSE,
        entries=[Leg(_pk(expense_account), amount, **tags), Leg(_pk(account), -amount, **tags)],
    )


def exchange_account_for(*, organization_id: int, currency: str) -> Account:
    """The organization's exchange account in ``currency``, created on first use. Cross-currency transfers
    pass through a pair of these so that each currency balances on its own."""
    return account_on_first_use(
        organization_id=organization_id,
        currency=currency,
        purpose=Account.Purpose.EXCHANGE,
        code=f"EXCH-{currency}",
        name=gettext_lazy("Currency exchange {currency}"),
        type=AccountType.EQUITY,
    )


def transfer_post(
    *,
    organization,
    user,
    date: Date,
    from_account: Account | int,
    to_account: Account | int,
    amount,
    idempotency_key: str,
    description: str = "",
    to_amount=None,
    rate=None,
    project=None,
    counterparty=None,
    fee=None,
    fee_account: Account | int | None = None,
) -> Transaction:
    """Move ``amount`` from one account to another.

    In one currency the two legs balance directly. Across currencies give ``to_amount`` (what arrived) or
    ``rate`` (units of the target currency per unit of the source); the legs pass through the exchange
    account of each currency, and the rate used is recorded on the transaction. An optional ``fee`` (in the
    source currency) is booked as its own leg on ``fee_account``.
    """
    organization_id = _pk(organization)
    amount = to_decimal(amount)
    if amount <= 0:
        raise ValidationError({"amount": _("A transfer must be a positive amount.")})
    pair = {
        a.pk: a
        for a in Account.objects.filter(organization_id=organization_id, pk__in=[_pk(from_account), _pk(to_account)])
        .select_related("currency")
        .annotate(has_children=purposes.has_children())
    }
    source, target = pair.get(_pk(from_account)), pair.get(_pk(to_account))
    purposes.account_purpose_check(source, purposes.CASH, field="from_account")
    purposes.account_purpose_check(target, purposes.CASH, field="to_account")
    if source.pk == target.pk:
        raise ValidationError({"to_account": _("Choose an account other than the source.")})
    tags = {"project": _pk(project), "counterparty": _pk(counterparty)}
    legs = [Leg(source.pk, -amount, **tags)]
    fx = None
    if source.currency_id == target.currency_id:
        if to_amount is not None or rate is not None:
            raise ValidationError(
                {"rate": _("Both accounts hold {currency}: no rate applies.").format(currency=source.currency_id)}
            )
        legs.append(Leg(target.pk, amount, **tags))
        kind = Transaction.Kind.TRANSFER
    else:
        if to_amount is None and rate is None:
            raise ValidationError(
                {
                    "to_amount": _("{source} to {target}: give the amount that arrived or the rate.").format(
                        source=source.currency_id, target=target.currency_id
                    )
                }
            )
        if to_amount is not None:
            to_amount = to_decimal(to_amount, field="to_amount")
            if to_amount <= 0:
                raise ValidationError({"to_amount": _("The amount that arrived must be positive.")})
            rate = to_amount / amount
            check_size(rate, field="to_amount", decimal_places=RATE_PLACES)
        else:
            rate = to_decimal(rate, field="rate", decimal_places=RATE_PLACES)
            if rate <= 0:
                raise ValidationError({"rate": _("The rate must be positive.")})
            check_size(amount * rate, field="rate")  # before rounding: the converted amount must fit too
            to_amount = convert(amount, rate, target.currency.precision)
        exchange_out = exchange_account_for(organization_id=organization_id, currency=source.currency_id)
        exchange_in = exchange_account_for(organization_id=organization_id, currency=target.currency_id)
        legs += [
            Leg(exchange_out.pk, amount, **tags),
            Leg(exchange_in.pk, -to_amount, **tags),
            Leg(target.pk, to_amount, **tags),
        ]
        kind = Transaction.Kind.EXCHANGE
    if fee:
        fee = to_decimal(fee, field="fee")
        if fee < 0:
            raise ValidationError(
                {"fee": _("The fee cannot be negative ({fee}): it is what the transfer cost.").format(fee=fee)}
            )
        if fee_account is None:
            raise ValidationError({"fee_account": _("Choose the account the fee is booked to.")})
        legs += [Leg(_pk(fee_account), fee, **tags), Leg(source.pk, -fee, **tags)]
    with transaction.atomic():
        if kind == Transaction.Kind.EXCHANGE:
            fx = FxRate.objects.create(
                organization_id=organization_id,
                date=date,
                base_id=source.currency_id,
                quote_id=target.currency_id,
                rate=round(Decimal(rate), 12),
                source=FxRate.Source.DEAL,
            )
        posted = transaction_post(
            organization=organization_id,
            user=user,
            date=date,
            entries=legs,
            idempotency_key=idempotency_key,
            description=description,
            kind=kind,
            fx_rate=fx,
        )
        if fx is not None and posted.fx_rate_id != fx.pk:
            fx.delete()  # a repeat: the first posting keeps the rate it recorded, this one is not needed
        return posted


# Postings that belong to a document are reversed by the document's own service, which keeps the document
# (its status, paid amount) in step with the books.
DOCUMENT_KINDS = {
    Transaction.Kind.INVOICE: gettext_lazy("Void the invoice instead: this posting belongs to it."),
    Transaction.Kind.PAYMENT: gettext_lazy("Reverse the invoice payment instead: this posting belongs to it."),
}


def reversal_refusal(transaction: Transaction, *, for_document: bool = False) -> ValidationError | None:
    """Why ``transaction`` cannot be reversed, or None when it can: the one rule that :func:`transaction_reverse`
    enforces and that the pages offering "reverse" ask. A reversal is not itself reversed; a document's
    posting is reversed by the document's service (``for_document``); a transaction is reversed once."""
    if transaction.kind == Transaction.Kind.REVERSAL:
        return ValidationError(
            _("A reversal cannot itself be reversed; post a new transaction instead."), code="reversal"
        )
    if transaction.kind in DOCUMENT_KINDS and not for_document:
        return ValidationError(DOCUMENT_KINDS[transaction.kind], code="document_posting")
    # Sequential repeats get a clear refusal; two racing requests share the reversal's idempotency key (one
    # reversal), and the unique link refuses a reversal posted any other way.
    if Transaction.objects.filter(reverses_id=transaction.pk).exists():
        return ValidationError(_("This transaction has already been reversed."), code="already_reversed")
    return None


def transaction_reverse(
    *, transaction: Transaction, user, date: Date | None = None, reason: str = "", for_document: bool = False
) -> Transaction:
    """Post the reversal of ``transaction``: the same legs negated, linked to it. A transaction is reversed once."""
    original = transaction
    require_power(user, original.organization_id)
    refusal = reversal_refusal(original, for_document=for_document)
    if refusal is not None:
        raise refusal
    legs = [
        Leg(e.account_id, -e.amount, e.project_id, e.category_id, e.counterparty_id, e.memo)
        for e in original.entries.all()
    ]
    with in_language_of(original.organization_id):  # stored text: the books' language, not the reader's
        description = (
            _("Reversal of #{id}: {reason}").format(id=original.pk, reason=reason)
            if reason
            else _("Reversal of #{id}").format(id=original.pk)
        )
    from django.db import transaction as db_transaction

    with db_transaction.atomic():
        reversal = transaction_post(
            organization=original.organization_id,
            user=user,
            date=date or original.date,
            entries=legs,
            idempotency_key=product_key("reversal", original.pk),
            description=description,
            kind=Transaction.Kind.REVERSAL,
            reverses=original,
        )
        if reversal.reverses_id != original.pk:
            raise ValidationError(_("This transaction has already been reversed."))
        audit_record(
            action="ledger.transaction.reverse",
            actor=user,
            organization=original.organization_id,
            obj=original,
            changes={"reversal": reversal.pk, "reason": reason},
        )
    return reversal


def period_lock(*, organization: Organization | int, user, locked_through: Date) -> PeriodLock:
    """Close the books through ``locked_through``. Moving the date back (reopening) needs the power to manage
    the organization; closing further only the power to post."""
    organization_id = _pk(organization)
    require_power(user, organization_id)
    with transaction.atomic():
        lock = PeriodLock.objects.select_for_update().filter(organization_id=organization_id).first()
        before = lock.locked_through if lock else None
        if before is not None and locked_through < before:
            require_power(user, organization_id, power=MANAGE_ORGANIZATION)
        if lock is None:
            lock = PeriodLock(organization_id=organization_id)
        lock.locked_through = locked_through
        lock.updated_by = user if getattr(user, "pk", None) and isinstance(user.pk, int) else None
        lock.save()
        audit_record(
            action="ledger.period.lock",
            actor=user,
            organization=organization_id,
            obj=lock,
            changes={"locked_through": [str(before) if before else None, str(locked_through)]},
        )
    return lock
