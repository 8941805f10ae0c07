"""The books: a chart of accounts and double-entry transactions whose rules PostgreSQL itself enforces.

Sign convention: an entry's ``amount`` is signed, debit positive and credit negative, in the currency of its
account. The entries of a transaction sum to zero in each currency. An account's balance is the sum of its
entries (so a liability's balance is negative); reports show it with the account type's natural sign.

What the database guarantees (``apps/ledger/sql/``), whatever writes the rows (the ORM, raw SQL,
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
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy, pgettext_lazy

from apps.core.accounts.tenancy import TenantModel, TenantQuerySet
from apps.core.language.formatting import format_date, format_money
from apps.core.language.nouns import NounForms

# Amounts: up to 20 integer digits and 8 decimals (BTC's precision, the largest Kontora supports). 28
# significant digits is also Python's default Decimal precision, so no arithmetic on amounts ever rounds.
AMOUNT_DIGITS = 28
AMOUNT_PLACES = 8


def AmountField(verbose_name, **kwargs):  # reads like a field class, as it stands for one
    return models.DecimalField(verbose_name, max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES, **kwargs)


# Names a person tells apart only by case are the same name: "ООО Ромашка" and "ооо ромашка" are one
# counterparty. Unique indexes on lower(name) per organization say so in the database; their violation
# code names the field, so a form or the API shows the error on that field (see ``UniqueNames``).
NAME_TAKEN, CODE_TAKEN = "name_taken", "code_taken"
_FIELD_OF_CODE = {NAME_TAKEN: "name", CODE_TAKEN: "code"}


def unique_lower(field: str, *others: str, name: str, message, condition=None) -> models.UniqueConstraint:
    return models.UniqueConstraint(
        Lower(field),
        "organization",
        *others,
        name=name,
        condition=condition,
        violation_error_code=NAME_TAKEN if field == "name" else CODE_TAKEN,
        violation_error_message=message,
    )


class UniqueNames:
    """A model whose names (or codes) are unique case-insensitively: a violation is an error of that field,
    not of the whole form (Django puts expression constraints' errors on the form)."""

    def validate_constraints(self, exclude=None):
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as error:
            errors: dict[str, list] = {}
            for field, messages in error.error_dict.items():
                for message in messages:
                    target = _FIELD_OF_CODE.get(message.code, field) if field == NON_FIELD_ERRORS else field
                    errors.setdefault(target, []).append(message)
            raise ValidationError(errors) from None

    @classmethod
    def integrity_error_as_validation(cls, error: Exception) -> ValidationError | None:
        """The field error for an IntegrityError of one of these constraints (a race past the check)."""
        constraint_name = getattr(getattr(error.__cause__, "diag", None), "constraint_name", None)
        for constraint in cls._meta.constraints:
            if constraint.name == constraint_name and constraint.violation_error_code in _FIELD_OF_CODE:
                return ValidationError(
                    {_FIELD_OF_CODE[constraint.violation_error_code]: constraint.get_violation_error_message()}
                )
        return None


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

    noun_forms = NounForms(
        accusative=pgettext_lazy("accusative", "account"),
        genitive=pgettext_lazy("genitive", "account"),
        accusative_plural=pgettext_lazy("accusative plural", "accounts"),
        genitive_plural=pgettext_lazy("genitive plural", "accounts"),
        count=ngettext_lazy("%(count)s account", "%(count)s accounts", "count"),
        gender=pgettext_lazy("grammatical gender", "account"),
    )

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
    precision = models.SmallIntegerField()
    floor_sign = models.SmallIntegerField(default=0)
    balance = AmountField(_("balance"), default=0)
    entry_count = models.BigIntegerField(_("entries"), default=0)

    tenant_path = "organization"

    noun_forms = NounForms(
        accusative=pgettext_lazy("accusative", "account balance"),
        genitive=pgettext_lazy("genitive", "account balance"),
        accusative_plural=pgettext_lazy("accusative plural", "account balances"),
        genitive_plural=pgettext_lazy("genitive plural", "account balances"),
        count=ngettext_lazy("%(count)s account balance", "%(count)s account balances", "count"),
        gender=pgettext_lazy("grammatical gender", "account balance"),
    )

    class Meta:
        # The floor (``ledger_balance_respects_floor``) is checked by the triggers that alone write this table
        # (apps/ledger/sql/): a CHECK constraint is re-planned for every statement and cost more than the rule.
        verbose_name = _("account balance")
        verbose_name_plural = _("account balances")

    def __str__(self) -> str:
        return f"{self.account_id}: {self.balance}"


class Project(UniqueNames, TenantModel):
    """A project an entry can be tagged with (not an account)."""

    name = models.CharField(_("name"), max_length=200)
    code = models.CharField(_("code"), max_length=32, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    noun_forms = NounForms(
        accusative=pgettext_lazy("accusative", "project"),
        genitive=pgettext_lazy("genitive", "project"),
        accusative_plural=pgettext_lazy("accusative plural", "projects"),
        genitive_plural=pgettext_lazy("genitive plural", "projects"),
        count=ngettext_lazy("%(count)s project", "%(count)s projects", "count"),
        gender=pgettext_lazy("grammatical gender", "project"),
    )

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["name"]
        constraints = [
            unique_lower(
                "name",
                name="ledger_project_name_unique",
                message=_("This organization already has a project of this name (letter case aside)."),
            ),
            unique_lower(
                "code",
                name="ledger_project_code_unique",
                condition=~Q(code=""),
                message=_("This organization already has a project with this code (letter case aside)."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Category(UniqueNames, TenantModel):
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

    noun_forms = NounForms(
        accusative=pgettext_lazy("accusative", "category"),
        genitive=pgettext_lazy("genitive", "category"),
        accusative_plural=pgettext_lazy("accusative plural", "categories"),
        genitive_plural=pgettext_lazy("genitive plural", "categories"),
        count=ngettext_lazy("%(count)s category", "%(count)s categories", "count"),
        gender=pgettext_lazy("grammatical gender", "category"),
    )

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["kind", "name"]
        constraints = [
            unique_lower(
                "name",
                "kind",
                name="ledger_category_name_unique",
                message=_("This organization already has a category of this kind and name (letter case aside)."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class Counterparty(UniqueNames, TenantModel):
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

    noun_forms = NounForms(
        accusative=pgettext_lazy("accusative", "counterparty"),
        genitive=pgettext_lazy("genitive", "counterparty"),
        accusative_plural=pgettext_lazy("accusative plural", "counterparties"),
        genitive_plural=pgettext_lazy("genitive plural", "counterparties"),
        count=ngettext_lazy("%(count)s counterparty", "%(count)s counterparties", "count"),
        gender=pgettext_lazy("grammatical gender", "counterparty"),
    )

    class Meta:
        verbose_name = _("counterparty")
        verbose_name_plural = _("counterparties")
        ordering = ["name"]
        constraints = [
            unique_lower(
                "name",
                name="ledger_counterparty_name_unique",
                message=_("This organization already has a counterparty of this name (letter case aside)."),
            )
        ]

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

    # No foreign-key constraint of its own: every posting would key-share-lock the organization's row, a hot
    # spot for concurrent writers. The organization is held all the same: each leg's composite key points at
    # an account of this organization, and a transaction without its legs fails the check at commit.
    organization = models.ForeignKey(
        "core.Organization",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("organization"),
        db_constraint=False,
        db_index=False,  # leads the idempotency key and (organization, date) below
    )
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.COMPLEX)
    description = models.CharField(_("description"), max_length=500, blank=True)
    leg_count = models.SmallIntegerField(_("legs"))
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
        db_index=False,  # a partial index below: most postings have none
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("posted by"),
        db_index=False,  # a partial index below: postings by tasks and imports have none
    )
    created_at = models.DateTimeField(_("posted at"), auto_now_add=True)

    objects = TenantQuerySet.as_manager()

    noun_forms = NounForms(
        accusative=pgettext_lazy("accusative", "transaction"),
        genitive=pgettext_lazy("genitive", "transaction"),
        accusative_plural=pgettext_lazy("accusative plural", "transactions"),
        genitive_plural=pgettext_lazy("genitive plural", "transactions"),
        count=ngettext_lazy("%(count)s transaction", "%(count)s transactions", "count"),
        gender=pgettext_lazy("grammatical gender", "transaction"),
    )

    class Meta:
        # Posted transactions are insert-only, so their row rules (a known kind, at least two legs, a reversal
        # of kind "reversal") are checked by the insert trigger ledger_transactions_check (apps/ledger/sql/).
        verbose_name = _("transaction")
        verbose_name_plural = _("transactions")
        ordering = ["-date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "idempotency_key"], name="ledger_transaction_idempotency"),
        ]
        indexes = [
            models.Index(fields=["organization", "-date", "-id"], name="ledger_tx_org_date"),
            # Indexes on optional keys leave out the empty ones: every posting would otherwise add to them.
            models.Index(fields=["fx_rate"], condition=Q(fx_rate__isnull=False), name="ledger_tx_fx_rate"),
            models.Index(fields=["created_by"], condition=Q(created_by__isnull=False), name="ledger_tx_created_by"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {format_date(self.date)} {self.description}".strip()


class TransactionEntry(models.Model):
    """One leg of a transaction: a signed amount on one account (debit positive, credit negative).

    Its organization, date and currency repeat those of its transaction and account so reports need no
    joins; PostgreSQL holds them equal: the insert trigger checks the account's organization and currency
    against its balance row, the commit-time check the transaction's organization and date (migration
    0009), and each tag (project, category, counterparty) has a composite foreign key with the organization.
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
        db_index=False,  # a partial index below
    )
    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entries",
        verbose_name=_("category"),
        db_constraint=False,
        db_index=False,  # a partial index below
    )
    counterparty = models.ForeignKey(
        Counterparty,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entries",
        verbose_name=_("counterparty"),
        db_constraint=False,
        db_index=False,  # a partial index below
    )
    memo = models.CharField(_("memo"), max_length=500, blank=True)

    tenant_path = "organization"
    objects = TenantQuerySet.as_manager()

    noun_forms = NounForms(
        accusative=pgettext_lazy("accusative", "entry"),
        genitive=pgettext_lazy("genitive", "entry"),
        accusative_plural=pgettext_lazy("accusative plural", "entries"),
        genitive_plural=pgettext_lazy("genitive plural", "entries"),
        count=ngettext_lazy("%(count)s entry", "%(count)s entries", "count"),
        gender=pgettext_lazy("grammatical gender", "entry"),
    )

    class Meta:
        verbose_name = _("entry")
        verbose_name_plural = _("entries")
        ordering = ["transaction_id", "id"]
        # Entries are insert-only; a zero amount is refused by the insert trigger ledger_entries_apply.
        indexes = [
            models.Index(fields=["account", "date", "id"], name="ledger_entry_account_date"),
            models.Index(fields=["organization", "date"], name="ledger_entry_org_date"),
            # Tags are optional: their indexes leave out the untagged legs, which every posting would add.
            models.Index(fields=["project"], condition=Q(project__isnull=False), name="ledger_entry_project"),
            models.Index(fields=["category"], condition=Q(category__isnull=False), name="ledger_entry_category"),
            models.Index(
                fields=["counterparty"], condition=Q(counterparty__isnull=False), name="ledger_entry_counterparty"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {format_money(self.amount, self.currency_id)}"

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

    noun_forms = NounForms(
        accusative=pgettext_lazy("accusative", "closed period"),
        genitive=pgettext_lazy("genitive", "closed period"),
        accusative_plural=pgettext_lazy("accusative plural", "closed periods"),
        genitive_plural=pgettext_lazy("genitive plural", "closed periods"),
        count=ngettext_lazy("%(count)s closed period", "%(count)s closed periods", "count"),
        gender=pgettext_lazy("grammatical gender", "closed period"),
    )

    class Meta:
        verbose_name = _("closed period")
        verbose_name_plural = _("closed periods")

    def __str__(self) -> str:
        return f"{self.organization}: ≤ {format_date(self.locked_through)}"


# ─────────────────────────────────────────────────────────────────────────────────────────────────────────────
# Invoices and recurring payments (services in apps/ledger/services/invoices.py and recurring.py).
#
# An invoice is a draft until it is issued; issuing gives it its gap-free number and posts the receivable or
# payable, after which it never changes except for what its payments and its voiding move (status, paid
# amount, the void posting). PostgreSQL holds those rules: CHECK constraints tie the status to the numbers and
# postings, and triggers (apps/ledger/sql/ledger_invoice*.sql) refuse edits of an issued invoice or its lines.
# ─────────────────────────────────────────────────────────────────────────────────────────────────────────────


class InvoiceKind(models.TextChoices):
    RECEIVABLE = "receivable", _("Receivable (we bill a customer)")
    PAYABLE = "payable", _("Payable (a supplier bills us)")


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("invoice status", "Draft")
    ISSUED = "issued", pgettext_lazy("invoice status", "Issued")
    PARTIALLY_PAID = "partially_paid", pgettext_lazy("invoice status", "Partially paid")
    PAID = "paid", pgettext_lazy("invoice status", "Paid")
    OVERDUE = "overdue", pgettext_lazy("invoice status", "Overdue")
    VOID = "void", pgettext_lazy("invoice status", "Void")


# Issued and not void: the invoice's issue posting stands.
INVOICE_OPEN_STATUSES = (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.OVERDUE)
INVOICE_POSTED_STATUSES = (*INVOICE_OPEN_STATUSES, InvoiceStatus.PAID)


class Invoice(TenantModel):
    """A bill to a customer (receivable) or from a supplier (payable), in one currency.

    ``number`` is empty while a draft and assigned at issue, gap-free per organization, kind and year (see
    :class:`InvoiceNumberCounter`). ``total`` is the sum of the lines' amounts (kept by the services);
    ``paid_amount`` the sum of its payments that stand; the database holds ``0 ≤ paid_amount ≤ total``.
    """

    kind = models.CharField(_("kind"), max_length=16, choices=InvoiceKind.choices, default=InvoiceKind.RECEIVABLE)
    number = models.CharField(_("number"), max_length=32, blank=True, default="", editable=False)
    reference = models.CharField(
        _("reference"), max_length=64, blank=True, help_text=_("The supplier's own number, an order number or similar.")
    )
    counterparty = models.ForeignKey(
        Counterparty, on_delete=models.PROTECT, related_name="invoices", verbose_name=_("counterparty")
    )
    currency = models.ForeignKey(
        "core.Currency", on_delete=models.PROTECT, related_name="+", verbose_name=_("currency")
    )
    issue_date = models.DateField(_("issue date"))
    due_date = models.DateField(_("due date"))
    status = models.CharField(
        _("status"), max_length=16, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT, editable=False
    )
    total = AmountField(_("total"), default=0, editable=False)
    paid_amount = AmountField(_("paid"), default=0, editable=False)
    notes = models.TextField(_("notes"), blank=True)
    # Set at issue: the receivable or payable account the issue posting used (payments settle against it).
    balance_account = models.ForeignKey(
        Account,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("receivable or payable account"),
        editable=False,
    )
    issue_transaction = models.OneToOneField(
        Transaction,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="issued_invoice",
        verbose_name=_("issue posting"),
        editable=False,
    )
    void_transaction = models.OneToOneField(
        Transaction,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="voided_invoice",
        verbose_name=_("void posting"),
        editable=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
        editable=False,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True, editable=False)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True, editable=False)

    objects = TenantQuerySet.as_manager()

    noun_forms = NounForms(
        accusative=pgettext_lazy("accusative", "invoice"),
        genitive=pgettext_lazy("genitive", "invoice"),
        accusative_plural=pgettext_lazy("accusative plural", "invoices"),
        genitive_plural=pgettext_lazy("genitive plural", "invoices"),
        count=ngettext_lazy("%(count)s invoice", "%(count)s invoices", "count"),
        gender=pgettext_lazy("grammatical gender", "invoice"),
    )

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-issue_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "number"], condition=~Q(number=""), name="ledger_invoice_number_unique"
            ),
            models.CheckConstraint(condition=Q(kind__in=["receivable", "payable"]), name="ledger_invoice_kind"),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "issued", "partially_paid", "paid", "overdue", "void"]),
                name="ledger_invoice_status_known",
            ),
            models.CheckConstraint(
                condition=Q(due_date__gte=models.F("issue_date")), name="ledger_invoice_due_after_issue"
            ),
            models.CheckConstraint(
                condition=Q(total__gte=0, paid_amount__gte=0, paid_amount__lte=models.F("total")),
                name="ledger_invoice_paid_within_total",
            ),
            # A draft has no number and no posting; an issued invoice has both; a void one has its reversal if
            # it was ever issued. Payments only move an issued invoice's paid amount and status.
            models.CheckConstraint(
                condition=(
                    Q(status="draft", number="", issue_transaction__isnull=True, void_transaction__isnull=True)
                    | Q(status="void", number="", issue_transaction__isnull=True, void_transaction__isnull=True)
                    | (
                        Q(status="void", issue_transaction__isnull=False, void_transaction__isnull=False)
                        & ~Q(number="")
                    )
                    | (
                        Q(
                            status__in=["issued", "partially_paid", "paid", "overdue"],
                            issue_transaction__isnull=False,
                            void_transaction__isnull=True,
                            balance_account__isnull=False,
                            total__gt=0,
                        )
                        & ~Q(number="")
                    )
                ),
                name="ledger_invoice_status_postings",
            ),
            models.CheckConstraint(
                condition=(
                    Q(status__in=["draft", "issued", "void"], paid_amount=0)
                    | Q(status="partially_paid", paid_amount__gt=0, paid_amount__lt=models.F("total"))
                    | Q(status="paid", paid_amount=models.F("total"))
                    | Q(status="overdue", paid_amount__lt=models.F("total"))
                ),
                name="ledger_invoice_status_paid",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "kind", "status"], name="ledger_invoice_org_kind_status"),
            models.Index(
                fields=["due_date"],
                condition=Q(status__in=["issued", "partially_paid"]),
                name="ledger_invoice_due_open",
            ),
        ]

    def __str__(self) -> str:
        if self.number:
            return self.number
        return str(_("Draft invoice #{id}").format(id=self.pk)) if self.pk else str(_("New invoice"))

    @property
    def outstanding(self):
        return self.total - self.paid_amount

    @property
    def is_draft(self) -> bool:
        return self.status == InvoiceStatus.DRAFT


class InvoiceLine(models.Model):
    """A line of an invoice: quantity × unit price, rounded half-even to the currency's precision (the
    services compute ``amount``), booked to its income (receivable) or expense/asset (payable) account."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines", verbose_name=_("invoice"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    description = models.CharField(_("description"), max_length=500)
    quantity = models.DecimalField(_("quantity"), max_digits=20, decimal_places=6, default=1)
    unit_price = AmountField(_("unit price"))
    amount = AmountField(_("amount"), default=0, editable=False)
    account = models.ForeignKey(
        Account,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("account"),
        help_text=_("Income account (receivables) or expense/asset account (payables); empty for the default."),
    )
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("category")
    )
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("project")
    )

    tenant_path = "invoice__organization"
    objects = TenantQuerySet.as_manager()

    noun_forms = NounForms(
        accusative=pgettext_lazy("accusative", "invoice line"),
        genitive=pgettext_lazy("genitive", "invoice line"),
        accusative_plural=pgettext_lazy("accusative plural", "invoice lines"),
        genitive_plural=pgettext_lazy("genitive plural", "invoice lines"),
        count=ngettext_lazy("%(count)s invoice line", "%(count)s invoice lines", "count"),
        gender=pgettext_lazy("grammatical gender", "invoice line"),
    )

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        ordering = ["invoice_id", "position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="ledger_invoiceline_quantity_positive"),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0, amount__gte=0), name="ledger_invoiceline_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.description


class InvoiceNumberCounter(TenantModel):
    """The last number given to an organization's invoices of one kind in one year. Issuing increments it in
    the issuing transaction (the row stays locked until commit), so a rolled-back issue leaves no gap."""

    kind = models.CharField(_("kind"), max_length=16, choices=InvoiceKind.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    noun_forms = NounForms(
        accusative=pgettext_lazy("accusative", "invoice number counter"),
        genitive=pgettext_lazy("genitive", "invoice number counter"),
        accusative_plural=pgettext_lazy("accusative plural", "invoice number counters"),
        genitive_plural=pgettext_lazy("genitive plural", "invoice number counters"),
        count=ngettext_lazy("%(count)s invoice number counter", "%(count)s invoice number counters", "count"),
        gender=pgettext_lazy("grammatical gender", "invoice number counter"),
    )

    class Meta:
        verbose_name = _("invoice number counter")
        verbose_name_plural = _("invoice number counters")
        constraints = [
            models.UniqueConstraint(fields=["organization", "kind", "year"], name="ledger_invoice_counter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.year}: {self.last_number}"


class InvoicePayment(TenantModel):
    """A payment allocated to an invoice: the posting that settled ``amount`` of it. A payment that was
    reversed (``reversal_transaction``) no longer counts towards the invoice's paid amount."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments", verbose_name=_("invoice"))
    date = models.DateField(_("date"))
    amount = AmountField(_("amount"))
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="+", verbose_name=_("cash or bank account")
    )
    transaction = models.OneToOneField(
        Transaction, on_delete=models.PROTECT, related_name="invoice_payment", verbose_name=_("posting")
    )
    reversal_transaction = models.OneToOneField(
        Transaction,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_invoice_payment",
        verbose_name=_("reversal posting"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = TenantQuerySet.as_manager()

    noun_forms = NounForms(
        accusative=pgettext_lazy("accusative", "invoice payment"),
        genitive=pgettext_lazy("genitive", "invoice payment"),
        accusative_plural=pgettext_lazy("accusative plural", "invoice payments"),
        genitive_plural=pgettext_lazy("genitive plural", "invoice payments"),
        count=ngettext_lazy("%(count)s invoice payment", "%(count)s invoice payments", "count"),
        gender=pgettext_lazy("grammatical gender", "invoice payment"),
    )

    class Meta:
        verbose_name = _("invoice payment")
        verbose_name_plural = _("invoice payments")
        ordering = ["invoice_id", "date", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="ledger_invoicepayment_positive")]

    def __str__(self) -> str:
        return f"{self.invoice} {format_date(self.date)} {format_money(self.amount, self.invoice.currency_id)}"


class RecurringInterval(models.TextChoices):
    DAYS = "days", _("days")
    WEEKS = "weeks", _("weeks")
    MONTHS = "months", _("months")


class RecurringPayment(TenantModel):
    """A transaction posted on a schedule (rent, salaries, subscriptions): its template legs, every
    ``interval_count`` days, weeks or months from ``start_date`` (monthly on ``day_of_month``, clamped to
    the month's last day), until ``end_date``. Each occurrence posts once, with the idempotency key
    ``recurring:<id>:<date>``; ``next_due_date`` is the first occurrence not yet handled (empty when done)."""

    name = models.CharField(_("name"), max_length=200)
    description = models.CharField(_("description"), max_length=500, blank=True)
    interval_unit = models.CharField(
        _("repeat every (unit)"), max_length=8, choices=RecurringInterval.choices, default=RecurringInterval.MONTHS
    )
    interval_count = models.PositiveSmallIntegerField(_("repeat every (count)"), default=1)
    day_of_month = models.PositiveSmallIntegerField(
        _("day of month"),
        null=True,
        blank=True,
        help_text=_("For monthly schedules: 1–31; a day the month lacks means its last day. Empty: the start day."),
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    paused = models.BooleanField(_("paused"), default=False)
    next_due_date = models.DateField(_("next due"), null=True, blank=True, editable=False)
    last_posted_date = models.DateField(_("last posted"), null=True, blank=True, editable=False)
    last_error = models.TextField(_("last problem"), blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
        editable=False,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = TenantQuerySet.as_manager()

    noun_forms = NounForms(
        accusative=pgettext_lazy("accusative", "recurring payment"),
        genitive=pgettext_lazy("genitive", "recurring payment"),
        accusative_plural=pgettext_lazy("accusative plural", "recurring payments"),
        genitive_plural=pgettext_lazy("genitive plural", "recurring payments"),
        count=ngettext_lazy("%(count)s recurring payment", "%(count)s recurring payments", "count"),
        gender=pgettext_lazy("grammatical gender", "recurring payment"),
    )

    class Meta:
        verbose_name = _("recurring payment")
        verbose_name_plural = _("recurring payments")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(interval_unit__in=["days", "weeks", "months"]), name="ledger_recurring_unit_known"
            ),
            models.CheckConstraint(condition=Q(interval_count__gte=1), name="ledger_recurring_count_positive"),
            models.CheckConstraint(
                condition=Q(day_of_month__isnull=True)
                | Q(interval_unit="months", day_of_month__gte=1, day_of_month__lte=31),
                name="ledger_recurring_day_of_month",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="ledger_recurring_end_after_start",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_due_date"],
                condition=Q(paused=False, next_due_date__isnull=False),
                name="ledger_recurring_due",
            )
        ]

    def __str__(self) -> str:
        return self.name


class RecurringPaymentLeg(models.Model):
    """One leg of a recurring payment's template transaction (debit positive, credit negative)."""

    recurring_payment = models.ForeignKey(
        RecurringPayment, on_delete=models.CASCADE, related_name="legs", verbose_name=_("recurring payment")
    )
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+", verbose_name=_("account"))
    amount = AmountField(_("amount"), help_text=_("Debit positive, credit negative."))
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("project")
    )
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("category")
    )
    counterparty = models.ForeignKey(
        Counterparty, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("counterparty")
    )
    memo = models.CharField(_("memo"), max_length=500, blank=True)

    tenant_path = "recurring_payment__organization"
    objects = TenantQuerySet.as_manager()

    noun_forms = NounForms(
        accusative=pgettext_lazy("accusative", "recurring payment leg"),
        genitive=pgettext_lazy("genitive", "recurring payment leg"),
        accusative_plural=pgettext_lazy("accusative plural", "recurring payment legs"),
        genitive_plural=pgettext_lazy("genitive plural", "recurring payment legs"),
        count=ngettext_lazy("%(count)s recurring payment leg", "%(count)s recurring payment legs", "count"),
        gender=pgettext_lazy("grammatical gender", "recurring payment leg"),
    )

    class Meta:
        verbose_name = _("recurring payment leg")
        verbose_name_plural = _("recurring payment legs")
        ordering = ["recurring_payment_id", "id"]
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="ledger_recurringleg_amount_not_zero")]

    def __str__(self) -> str:
        return f"{self.account_id} {format_money(self.amount)}"


# ─────────────────────────────────────────────────────────────────────────────────────────────────────────────
# Crypto transfers (services in apps/ledger/services/crypto.py, the TronScan client in apps/ledger/tronscan.py).
#
# A transfer on the TRON network (TRX, or USDT as a TRC-20 token) is registered by its hash as pending with
# what it should be: amount, token, addresses, our account and the other side. It is checked on the network;
# once it matches and enough blocks confirm it, it is posted (idempotency key crypto:<network>:<hash>) and
# its detail becomes confirmed, tied to that posting for good; a mismatch or a failure on the network makes
# it failed, with the reason. PostgreSQL holds these rules (constraints below, apps/ledger/sql/ledger_crypto_*):
# one detail per hash and network in an organization, accounts of that organization in the token's currency,
# confirmed if and only if posted, and a confirmed detail never changes.
# ─────────────────────────────────────────────────────────────────────────────────────────────────────────────


class CryptoNetwork(models.TextChoices):
    TRON = "tron", _("TRON")


class CryptoToken(models.TextChoices):
    # The values are the currency codes of the accounts the token is kept on.
    TRX = "TRX", _("TRX (Tron)")
    USDT = "USDT", _("USDT (TRC-20)")


class CryptoDirection(models.TextChoices):
    INCOMING = "in", _("Incoming: arrives to our wallet")
    OUTGOING = "out", _("Outgoing: leaves our wallet")


class CryptoStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("crypto transfer status", "Pending")
    CONFIRMED = "confirmed", pgettext_lazy("crypto transfer status", "Confirmed")
    FAILED = "failed", pgettext_lazy("crypto transfer status", "Failed")


def normalize_tx_hash(value: str) -> str:
    """A transaction hash as stored: lower case, without a ``0x`` prefix (the service and the filter agree)."""
    value = (value or "").strip().lower()
    return value[2:] if value.startswith("0x") else value


class CryptoTransactionDetail(TenantModel):
    """A blockchain transfer behind a posting: registered by its hash, verified on the network, then posted.

    ``account`` is ours (the wallet the money arrives to or leaves from), ``counter_account`` the other side
    of the posting (a receivable, an expense, another wallet…), both in the token's currency. When we send,
    the network fee (in TRX) is booked as its own leg: debit ``fee_account`` (purpose "network fees"),
    credit ``fee_source_account`` (the sending wallet's TRX; the wallet account itself for TRX transfers).
    """

    transaction = models.OneToOneField(
        Transaction,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="crypto_detail",
        verbose_name=_("posting"),
        editable=False,
    )
    network = models.CharField(_("network"), max_length=16, choices=CryptoNetwork.choices, default=CryptoNetwork.TRON)
    token = models.CharField(_("token"), max_length=10, choices=CryptoToken.choices)
    token_contract = models.CharField(
        _("token contract"), max_length=64, blank=True, help_text=_("The TRC-20 contract address; empty for TRX.")
    )
    tx_hash = models.CharField(_("transaction hash"), max_length=64)
    direction = models.CharField(_("direction"), max_length=3, choices=CryptoDirection.choices)
    from_address = models.CharField(_("from address"), max_length=64)
    to_address = models.CharField(_("to address"), max_length=64)
    amount = AmountField(_("amount"))
    fee_trx = AmountField(_("network fee, TRX"), default=0, editable=False)
    confirmations = models.PositiveIntegerField(_("confirmations"), default=0, editable=False)
    status = models.CharField(
        _("status"), max_length=16, choices=CryptoStatus.choices, default=CryptoStatus.PENDING, editable=False
    )
    account = models.ForeignKey(
        Account,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("wallet account"),
        help_text=_("Our account the money arrives to or leaves from, in the token's currency."),
    )
    counter_account = models.ForeignKey(
        Account,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("counter account"),
        help_text=_("The other side of the posting, in the token's currency."),
    )
    fee_account = models.ForeignKey(
        Account,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("network fee account"),
        help_text=_("When we send: the TRX account of purpose “network fees” the fee is booked to."),
    )
    fee_source_account = models.ForeignKey(
        Account,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("account paying the fee"),
        help_text=_("When we send USDT: the sending wallet's TRX account, which pays the network fee."),
    )
    description = models.CharField(_("description"), max_length=500, blank=True)
    block_number = models.PositiveBigIntegerField(_("block"), null=True, blank=True, editable=False)
    block_time = models.DateTimeField(_("block time"), null=True, blank=True, editable=False)
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True, editable=False)
    error = models.TextField(_("last problem"), blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("registered by"),
        editable=False,
    )
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)

    objects = TenantQuerySet.as_manager()

    noun_forms = NounForms(
        accusative=pgettext_lazy("accusative", "crypto transfer"),
        genitive=pgettext_lazy("genitive", "crypto transfer"),
        accusative_plural=pgettext_lazy("accusative plural", "crypto transfers"),
        genitive_plural=pgettext_lazy("genitive plural", "crypto transfers"),
        count=ngettext_lazy("%(count)s crypto transfer", "%(count)s crypto transfers", "count"),
        gender=pgettext_lazy("grammatical gender", "crypto transfer"),
    )

    class Meta:
        verbose_name = _("crypto transfer")
        verbose_name_plural = _("crypto transfers")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "network", "tx_hash"], name="ledger_crypto_hash_unique_per_network"
            ),
            models.CheckConstraint(condition=Q(network__in=["tron"]), name="ledger_crypto_network_known"),
            models.CheckConstraint(condition=Q(token__in=["TRX", "USDT"]), name="ledger_crypto_token_known"),
            models.CheckConstraint(condition=Q(direction__in=["in", "out"]), name="ledger_crypto_direction_known"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "confirmed", "failed"]), name="ledger_crypto_status_known"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0, fee_trx__gte=0), name="ledger_crypto_amounts_positive"),
            models.CheckConstraint(
                condition=Q(status="confirmed", transaction__isnull=False)
                | (~Q(status="confirmed") & Q(transaction__isnull=True)),
                name="ledger_crypto_confirmed_iff_posted",
            ),
            models.CheckConstraint(
                condition=~Q(from_address=models.F("to_address")), name="ledger_crypto_two_addresses"
            ),
            models.CheckConstraint(
                condition=~Q(account=models.F("counter_account")), name="ledger_crypto_two_accounts"
            ),
        ]
        indexes = [
            # The beat task's queue: pending transfers, never checked first, then the least recently checked.
            models.Index(
                models.F("checked_at").asc(nulls_first=True),
                models.F("id"),
                condition=Q(status="pending"),
                name="ledger_crypto_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount.normalize():f} {self.token} {self.tx_hash[:10]}…"
