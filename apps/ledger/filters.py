"""Filter sets of the books, shared by the API and the pages.

They run on querysets already scoped to the user's organizations, so naming another organization's slug or
row simply finds nothing. Filters over a transaction's legs use ``EXISTS`` subqueries: a transaction is
listed once however many of its legs match.
"""

from __future__ import annotations

import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from apps.core.filters import DateFilter, NumberFilter
from apps.core.mechanisms.idempotency import key_lookup_values

from .models import (
    Account,
    AccountBalance,
    AccountType,
    Category,
    Counterparty,
    CryptoDirection,
    CryptoNetwork,
    CryptoStatus,
    CryptoToken,
    CryptoTransactionDetail,
    Invoice,
    InvoiceKind,
    InvoicePayment,
    InvoiceStatus,
    PeriodLock,
    Project,
    RecurringInterval,
    RecurringPayment,
    Transaction,
    TransactionEntry,
    normalize_tx_hash,
)


def _organization_filter():
    return django_filters.CharFilter(field_name="organization__slug", label=_("Organization (slug)"))


class AccountFilter(django_filters.FilterSet):
    organization = _organization_filter()
    type = django_filters.MultipleChoiceFilter(choices=AccountType.choices, label=_("Type"))
    currency = django_filters.CharFilter(field_name="currency__code", lookup_expr="iexact", label=_("Currency code"))
    code = django_filters.CharFilter(field_name="code", lookup_expr="iexact", label=_("Account code"))
    purpose = django_filters.ChoiceFilter(choices=Account.Purpose.choices, label=_("Purpose"))
    parent = NumberFilter(field_name="parent_id", label=_("Parent account id"))
    is_root = django_filters.BooleanFilter(field_name="parent", lookup_expr="isnull", label=_("Top level only"))

    class Meta:
        model = Account
        fields = [
            "organization",
            "type",
            "currency",
            "code",
            "purpose",
            "parent",
            "is_root",
            "is_active",
            "non_negative",
        ]


class BalanceFilter(django_filters.FilterSet):
    organization = _organization_filter()
    type = django_filters.MultipleChoiceFilter(field_name="account__type", choices=AccountType.choices, label=_("Type"))
    currency = django_filters.CharFilter(field_name="currency__code", lookup_expr="iexact", label=_("Currency code"))
    purpose = django_filters.ChoiceFilter(
        field_name="account__purpose", choices=Account.Purpose.choices, label=_("Purpose")
    )
    is_active = django_filters.BooleanFilter(field_name="account__is_active", label=_("Active accounts only"))
    nonzero = django_filters.BooleanFilter(method="filter_nonzero", label=_("Only balances other than zero"))

    class Meta:
        model = AccountBalance
        fields = ["organization", "type", "currency", "purpose", "is_active", "nonzero"]

    def filter_nonzero(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.exclude(balance=0) if value else queryset.filter(balance=0)


class ProjectFilter(django_filters.FilterSet):
    organization = _organization_filter()

    class Meta:
        model = Project
        fields = ["organization", "is_active"]


class CategoryFilter(django_filters.FilterSet):
    organization = _organization_filter()
    kind = django_filters.ChoiceFilter(choices=Category.Kind.choices, label=_("Kind"))
    parent = NumberFilter(field_name="parent_id", label=_("Parent category id"))

    class Meta:
        model = Category
        fields = ["organization", "kind", "parent", "is_active"]


class CounterpartyFilter(django_filters.FilterSet):
    organization = _organization_filter()
    kind = django_filters.MultipleChoiceFilter(choices=Counterparty.Kind.choices, label=_("Kind"))
    tax_id = django_filters.CharFilter(label=_("Tax id"))

    class Meta:
        model = Counterparty
        fields = ["organization", "kind", "tax_id", "is_active"]


def _with_leg(**lookups) -> Exists:
    return Exists(TransactionEntry.objects.filter(transaction_id=OuterRef("pk"), **lookups))


class TransactionFilter(django_filters.FilterSet):
    organization = _organization_filter()
    date_from = DateFilter(field_name="date", lookup_expr="gte", label=_("On or after (date)"))
    date_to = DateFilter(field_name="date", lookup_expr="lte", label=_("On or before (date)"))
    kind = django_filters.MultipleChoiceFilter(choices=Transaction.Kind.choices, label=_("Kind"))
    account = NumberFilter(method="filter_leg", label=_("With a leg on this account (id)"))
    counterparty = NumberFilter(method="filter_leg", label=_("With a leg tagged with this counterparty (id)"))
    project = NumberFilter(method="filter_leg", label=_("With a leg tagged with this project (id)"))
    category = NumberFilter(method="filter_leg", label=_("With a leg tagged with this category (id)"))
    currency = django_filters.CharFilter(method="filter_currency", label=_("With a leg in this currency (code)"))
    q = django_filters.CharFilter(
        method="filter_text", label=_("Text in the description, a memo or a counterparty's name")
    )
    reversed = django_filters.BooleanFilter(
        field_name="reversed_by", lookup_expr="isnull", exclude=True, label=_("Reversed")
    )

    class Meta:
        model = Transaction
        fields = ["organization", "date_from", "date_to", "kind", "account", "counterparty", "project", "category", "q"]

    def filter_leg(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(_with_leg(**{f"{name}_id": value}))

    def filter_currency(self, queryset, name, value):
        return queryset.filter(_with_leg(currency_id=value.upper())) if value else queryset

    def filter_text(self, queryset, name, value):
        value = (value or "").strip()
        if not value:
            return queryset
        legs = TransactionEntry.objects.filter(transaction_id=OuterRef("pk")).filter(
            Q(memo__icontains=value) | Q(counterparty__name__icontains=value)
        )
        text = Q(description__icontains=value) | Q(idempotency_key__in=key_lookup_values(value)) | Exists(legs)
        if value.lstrip("#").isdigit() and len(value) <= 18:
            text |= Q(pk=int(value.lstrip("#")))
        return queryset.filter(text)


class PeriodLockFilter(django_filters.FilterSet):
    organization = _organization_filter()

    class Meta:
        model = PeriodLock
        fields = ["organization"]


class InvoiceFilter(django_filters.FilterSet):
    organization = _organization_filter()
    kind = django_filters.ChoiceFilter(choices=InvoiceKind.choices)
    status = django_filters.MultipleChoiceFilter(choices=InvoiceStatus.choices)
    currency = django_filters.CharFilter(field_name="currency_id")
    counterparty = NumberFilter(field_name="counterparty_id")
    issued_after = DateFilter(field_name="issue_date", lookup_expr="gte")
    issued_before = DateFilter(field_name="issue_date", lookup_expr="lte")
    due_after = DateFilter(field_name="due_date", lookup_expr="gte")
    due_before = DateFilter(field_name="due_date", lookup_expr="lte")

    class Meta:
        model = Invoice
        fields = ["organization", "kind", "status", "currency", "counterparty"]


class InvoicePaymentFilter(django_filters.FilterSet):
    organization = _organization_filter()
    invoice = NumberFilter(field_name="invoice_id")
    reversed = django_filters.BooleanFilter(field_name="reversal_transaction", lookup_expr="isnull", exclude=True)

    class Meta:
        model = InvoicePayment
        fields = ["organization", "invoice", "reversed"]


class RecurringPaymentFilter(django_filters.FilterSet):
    organization = _organization_filter()
    paused = django_filters.BooleanFilter()
    interval_unit = django_filters.ChoiceFilter(choices=RecurringInterval.choices)
    due_before = DateFilter(field_name="next_due_date", lookup_expr="lte")

    class Meta:
        model = RecurringPayment
        fields = ["organization", "paused", "interval_unit"]


class CryptoTransferFilter(django_filters.FilterSet):
    organization = _organization_filter()
    status = django_filters.MultipleChoiceFilter(choices=CryptoStatus.choices, label=_("Status"))
    token = django_filters.ChoiceFilter(choices=CryptoToken.choices, label=_("Token"))
    direction = django_filters.ChoiceFilter(choices=CryptoDirection.choices, label=_("Direction"))
    network = django_filters.ChoiceFilter(choices=CryptoNetwork.choices, label=_("Network"))
    tx_hash = django_filters.CharFilter(method="filter_hash", label=_("Transaction hash"))
    account = NumberFilter(field_name="account_id", label=_("Wallet account (id)"))

    class Meta:
        model = CryptoTransactionDetail
        fields = ["organization", "status", "token", "direction", "network", "tx_hash", "account"]

    def filter_hash(self, queryset, name, value):
        return queryset.filter(tx_hash=normalize_tx_hash(value))
