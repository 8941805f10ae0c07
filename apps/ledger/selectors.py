"""Reads of the books: what the API lists, the pickers' accounts, balances, and the verification of stored
figures against entries."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from apps.core.accounts.tenancy import scope

from .models import (
    Account,
    AccountBalance,
    Category,
    Counterparty,
    CryptoTransactionDetail,
    Invoice,
    InvoiceLine,
    InvoicePayment,
    PeriodLock,
    Project,
    RecurringPayment,
    Transaction,
    TransactionEntry,
)
from .services.purposes import account_purpose_filter

# --- what the API lists: scoped to the user's organizations first, with the joins each representation reads
# (a fixed number of queries per page); the caller's FilterSet narrows them further.


def account_list(*, user) -> QuerySet[Account]:
    return scope(Account.objects.select_related("organization", "balance_row"), user)


def balance_list(*, user) -> QuerySet[AccountBalance]:
    return scope(AccountBalance.objects.select_related("account", "organization"), user)


def tag_list(model: type[Project | Category | Counterparty], *, user) -> QuerySet:
    """Projects, categories or counterparties."""
    return scope(model.objects.select_related("organization"), user)


def transaction_list(*, user) -> QuerySet[Transaction]:
    """Transactions with their legs."""
    return scope(
        Transaction.objects.select_related("organization", "created_by", "reversed_by", "fx_rate").prefetch_related(
            Prefetch("entries", queryset=TransactionEntry.objects.select_related("account", "currency"))
        ),
        user,
    )


def period_lock_list(*, user) -> QuerySet[PeriodLock]:
    return scope(PeriodLock.objects.select_related("organization", "updated_by"), user)


def invoice_list(*, user) -> QuerySet[Invoice]:
    """Invoices with their lines and payments."""
    return scope(
        Invoice.objects.select_related("organization", "counterparty", "currency").prefetch_related(
            Prefetch("lines", queryset=InvoiceLine.objects.order_by("position", "id")),
            Prefetch("payments", queryset=InvoicePayment.objects.order_by("date", "id")),
        ),
        user,
    )


def invoice_payment_list(*, user) -> QuerySet[InvoicePayment]:
    return scope(InvoicePayment.objects.select_related("invoice__currency"), user)


def recurring_payment_list(*, user) -> QuerySet[RecurringPayment]:
    return scope(RecurringPayment.objects.select_related("organization").prefetch_related("legs"), user)


def crypto_transfer_list(*, user) -> QuerySet[CryptoTransactionDetail]:
    return scope(CryptoTransactionDetail.objects.select_related("organization"), user)


# --- pickers and single figures ---------------------------------------------------------------------------


def accounts_for(organization, purpose: str) -> QuerySet[Account]:
    """The accounts a picker offers for ``purpose`` (``cash``, ``income``, ``expense``, ``posting``; see
    ``services.purposes``): open, without sub-accounts, of a fitting kind. ``organization`` is an organization
    or its id, or ``None`` for every organization (then narrow it with ``scope``)."""
    queryset = Account.objects.filter(account_purpose_filter(purpose)).select_related("currency")
    if organization is not None:
        queryset = queryset.filter(organization_id=getattr(organization, "pk", organization))
    return queryset.order_by("code", "pk")


def account_balance(*, account_id: int) -> Decimal:
    """The stored balance of an account: one primary-key read, however many entries it has."""
    return AccountBalance.objects.values_list("balance", flat=True).get(account_id=account_id)


@dataclass(frozen=True)
class Discrepancy:
    organization: str
    kind: str
    subject: str
    expected: str
    found: str

    def __str__(self) -> str:
        return _("[{organization}] {kind}: {subject}: expected {expected}, found {found}").format(
            organization=self.organization,
            kind=self.kind,
            subject=self.subject,
            expected=self.expected,
            found=self.found,
        )


_BALANCES = """
SELECT o.slug, a.code, a.name, a.currency_id, b.balance, b.entry_count,
       coalesce(e.total, 0) AS total, coalesce(e.legs, 0) AS legs
  FROM ledger_account a
  JOIN core_organization o ON o.id = a.organization_id
  LEFT JOIN ledger_accountbalance b ON b.account_id = a.id
  LEFT JOIN (SELECT account_id, sum(amount) AS total, count(*) AS legs
               FROM ledger_transactionentry {entry_filter} GROUP BY account_id) e ON e.account_id = a.id
 WHERE (b.account_id IS NULL OR b.balance <> coalesce(e.total, 0) OR b.entry_count <> coalesce(e.legs, 0))
   {account_filter}
 ORDER BY o.slug, a.code
"""

_TRANSACTIONS = """
SELECT o.slug, t.id, t.leg_count, x.legs, x.unbalanced
  FROM ledger_transaction t
  JOIN core_organization o ON o.id = t.organization_id
  LEFT JOIN LATERAL (
        SELECT count(*) AS legs,
               (SELECT string_agg(currency_id || ' ' || s::text, ', ')
                  FROM (SELECT currency_id, sum(amount) AS s FROM ledger_transactionentry
                         WHERE transaction_id = t.id GROUP BY currency_id HAVING sum(amount) <> 0) u) AS unbalanced
          FROM ledger_transactionentry WHERE transaction_id = t.id) x ON true
 WHERE (x.legs < 2 OR x.legs <> t.leg_count OR x.unbalanced IS NOT NULL) {transaction_filter}
 ORDER BY o.slug, t.id
"""


def books_verify(*, organization_id: int | None = None) -> list[Discrepancy]:
    """Recompute every stored balance from the entries and check that every transaction balances."""
    params: list = []
    if organization_id is None:
        entry_filter = account_filter = transaction_filter = ""
    else:
        entry_filter = "WHERE organization_id = %s"
        account_filter = "AND a.organization_id = %s"
        transaction_filter = "AND t.organization_id = %s"
        params = [organization_id, organization_id]
    found: list[Discrepancy] = []
    with connection.cursor() as cursor:
        cursor.execute(_BALANCES.format(entry_filter=entry_filter, account_filter=account_filter), params)
        for slug, code, name, currency, balance, count, total, legs in cursor.fetchall():
            subject = _("account {code} {name} ({currency})").format(code=code, name=name, currency=currency)
            if balance is None:
                found.append(Discrepancy(slug, _("missing balance"), subject, _("a balance row"), _("none")))
                continue
            if Decimal(balance) != Decimal(total):
                found.append(Discrepancy(slug, _("balance"), subject, f"{total}", f"{balance}"))
            if count != legs:
                found.append(Discrepancy(slug, _("entry count"), subject, f"{legs}", f"{count}"))
        cursor.execute(
            _TRANSACTIONS.format(transaction_filter=transaction_filter),
            [organization_id] if organization_id is not None else [],
        )
        for slug, transaction_id, declared, legs, unbalanced in cursor.fetchall():
            subject = _("transaction #{id}").format(id=transaction_id)
            if unbalanced:
                found.append(Discrepancy(slug, _("unbalanced"), subject, _("entries summing to zero"), unbalanced))
            if legs < 2 or legs != declared:
                legs_expected = _("{count} legs (at least 2)").format(count=declared)
                found.append(Discrepancy(slug, _("legs"), subject, legs_expected, f"{legs}"))
    return found
