"""The posting form of the admin: lines with debit and credit columns that explain an imbalance per currency
before anything is saved, and a hidden idempotency key per form, so a double submit posts once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from django import forms
from django.contrib.admin.widgets import AdminDateWidget
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import get_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.accounts.tenancy import organizations_with_power, scope
from apps.core.forms import DateField
from apps.core.models import Organization

from ..dashboard import money
from ..models import (
    AMOUNT_DIGITS,
    AMOUNT_PLACES,
    Account,
    Category,
    Counterparty,
    Project,
    Transaction,
)
from ..services import posting as posting_services
from ..services import purposes
from .accounts import MAX_INDENT, account_tree
from .common import LEDGER_WRITE, several_organizations

POSTABLE_KINDS = posting_services.POSTABLE_KINDS


# --- the posting form -------------------------------------------------------------------------------------


@dataclass
class LegChoices:
    """What the lines of a posting form may name, read once per request: accounts (with their currency and
    precision, for the running totals), projects, categories, counterparties."""

    accounts: list = field(default_factory=list)
    projects: list = field(default_factory=list)
    categories: list = field(default_factory=list)
    counterparties: list = field(default_factory=list)
    currencies: dict = field(default_factory=dict)  # account id → (currency, precision)
    parents: set = field(default_factory=set)  # accounts with sub-accounts: shown for the tree, not chosen

    @classmethod
    def for_user(cls, user) -> LegChoices:
        several = several_organizations(user)

        def grouped(rows, label):
            if not several:
                return [("", "---------"), *[(row.pk, label(row)) for row in rows]]
            groups: dict[str, list] = {}
            for row in rows:
                groups.setdefault(row.organization.name, []).append((row.pk, label(row)))
            return [("", "---------"), *groups.items()]

        accounts = list(
            account_tree(scope(Account.objects.filter(is_active=True), user))
            .annotate(has_children=purposes.has_children())
            .select_related("currency", "organization")
            .order_by("organization__name", "type_order", "tree_path")
        )

        def account_label(account):
            # No-break spaces: a select collapses ordinary ones, and the tree would lose its shape.
            indent = "\u00a0" * 4 * min(account.depth or 0, MAX_INDENT)
            return f"{indent}{account.code} {account.name} ({account.currency_id})"

        def tags(model):
            return list(scope(model.objects.filter(is_active=True), user).select_related("organization"))

        return cls(
            accounts=grouped(accounts, account_label),
            projects=grouped(tags(Project), str),
            categories=grouped(tags(Category), lambda c: f"{c.get_kind_display()}: {c.name}"),
            counterparties=grouped(tags(Counterparty), str),
            currencies={a.pk: (a.currency_id, a.currency.precision) for a in accounts},
            parents={a.pk for a in accounts if a.has_children},
        )


class AccountSelect(forms.Select):
    """A select of the chart whose parent accounts are shown (they give the tree its shape) but disabled: a
    parent account takes no postings."""

    def __init__(self, *args, disabled: set | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.disabled = disabled or set()

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if value in self.disabled:
            option["attrs"]["disabled"] = True
        return option


class AmountInput(forms.DecimalField):
    """A positive amount typed as people type it in their language: "1 500,50" in Russian, "1,500.50" in
    English, and "1500.50" in both."""

    def __init__(self, **kwargs):
        # Bounded by the amount column: an overflowing amount is a form error, not a database failure.
        kwargs.setdefault("max_digits", AMOUNT_DIGITS)
        kwargs.setdefault("decimal_places", AMOUNT_PLACES)
        super().__init__(required=False, **kwargs)
        self.widget = forms.TextInput(
            attrs={"inputmode": "decimal", "autocomplete": "off", "class": "ledger-amount-input", "size": 12}
        )

    def to_python(self, value):
        if isinstance(value, str):
            value = re.sub(r"[\s\u00a0\u202f']", "", value)
            if get_format("DECIMAL_SEPARATOR") == ",":
                value = value.replace(",", ".")
            else:
                value = value.replace(",", "")
        return super().to_python(value)

    def validate(self, value):
        super().validate(value)
        if value is not None and value <= 0:
            raise ValidationError(
                _("Enter a positive amount; put it in the other column for the opposite side."), code="not_positive"
            )


class LegForm(forms.Form):
    account = forms.TypedChoiceField(label=gettext_lazy("account"), coerce=int, required=False, empty_value=None)
    debit = AmountInput(label=gettext_lazy("debit"))
    credit = AmountInput(label=gettext_lazy("credit"))
    project = forms.TypedChoiceField(label=gettext_lazy("project"), coerce=int, required=False, empty_value=None)
    category = forms.TypedChoiceField(label=gettext_lazy("category"), coerce=int, required=False, empty_value=None)
    counterparty = forms.TypedChoiceField(
        label=gettext_lazy("counterparty"), coerce=int, required=False, empty_value=None
    )
    memo = forms.CharField(label=gettext_lazy("memo"), max_length=500, required=False)

    def __init__(self, *args, choices: LegChoices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].widget = AccountSelect(
            attrs={"class": "ledger-account-select"}, disabled=choices.parents
        )
        self.fields["account"].choices = choices.accounts
        self.fields["project"].choices = choices.projects
        self.fields["category"].choices = choices.categories
        self.fields["counterparty"].choices = choices.counterparties

    @property
    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not data.get("account") and data.get("debit") is None and data.get("credit") is None

    def clean(self):
        data = super().clean()
        debit, credit = data.get("debit"), data.get("credit")
        if self.is_blank or self.errors:
            return data
        if debit is not None and credit is not None:
            raise ValidationError(_("Enter a debit or a credit on a line, not both."), code="both_sides")
        if debit is None and credit is None:
            self.add_error("debit", _("Enter the amount, as a debit or a credit."))
        if not data.get("account"):
            self.add_error("account", _("Choose the account of this line."))
        return data

    def leg(self) -> posting_services.Leg:
        data = self.cleaned_data
        amount = data["debit"] if data.get("debit") is not None else -data["credit"]
        return posting_services.Leg(
            account=data["account"],
            amount=amount,
            project=data.get("project"),
            category=data.get("category"),
            counterparty=data.get("counterparty"),
            memo=data.get("memo") or "",
        )


def imbalance_messages(totals: dict[str, Decimal], precisions: dict[str, int]) -> list[str]:
    """Plain words for each currency whose debits and credits differ."""
    found = []
    for currency, difference in sorted(totals.items()):
        if difference == 0:
            continue
        amount = money(abs(difference), precisions.get(currency, 2), currency)
        if difference > 0:
            found.append(_("Debits exceed credits by {amount}.").format(amount=amount))
        else:
            found.append(_("Credits exceed debits by {amount}.").format(amount=amount))
    return found


class BaseLegFormSet(forms.BaseFormSet):
    """The lines of a posting. ``legs`` pairs each filled line's form index with its Leg, in order: the
    services name a line by its place among the filled ones (``entries.1``)."""

    def __init__(self, *args, choices: LegChoices, **kwargs):
        self.choices = choices
        super().__init__(*args, form_kwargs={"choices": choices}, **kwargs)
        self.legs: list[tuple[int, posting_services.Leg]] = []

    def clean(self):
        if any(self.errors):
            return
        self.legs = [(index, form.leg()) for index, form in enumerate(self.forms) if not form.is_blank]
        if len(self.legs) < 2:
            raise ValidationError(
                _("Enter at least two lines: the account debited and the account credited."), code="too_few_lines"
            )
        totals: dict[str, Decimal] = {}
        precisions: dict[str, int] = {}
        for _index, leg in self.legs:
            currency, precision = self.choices.currencies.get(leg.account, ("?", 2))
            totals[currency] = totals.get(currency, Decimal(0)) + leg.amount
            precisions[currency] = precision
        problems = imbalance_messages(totals, precisions)
        if problems:
            raise ValidationError(problems, code="unbalanced")

    def add_service_error(self, name: str, messages_: list[str]) -> bool:
        """Show the service's ``entries.N.field`` error on line N; False if ``name`` is not about a line."""
        parts = name.split(".")
        if parts[0] != "entries":
            return False
        if len(parts) == 1 or not parts[1].isdigit() or int(parts[1]) >= len(self.legs):
            self._non_form_errors.extend(messages_)
            return True
        index, leg = self.legs[int(parts[1])]
        form = self.forms[index]
        target = parts[2] if len(parts) > 2 else None
        if target == "amount":
            target = "debit" if leg.amount > 0 else "credit"
        form.add_error(target if target in form.fields else None, messages_)
        return True


LegFormSet = forms.formset_factory(LegForm, formset=BaseLegFormSet, extra=4, max_num=200, absolute_max=200)


class TransactionPostForm(forms.Form):
    organization = forms.ModelChoiceField(
        label=capfirst(gettext_lazy("organization")), queryset=Organization.objects.none()
    )
    date = DateField(label=capfirst(gettext_lazy("date")), widget=AdminDateWidget)
    kind = forms.ChoiceField(
        label=capfirst(gettext_lazy("kind")), choices=POSTABLE_KINDS, initial=Transaction.Kind.COMPLEX
    )
    description = forms.CharField(
        label=capfirst(gettext_lazy("description")),
        max_length=500,
        required=False,
        widget=forms.TextInput(attrs={"class": "vTextField", "size": 80}),
    )
    # Made once per rendered form: submitting the same form twice posts once.
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=128)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        writable = organizations_with_power(user, LEDGER_WRITE)
        queryset = Organization.objects.order_by("name")
        if writable is not None:
            queryset = queryset.filter(pk__in=writable)
        organization = self.fields["organization"]
        organization.queryset = queryset
        today = timezone.localdate()  # no organization chosen yet: the server's date
        if writable is not None and len(writable) == 1:
            organization.initial = next(iter(writable))
            organization.widget = forms.HiddenInput()
            today = queryset.get(pk=organization.initial).today()
        self.fields["date"].initial = today
