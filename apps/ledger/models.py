"""The books: a chart of accounts and double-entry transactions whose rules PostgreSQL itself enforces.

Sign convention: an entry's ``amount`` is signed, debit positive and credit negative, in the currency of its
account. The entries of a transaction sum to zero in each currency. An account's balance is the sum of its
entries (so a liability's balance is negative); reports show it with the account type's natural sign.

What the database guarantees (migrations ``0002_integrity``), whatever writes the rows (the ORM, raw SQL,
bulk paths, concurrent sessions):

- at commit, every transaction touched balances to zero per currency, has at least two legs, has exactly
  the number of legs it declares, and all its legs share its organization and date (a deferred constraint
  trigger, which also sees updates, deletes and legs moved between transactions);
- an entry's currency is its account's currency, its amount fits the currency's precision and is not zero;
- posted transactions and their entries are never updated or deleted (corrections are reversals);
- nothing is posted with a date inside the organization's closed period;
- each account's stored balance moves in the same statement as its entries (no lost update), and an account
  marked non-negative cannot go below zero.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from apps.core.tenancy import TenantModel, TenantQuerySet

# Amounts: up to 20 integer digits and 8 decimals (BTC's precision, the largest Kontora supports). 28
# significant digits is also Python's default Decimal precision, so no arithmetic on amounts ever rounds.
AMOUNT_DIGITS = 28
AMOUNT_PLACES = 8


def AmountField(verbose_name, **kwargs):  # reads like a field class, as it stands for one
    return models.DecimalField(verbose_name, max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES, **kwargs)


class AccountType(models.TextChoices):
    ASSET = "asset", _("Asset")
    LIABILITY = "liability", _("Liability")
    EQUITY = "equity", _("Equity")
    INCOME = "income", _("Income")
    EXPENSE = "expense", _("Expense")


DEBIT_NORMAL = frozenset({AccountType.ASSET, AccountType.EXPENSE})


def natural_sign(account_type: str) -> int:
    """+1 where a debit increases the account (assets, expenses), -1 where a credit does."""
    return 1 if account_type in DEBIT_NORMAL else -1


class Account(TenantModel):
    """An account of the chart: a node of a tree within one type, holding one currency."""

    class Purpose(models.TextChoices):
        GENERAL = "", _("General")
        CASH = "cash", _("Cash or bank")
        EXCHANGE = "exchange", _("Currency exchange")
        RECEIVABLE = "receivable", _("Receivables")
        PAYABLE = "payable", _("Payables")
        CRYPTO_FEE = "crypto_fee", _("Network fees")
        OPENING = "opening", _("Opening balances")

    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=200)
    type = models.CharField(_("type"), max_length=16, choices=AccountType.choices)
    currency = models.ForeignKey(
        "core.Currency", on_delete=models.PROTECT, related_name="+", verbose_name=_("currency")
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("parent")
    )
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices, blank=True, default="")
    non_negative = models.BooleanField(
        _("never below zero"), default=False, help_text=_("Refuse any posting that would take the balance below zero.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("chart of accounts")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="ledger_account_code_unique"),
            models.CheckConstraint(condition=Q(type__in=AccountType.values), name="ledger_account_type_known"),
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="ledger_account_not_own_parent"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name} ({self.currency_id})"


class AccountBalance(models.Model):
    """The running balance of an account, kept by database triggers in the statement that posts the entries.

    Never written by Python. ``floor_sign`` mirrors the account's non-negative rule: +1 means the balance
    may not go below zero, -1 not above zero (credit-normal accounts), 0 no limit.
    """

    account = models.OneToOneField(
        Account, primary_key=True, on_delete=models.CASCADE, related_name="balance_row", verbose_name=_("account")
    )
    organization = models.ForeignKey("core.Organization", on_delete=models.CASCADE, related_name="+")
    currency = models.ForeignKey("core.Currency", on_delete=models.PROTECT, related_name="+")
    precision = models.PositiveSmallIntegerField()
    floor_sign = models.SmallIntegerField(default=0)
    balance = AmountField(_("balance"), default=0)
    entry_count = models.BigIntegerField(_("entries"), default=0)

    tenant_path = "organization"

    class Meta:
        verbose_name = _("account balance")
        verbose_name_plural = _("account balances")
        constraints = [
            models.CheckConstraint(
                condition=Q(floor_sign=0) | Q(floor_sign=1, balance__gte=0) | Q(floor_sign=-1, balance__lte=0),
                name="ledger_balance_respects_floor",
                violation_error_message=_("The balance would go below zero."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.balance}"


class Project(TenantModel):
    """A project an entry can be tagged with (not an account)."""

    name = models.CharField(_("name"), max_length=200)
    code = models.CharField(_("code"), max_length=32, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="ledger_project_name_unique")]

    def __str__(self) -> str:
        return self.name


class Category(TenantModel):
    """An income or expense category (a tree) an entry can be tagged with."""

    class Kind(models.TextChoices):
        INCOME = "income", pgettext_lazy("category kind", "Income")
        EXPENSE = "expense", pgettext_lazy("category kind", "Expense")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("parent")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "kind", "name"], name="ledger_category_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Counterparty(TenantModel):
    """Someone the business deals with: a customer, a supplier, a partner."""

    class Kind(models.TextChoices):
        CUSTOMER = "customer", _("Customer")
        SUPPLIER = "supplier", _("Supplier")
        PARTNER = "partner", _("Partner")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.OTHER)
    tax_id = models.CharField(_("tax id"), max_length=32, blank=True, help_text=_("INN, VAT number or similar."))
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("counterparty")
        verbose_name_plural = _("counterparties")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Transaction(TenantModel):
    """A posted business event: two or more entries that balance per currency. Immutable once written."""

    class Kind(models.TextChoices):
        INCOME = "income", pgettext_lazy("transaction kind", "Income")
        EXPENSE = "expense", pgettext_lazy("transaction kind", "Expense")
        TRANSFER = "transfer", _("Transfer")
        EXCHANGE = "exchange", _("Currency exchange")
        COMPLEX = "complex", _("Complex")
        REVERSAL = "reversal", _("Reversal")
        INVOICE = "invoice", _("Invoice issued")
        PAYMENT = "payment", _("Invoice payment")
        RECURRING = "recurring", _("Recurring payment")
        OPENING = "opening", _("Opening balance")

    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.COMPLEX)
    description = models.CharField(_("description"), max_length=500, blank=True)
    leg_count = models.PositiveSmallIntegerField(_("legs"))
    idempotency_key = models.CharField(_("idempotency key"), max_length=128)
    reverses = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
        verbose_name=_("reverses"),
    )
    fx_rate = models.ForeignKey(
        "core.FxRate",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("exchange rate used"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("posted by"),
    )
    created_at = models.DateTimeField(_("posted at"), auto_now_add=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("transaction")
        verbose_name_plural = _("transactions")
        ordering = ["-date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "idempotency_key"], name="ledger_transaction_idempotency"),
            models.CheckConstraint(condition=Q(leg_count__gte=2), name="ledger_transaction_two_legs"),
            models.CheckConstraint(
                condition=Q(
                    kind__in=[
                        "income",
                        "expense",
                        "transfer",
                        "exchange",
                        "complex",
                        "reversal",
                        "invoice",
                        "payment",
                        "recurring",
                        "opening",
                    ]
                ),
                name="ledger_transaction_kind",
            ),
            models.CheckConstraint(
                condition=Q(reverses__isnull=True) | Q(kind="reversal"), name="ledger_transaction_reversal_kind"
            ),
        ]
        indexes = [models.Index(fields=["organization", "-date", "-id"], name="ledger_tx_org_date")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.date} {self.description}".strip()


class TransactionEntry(models.Model):
    """One leg of a transaction: a signed amount on one account (debit positive, credit negative).

    Its organization, date and currency repeat those of its transaction and account so reports need no
    joins; composite foreign keys (created by migration 0002_integrity in place of the simple ones) make
    PostgreSQL hold them equal: (transaction, organization, date) → transaction, (account, organization,
    currency) → account, and each tag (project, category, counterparty) with the organization → its row.
    """

    transaction = models.ForeignKey(
        Transaction,
        on_delete=models.PROTECT,
        related_name="entries",
        verbose_name=_("transaction"),
        db_constraint=False,
    )
    # Indexed by (organization, date) below.
    organization = models.ForeignKey(
        "core.Organization", on_delete=models.PROTECT, related_name="+", db_constraint=False, db_index=False
    )
    date = models.DateField(_("date"))
    account = models.ForeignKey(
        Account,
        on_delete=models.PROTECT,
        related_name="entries",
        verbose_name=_("account"),
        db_constraint=False,
        db_index=False,  # indexed by (account, date, id) below
    )
    currency = models.ForeignKey(
        "core.Currency",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("currency"),
        db_constraint=False,
        db_index=False,
    )
    amount = AmountField(_("amount"))
    project = models.ForeignKey(
        Project,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entries",
        verbose_name=_("project"),
        db_constraint=False,
    )
    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entries",
        verbose_name=_("category"),
        db_constraint=False,
    )
    counterparty = models.ForeignKey(
        Counterparty,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entries",
        verbose_name=_("counterparty"),
        db_constraint=False,
    )
    memo = models.CharField(_("memo"), max_length=500, blank=True)

    tenant_path = "organization"
    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("entry")
        verbose_name_plural = _("entries")
        ordering = ["transaction_id", "id"]
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="ledger_entry_amount_not_zero")]
        indexes = [
            models.Index(fields=["account", "date", "id"], name="ledger_entry_account_date"),
            models.Index(fields=["organization", "date"], name="ledger_entry_org_date"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.amount} {self.currency_id}"

    @property
    def debit(self):
        return self.amount if self.amount > 0 else None

    @property
    def credit(self):
        return -self.amount if self.amount < 0 else None


class PeriodLock(TenantModel):
    """The organization's closed period: nothing may be posted or reversed with a date on or before
    ``locked_through``. One row per organization; moving the date is audited."""

    organization = models.OneToOneField(
        "core.Organization", on_delete=models.CASCADE, related_name="+", verbose_name=_("organization")
    )
    locked_through = models.DateField(_("closed through"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("changed by"),
    )
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        verbose_name = _("closed period")
        verbose_name_plural = _("closed periods")

    def __str__(self) -> str:
        return f"{self.organization}: ≤ {self.locked_through}"
