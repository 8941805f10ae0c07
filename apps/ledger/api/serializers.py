"""Serializers of the books' API.

Money leaves as decimal strings with exactly the currency's decimals ("1500.00", "0.00012000" for BTC) and
comes in as decimal strings, handed to the posting services untouched: the services and the database own
the rules (no floats, no zero, the currency's precision, balance per currency), so nothing is checked twice
here and every refusal names the same field path (``entries.1.amount``).
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ObjectDoesNotExist
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.accounts.roles import write_power
from apps.core.api.fields import DateField, DecimalStringField, IntegerField, money
from apps.core.api.organizations import organization_field as core_organization_field
from apps.core.api.serializers import ModelSerializer, TenantModelSerializer
from apps.core.mechanisms.idempotency import display_key
from apps.core.models import Currency
from apps.core.money.amounts import RATE_PLACES

from ..models import (
    Account,
    AccountBalance,
    Category,
    Counterparty,
    PeriodLock,
    Project,
    Transaction,
    TransactionEntry,
    natural_sign,
)
from ..services.posting import MAX_LEGS, POSTABLE_KINDS

LEDGER_WRITE = write_power("ledger")


def organization_field(**kwargs):
    """The organization of a write to the books: optional for a user who keeps the books of only one."""
    return core_organization_field(
        power=LEDGER_WRITE,
        ambiguous_message=_("Name the organization by its slug: you keep the books of more than one."),
        help_text=_("Slug of the organization; may be left out by a user who keeps the books of only one."),
        **kwargs,
    )


class LedgerModelSerializer(TenantModelSerializer):
    """A record of the books: the organization defaults to the only one the user keeps books for (and, as
    every tenant record, never changes once the record exists)."""

    organization = organization_field()


class AccountSerializer(LedgerModelSerializer):
    currency = serializers.PrimaryKeyRelatedField(
        queryset=Currency.objects.filter(is_active=True), help_text=_("ISO code, e.g. RUB.")
    )
    parent = serializers.PrimaryKeyRelatedField(
        queryset=Account.objects.all(), required=False, allow_null=True, help_text=_("The parent account (same type).")
    )
    balance = serializers.SerializerMethodField(
        help_text=_("Sum of the entries: debit positive, credit negative (a liability's balance is negative).")
    )
    natural_balance = serializers.SerializerMethodField(
        help_text=_("The balance with the account type's natural sign (a liability's balance is positive).")
    )
    entry_count = serializers.SerializerMethodField(help_text=_("How many entries the account holds."))

    class Meta:
        model = Account
        fields = [
            "id",
            "organization",
            "code",
            "name",
            "type",
            "currency",
            "parent",
            "purpose",
            "non_negative",
            "is_active",
            "description",
            "balance",
            "natural_balance",
            "entry_count",
            "created_at",
        ]
        read_only_fields = ["created_at"]

    @staticmethod
    def _row(account: Account) -> AccountBalance | None:
        try:
            return account.balance_row
        except ObjectDoesNotExist:
            return None

    def get_balance(self, account: Account) -> str:
        row = self._row(account)
        return money(row.balance if row else 0, row.precision if row else 2)

    def get_natural_balance(self, account: Account) -> str:
        row = self._row(account)
        return money(natural_sign(account.type) * (row.balance if row else 0), row.precision if row else 2)

    def get_entry_count(self, account: Account) -> int:
        row = self._row(account)
        return row.entry_count if row else 0


class ProjectSerializer(LedgerModelSerializer):
    class Meta:
        model = Project
        fields = ["id", "organization", "name", "code", "is_active"]


class CategorySerializer(LedgerModelSerializer):
    parent = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("The parent category (same kind)."),
    )

    class Meta:
        model = Category
        fields = ["id", "organization", "name", "kind", "parent", "is_active"]


class CounterpartySerializer(LedgerModelSerializer):
    class Meta:
        model = Counterparty
        fields = ["id", "organization", "name", "kind", "tax_id", "email", "phone", "notes", "is_active"]


class BalanceSerializer(ModelSerializer):
    organization = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    account = IntegerField(source="account_id", read_only=True)
    code = serializers.CharField(source="account.code", read_only=True)
    name = serializers.CharField(source="account.name", read_only=True)
    type = serializers.CharField(source="account.type", read_only=True)
    purpose = serializers.CharField(source="account.purpose", read_only=True)
    currency = serializers.CharField(source="currency_id", read_only=True)
    balance = serializers.SerializerMethodField(help_text=_("Debit positive, credit negative."))
    natural_balance = serializers.SerializerMethodField(help_text=_("With the account type's natural sign."))

    class Meta:
        model = AccountBalance
        fields = [
            "account",
            "organization",
            "code",
            "name",
            "type",
            "purpose",
            "currency",
            "balance",
            "natural_balance",
            "entry_count",
        ]
        read_only_fields = fields

    def get_balance(self, row: AccountBalance) -> str:
        return money(row.balance, row.precision)

    def get_natural_balance(self, row: AccountBalance) -> str:
        return money(natural_sign(row.account.type) * row.balance, row.precision)


# --- transactions -----------------------------------------------------------------------------------------


class EntrySerializer(ModelSerializer):
    account = IntegerField(source="account_id", read_only=True)
    account_code = serializers.CharField(source="account.code", read_only=True)
    account_name = serializers.CharField(source="account.name", read_only=True)
    currency = serializers.CharField(source="currency_id", read_only=True)
    amount = serializers.SerializerMethodField(help_text=_("Signed: debit positive, credit negative."))
    debit = serializers.SerializerMethodField()
    credit = serializers.SerializerMethodField()
    project = IntegerField(source="project_id", read_only=True, allow_null=True)
    category = IntegerField(source="category_id", read_only=True, allow_null=True)
    counterparty = IntegerField(source="counterparty_id", read_only=True, allow_null=True)

    class Meta:
        model = TransactionEntry
        fields = [
            "id",
            "account",
            "account_code",
            "account_name",
            "currency",
            "amount",
            "debit",
            "credit",
            "project",
            "category",
            "counterparty",
            "memo",
        ]
        read_only_fields = fields

    def get_amount(self, entry: TransactionEntry) -> str:
        return money(entry.amount, entry.currency.precision)

    def get_debit(self, entry: TransactionEntry) -> str | None:
        return money(entry.debit, entry.currency.precision)

    def get_credit(self, entry: TransactionEntry) -> str | None:
        return money(entry.credit, entry.currency.precision)


class FxRateBriefSerializer(serializers.Serializer):
    date = DateField()
    base = serializers.CharField(source="base_id")
    quote = serializers.CharField(source="quote_id")
    rate = serializers.DecimalField(max_digits=28, decimal_places=12)
    source = serializers.CharField()


class TotalSerializer(serializers.Serializer):
    currency = serializers.CharField()
    amount = serializers.CharField(help_text=_("The sum of the debits (equal to the sum of the credits)."))


class TransactionSerializer(ModelSerializer):
    organization = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="email", read_only=True, allow_null=True)
    reversed_by = serializers.SerializerMethodField(help_text=_("The transaction that reversed this one, if any."))
    fx_rate = FxRateBriefSerializer(read_only=True, allow_null=True, help_text=_("The exchange rate it used."))
    totals = serializers.SerializerMethodField()
    entries = EntrySerializer(many=True, read_only=True)
    idempotency_key = serializers.SerializerMethodField(
        help_text=_("The key it was posted with: yours as you sent it, or the one the product made (invoice:12:issue).")
    )

    class Meta:
        model = Transaction
        fields = [
            "id",
            "organization",
            "date",
            "kind",
            "description",
            "idempotency_key",
            "leg_count",
            "reverses",
            "reversed_by",
            "fx_rate",
            "created_by",
            "created_at",
            "totals",
            "entries",
        ]
        read_only_fields = fields

    def get_idempotency_key(self, transaction: Transaction) -> str:
        return display_key(transaction.idempotency_key)

    def get_reversed_by(self, transaction: Transaction) -> int | None:
        try:
            return transaction.reversed_by.pk
        except ObjectDoesNotExist:
            return None

    @extend_schema_field(TotalSerializer(many=True))
    def get_totals(self, transaction: Transaction) -> list[dict]:
        totals: dict[str, list] = {}
        for entry in transaction.entries.all():
            if entry.amount > 0:
                total = totals.setdefault(entry.currency_id, [Decimal(0), entry.currency.precision])
                total[0] += entry.amount
        return [{"currency": code, "amount": money(amount, precision)} for code, (amount, precision) in totals.items()]


class LegInputSerializer(serializers.Serializer):
    account = IntegerField(help_text=_("Account id."))
    amount = DecimalStringField(help_text=_("Signed decimal string: debit positive, credit negative."))
    project = IntegerField(required=False, allow_null=True, default=None)
    category = IntegerField(required=False, allow_null=True, default=None)
    counterparty = IntegerField(required=False, allow_null=True, default=None)
    memo = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


def _legs_field(**kwargs) -> serializers.ListSerializer:
    return LegInputSerializer(many=True, max_length=MAX_LEGS, **kwargs)


IDEMPOTENCY_HELP = _(
    "Repeating a key returns the first transaction (200) and posts nothing. May be sent as the "
    "Idempotency-Key header instead; one of the two is required."
)


class PostingSerializer(serializers.Serializer):
    organization = organization_field()
    date = DateField(help_text=_("The business date of the transaction."))
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)
    idempotency_key = serializers.CharField(required=False, allow_blank=True, default="", help_text=IDEMPOTENCY_HELP)


class TransactionPostSerializer(PostingSerializer):
    kind = serializers.ChoiceField(choices=POSTABLE_KINDS, default=Transaction.Kind.COMPLEX)
    entries = _legs_field(help_text=_("Two or more legs that sum to zero in each currency."))


class _TagsSerializer(PostingSerializer):
    amount = DecimalStringField(help_text=_("Positive decimal string."))
    project = IntegerField(required=False, allow_null=True, default=None)
    counterparty = IntegerField(required=False, allow_null=True, default=None)


class IncomePostSerializer(_TagsSerializer):
    account = IntegerField(help_text=_("The cash or bank account that received the money (debited)."))
    income_account = IntegerField(help_text=_("The income account (credited)."))
    category = IntegerField(required=False, allow_null=True, default=None)


class ExpensePostSerializer(_TagsSerializer):
    account = IntegerField(help_text=_("The cash or bank account the money left (credited)."))
    expense_account = IntegerField(help_text=_("The expense account (debited)."))
    category = IntegerField(required=False, allow_null=True, default=None)


class TransferPostSerializer(_TagsSerializer):
    from_account = IntegerField()
    to_account = IntegerField()
    to_amount = DecimalStringField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("Across currencies: the amount that arrived (or give the rate)."),
    )
    rate = DecimalStringField(
        decimal_places=RATE_PLACES,
        required=False,
        allow_null=True,
        default=None,
        help_text=_("Across currencies: units of the target currency per unit of the source."),
    )
    fee = DecimalStringField(
        required=False, allow_null=True, default=None, help_text=_("A fee in the source currency.")
    )
    fee_account = IntegerField(required=False, allow_null=True, default=None)


class ReverseSerializer(serializers.Serializer):
    date = DateField(
        required=False, allow_null=True, default=None, help_text=_("Date of the reversal; the original's by default.")
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=400)


class PeriodLockSerializer(ModelSerializer):
    organization = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    organization_id = IntegerField(read_only=True)
    locked_through = DateField(
        allow_null=True, help_text=_("Nothing may be posted or reversed on or before this date.")
    )
    updated_by = serializers.SlugRelatedField(slug_field="email", read_only=True, allow_null=True)

    class Meta:
        model = PeriodLock
        fields = ["organization", "organization_id", "locked_through", "updated_by", "updated_at"]
        read_only_fields = ["organization", "organization_id", "updated_by", "updated_at"]


class PeriodLockUpdateSerializer(serializers.Serializer):
    locked_through = DateField(help_text=_("Close the books through this date (inclusive)."))
