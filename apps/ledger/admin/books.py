"""Admin of the ledger: books. The bookkeeper's workplace.

- The chart of accounts as a tree, grouped by type, each account with its balance (from the stored balance
  row, one query for the page).
- Projects, categories (a tree) and counterparties.
- Transactions: a posting form with lines (debit and credit columns) that explains an imbalance per currency
  before anything is saved, and a hidden idempotency key per form, so a double submit posts once. Posted
  transactions are read-only; the way forward is the "reverse" action, which asks for a date and a reason.
- The closed period, moved through ``period_lock``.

Every change goes through a service (``services.books``, ``services.posting``); the forms only translate
the services' refusals into messages next to the fields they name.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.widgets import AdminDateWidget
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Case, Exists, IntegerField, OuterRef, Prefetch, Value, When
from django.db.models.expressions import RawSQL
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.formats import date_format, get_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from apps.core.accounts.roles import write_power
from apps.core.accounts.tenancy import organization_ids, organizations_with_power, scope
from apps.core.admin_kit.base import KontoraModelAdmin, KontoraTabularInline, admin_page_media
from apps.core.forms import DateField
from apps.core.language.formatting import format_date, format_quantity
from apps.core.mechanisms.idempotency import is_replay
from apps.core.models import Organization

from .. import services
from ..dashboard import money
from ..models import (
    AMOUNT_DIGITS,
    AMOUNT_PLACES,
    Account,
    AccountType,
    Category,
    Counterparty,
    PeriodLock,
    Project,
    Transaction,
    TransactionEntry,
    natural_sign,
)
from ..services import books as book_services
from ..services import posting as posting_services
from ..services import purposes

LEDGER_WRITE = write_power("ledger")

POSTABLE_KINDS = posting_services.POSTABLE_KINDS

TYPE_ORDER = [AccountType.ASSET, AccountType.LIABILITY, AccountType.EQUITY, AccountType.INCOME, AccountType.EXPENSE]

MAX_INDENT = 6


def report_links() -> list[tuple[str, str]]:
    """Links to the books' report pages: the reports' own pages where they exist (``admin/reports.py``
    registers them), else the changelists that answer the same questions."""
    candidates = [
        (gettext_lazy("Trial balance"), ["admin:ledger_report_trial_balance"]),
        (gettext_lazy("Profit and loss"), ["admin:ledger_report_profit_and_loss"]),
        (gettext_lazy("Balance sheet"), ["admin:ledger_report_balance_sheet"]),
        (gettext_lazy("Cash flow"), ["admin:ledger_report_cash_flow"]),
        (gettext_lazy("Account statement"), ["admin:ledger_report_account_statement"]),
        (gettext_lazy("All reports"), ["admin:ledger_reports"]),
    ]
    links = []
    for label, names in candidates:
        for name in names:
            try:
                links.append((str(label), reverse(name)))
                break
            except NoReverseMatch:
                continue
    if not links:
        links = [
            (_("Chart of accounts and balances"), reverse("admin:ledger_account_changelist")),
            (_("Journal"), reverse("admin:ledger_transaction_changelist")),
        ]
    with contextlib.suppress(NoReverseMatch):
        links.append((_("Books dashboard"), reverse("ledger:dashboard")))
    return links


class ServiceModelForm(forms.ModelForm):
    """A ModelForm whose save is a service call made at the end of validation, so that the service's
    refusals show next to the fields they name. The admin view runs in one database transaction: if anything
    after validation fails, the service's write is rolled back with it."""

    service_user = None  # set by the ModelAdmin's get_form

    def call_service(self):  # pragma: no cover - each form says which service it calls
        raise NotImplementedError

    def _post_clean(self):
        super()._post_clean()
        if self.errors:
            return
        try:
            self.saved = self.call_service()
        except ValidationError as error:
            add_service_errors(self, error)
        except PermissionDenied as error:
            self.add_error(None, str(error) or _("Your role does not allow this change."))

    def save(self, commit=True):
        self.save_m2m = lambda: None
        return self.saved


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: named fields where the form has them, the rest on top."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for name, errors in error.message_dict.items():
        form.add_error(name if name in form.fields else None, errors)


class _ServiceAdmin(KontoraModelAdmin):
    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"service_user": request.user})

    def save_model(self, request, obj, form, change):
        obj.pk = form.saved.pk  # the service saved it during validation
        obj._state.adding = False


# --- chart of accounts ------------------------------------------------------------------------------------

# The chain of codes from the root down to the account ("51/51.1"), and its depth: a recursive query per row
# of the page (a chart is shallow), so the tree needs no extra round trip.
_TREE_PATH = """(
  WITH RECURSIVE up(id, parent_id, code, depth) AS (
    SELECT a.id, a.parent_id, a.code, 0 FROM ledger_account a WHERE a.id = ledger_account.id
    UNION ALL
    SELECT p.id, p.parent_id, p.code, up.depth + 1 FROM ledger_account p JOIN up ON p.id = up.parent_id
     WHERE up.depth < %s
  )
  SELECT string_agg(code, '/' ORDER BY depth DESC) || '/' FROM up
)"""
_TREE_DEPTH = """(
  WITH RECURSIVE up(id, parent_id, depth) AS (
    SELECT a.id, a.parent_id, 0 FROM ledger_account a WHERE a.id = ledger_account.id
    UNION ALL
    SELECT p.id, p.parent_id, up.depth + 1 FROM ledger_account p JOIN up ON p.id = up.parent_id WHERE up.depth < %s
  )
  SELECT max(depth) FROM up
)"""


# The balance of an account with all its sub-accounts in the same currency (a parent shows its branch).
_SUBTREE_BALANCE = """(
  WITH RECURSIVE down(id, depth) AS (
    SELECT a.id, 0 FROM ledger_account a WHERE a.id = ledger_account.id
    UNION ALL
    SELECT c.id, down.depth + 1 FROM ledger_account c JOIN down ON c.parent_id = down.id WHERE down.depth < %s
  )
  SELECT coalesce(sum(b.balance), 0)
    FROM down JOIN ledger_account x ON x.id = down.id JOIN ledger_accountbalance b ON b.account_id = x.id
   WHERE x.currency_id = ledger_account.currency_id
)"""


def account_tree(queryset):
    """Annotate accounts with their place in the tree: ``type_order``, ``tree_path``, ``depth``."""
    return queryset.annotate(
        type_order=Case(
            *[When(type=value, then=Value(index)) for index, value in enumerate(TYPE_ORDER)],
            default=Value(len(TYPE_ORDER)),
            output_field=IntegerField(),
        ),
        tree_path=RawSQL(_TREE_PATH, [book_services.MAX_TREE_DEPTH]),
        depth=RawSQL(_TREE_DEPTH, [book_services.MAX_TREE_DEPTH], output_field=IntegerField()),
    )


class AccountAdminForm(ServiceModelForm):
    class Meta:
        model = Account
        fields = [
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
        ]

    def call_service(self):
        account = self.instance
        if account.pk is None:
            fields = {name: getattr(account, name) for name in self.Meta.fields if name != "organization"}
            return book_services.account_create(organization=account.organization_id, user=self.service_user, **fields)
        return book_services.account_update(account=account, user=self.service_user)


@admin.register(Account)
class AccountAdmin(_ServiceAdmin):
    form = AccountAdminForm
    list_display = ["tree_name", "type", "currency_code", "purpose", "balance_display"]
    list_display_links = ["tree_name"]
    list_filter = ["type", "currency", "purpose", "is_active", "non_negative"]
    search_fields = ["code", "name"]
    list_per_page = 200
    change_list_template = "admin/ledger/account/change_list.html"

    class Media:
        css = {"all": ["css/ledger-admin.css"]}

    def get_queryset(self, request):
        # Annotated before ordering: the default ordering is the tree's (ModelAdmin.get_queryset would order
        # by the annotations before they exist).
        queryset = account_tree(self.model._default_manager.select_related("balance_row", "organization")).annotate(
            has_children=Exists(Account.objects.filter(parent_id=OuterRef("pk"))),
            branch_balance=RawSQL(_SUBTREE_BALANCE, [book_services.MAX_TREE_DEPTH], output_field=models.DecimalField()),
        )
        return scope(queryset, request.user).order_by(*self.get_ordering(request))

    def get_ordering(self, request):
        return ["organization__name", "type_order", "tree_path"]

    def get_list_filter(self, request):
        filters = super().get_list_filter(request)
        return filters + ["organization"] if _several_organizations(request.user) else filters

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            readonly.append("organization")
            if obj.entries.exists():
                readonly.append("currency")
        return readonly

    @admin.display(description=gettext_lazy("account"), ordering="tree_path")
    def tree_name(self, account):
        depth = min(getattr(account, "depth", 0) or 0, MAX_INDENT)
        return format_html(
            '<span class="ledger-tree ledger-depth-{}"><span class="ledger-code">{}</span> {}{}</span>',
            depth,
            account.code,
            account.name,
            format_html(' <span class="ledger-closed">({})</span>', _("closed")) if not account.is_active else "",
        )

    @admin.display(description=gettext_lazy("currency"), ordering="currency_id")
    def currency_code(self, account):
        return account.currency_id

    @admin.display(description=gettext_lazy("balance"), ordering="balance_row__balance")
    def balance_display(self, account):
        row = account.balance_row
        branch = getattr(account, "has_children", False)
        amount = natural_sign(account.type) * (account.branch_balance if branch else row.balance)
        return format_html(
            '<span class="ledger-amount{}"{}>{}{}</span>',
            " ledger-negative" if amount < 0 else "",
            format_html(' title="{}"', _("with its sub-accounts in {currency}").format(currency=account.currency_id))
            if branch
            else "",
            "Σ " if branch else "",
            money(amount, row.precision),
        )

    def changelist_view(self, request, extra_context=None):
        extra = {"report_links": report_links(), **(extra_context or {})}
        return super().changelist_view(request, extra_context=extra)

    def delete_model(self, request, obj):
        book_services.account_delete(account=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        for account in queryset:
            book_services.account_delete(account=account, user=request.user)


def _several_organizations(user) -> bool:
    ids = organization_ids(user)
    return ids is None or len(ids) > 1


# --- projects, categories, counterparties -----------------------------------------------------------------


class TagAdminForm(ServiceModelForm):
    def call_service(self):
        return book_services.tag_save(instance=self.instance, user=self.service_user)


class _TagAdmin(_ServiceAdmin):
    form = TagAdminForm

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return readonly + ["organization"] if obj is not None else readonly

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        return filters + ["organization"] if _several_organizations(request.user) else filters

    def delete_model(self, request, obj):
        book_services.tag_delete(instance=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        for instance in queryset:
            book_services.tag_delete(instance=instance, user=request.user)


@admin.register(Project)
class ProjectAdmin(_TagAdmin):
    list_display = ["name", "code", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "code"]
    fields = ["organization", "name", "code", "is_active"]


@admin.register(Category)
class CategoryAdmin(_TagAdmin):
    list_display = ["tree_name", "kind", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name"]
    fields = ["organization", "name", "kind", "parent", "is_active"]

    class Media:
        css = {"all": ["css/ledger-admin.css"]}

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("parent")

    def get_ordering(self, request):
        return ["kind", "parent__name", "name"]

    @admin.display(description=gettext_lazy("category"), ordering="name")
    def tree_name(self, category):
        if category.parent_id is None:
            return category.name
        return format_html(
            '<span class="ledger-tree ledger-depth-1">{} › {}</span>', category.parent.name, category.name
        )


@admin.register(Counterparty)
class CounterpartyAdmin(_TagAdmin):
    list_display = ["name", "kind", "tax_id", "email", "phone", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "tax_id", "email", "phone"]
    fields = ["organization", "name", "kind", "tax_id", "email", "phone", "notes", "is_active"]


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
        several = _several_organizations(user)

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


# --- transactions -----------------------------------------------------------------------------------------


class EntryInline(KontoraTabularInline):
    model = TransactionEntry
    verbose_name = gettext_lazy("line")
    verbose_name_plural = gettext_lazy("lines")
    fields = ["account", "debit_display", "credit_display", "project", "category", "counterparty", "memo"]
    readonly_fields = fields
    can_delete = False
    extra = 0
    max_num = 0

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("account", "currency", "project", "category", "counterparty")
            .order_by("id")
        )

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("debit"))
    def debit_display(self, entry):
        return money(entry.debit, entry.currency.precision, entry.currency_id) if entry.debit else ""

    @admin.display(description=gettext_lazy("credit"))
    def credit_display(self, entry):
        return money(entry.credit, entry.currency.precision, entry.currency_id) if entry.credit else ""


class AccountListFilter(admin.SimpleListFilter):
    title = gettext_lazy("account")
    parameter_name = "account"

    def lookups(self, request, model_admin):
        accounts = account_tree(scope(Account.objects.all(), request.user)).order_by(
            "organization_id", "type_order", "tree_path"
        )
        return [(str(a.pk), f"{a.code} {a.name} ({a.currency_id})") for a in accounts]

    def queryset(self, request, queryset):
        value = self.value()
        if not value or not value.isdigit():
            return queryset
        return queryset.filter(Exists(TransactionEntry.objects.filter(transaction_id=OuterRef("pk"), account_id=value)))


class ReverseForm(forms.Form):
    date = DateField(
        label=capfirst(gettext_lazy("date of the reversal")),
        widget=AdminDateWidget,
        help_text=gettext_lazy("The reversal is posted on this date; the original stays as it was."),
    )
    reason = forms.CharField(
        label=capfirst(gettext_lazy("reason")),
        max_length=400,
        widget=forms.TextInput(attrs={"class": "vTextField", "size": 60}),
        help_text=gettext_lazy("Recorded in the reversal's description and the audit log."),
    )


def _totals(transaction: Transaction) -> list[tuple[str, Decimal, int]]:
    totals: dict[str, list] = {}
    for entry in transaction.entries.all():
        if entry.amount > 0:
            totals.setdefault(entry.currency_id, [Decimal(0), entry.currency.precision])[0] += entry.amount
    return [(currency, amount, precision) for currency, (amount, precision) in totals.items()]


@admin.register(Transaction)
class TransactionAdmin(KontoraModelAdmin):
    list_display = [
        "number",
        "date_display",
        "kind",
        "description_display",
        "amount_display",
    ]
    list_display_links = ["number"]
    list_filter = ["kind", AccountListFilter]
    date_hierarchy = "date"
    search_fields = ["description", "idempotency_key", "entries__memo", "entries__counterparty__name"]
    inlines = [EntryInline]
    readonly_fields = [
        "organization",
        "date",
        "kind",
        "description",
        "amount_display",
        "status_display",
        "fx_rate_display",
        "idempotency_key",
        "created_by",
        "created_at",
    ]
    fieldsets = [
        (None, {"fields": ["organization", "date", "kind", "description", "amount_display", "status_display"]}),
        (gettext_lazy("Record"), {"fields": ["fx_rate_display", "idempotency_key", "created_by", "created_at"]}),
    ]
    actions = ["reverse_selected"]
    add_form_template = "admin/ledger/transaction/post_form.html"
    change_form_template = "admin/ledger/transaction/change_form.html"
    change_list_template = "admin/ledger/transaction/change_list.html"

    class Media:
        css = {"all": ["css/ledger-admin.css"]}

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("organization", "created_by", "reversed_by", "fx_rate")
            .prefetch_related(
                Prefetch("entries", queryset=TransactionEntry.objects.select_related("account", "currency"))
            )
        )

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        return filters + ["organization"] if _several_organizations(request.user) else filters

    # Posted means read-only: nothing changes or deletes a transaction; a reversal corrects it.
    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_reverse_permission(self, request, obj=None):
        return self._may_write(request, obj)

    # --- columns ---

    @admin.display(description="#", ordering="id")
    def number(self, transaction):
        return f"#{transaction.pk}"

    @admin.display(description=gettext_lazy("date"), ordering="date")
    def date_display(self, transaction):
        return date_format(transaction.date, "SHORT_DATE_FORMAT")

    @admin.display(description=gettext_lazy("description"))
    def description_display(self, transaction):
        text = transaction.description or "—"
        text = text if len(text) <= 80 else text[:79] + "…"
        status = self._link_to_pair(transaction)
        return format_html(
            '{}{}<br><span class="ledger-accounts" title="{}">{}</span>',
            text,
            format_html(' <span class="ledger-status">{}</span>', status) if status else "",
            _("debit → credit"),
            self.accounts_display(transaction),
        )

    @admin.display(description=gettext_lazy("amount"))
    def amount_display(self, transaction):
        return format_html_join(
            mark_safe("<br>"),
            '<span class="ledger-amount">{}</span>',
            ((money(amount, precision, currency),) for currency, amount, precision in _totals(transaction)),
        )

    @admin.display(description=gettext_lazy("debit → credit"))
    def accounts_display(self, transaction):
        entries = list(transaction.entries.all())
        debits = [e.account.code for e in entries if e.amount > 0]
        credits = [e.account.code for e in entries if e.amount < 0]

        def side(codes):
            unique = list(dict.fromkeys(codes))
            return ", ".join(unique[:3]) + (", …" if len(unique) > 3 else "")

        return f"{side(debits)} → {side(credits)}"

    @admin.display(description=gettext_lazy("status"))
    def status_display(self, transaction):
        return self._link_to_pair(transaction) or _("posted, not reversed")

    def _link_to_pair(self, transaction):
        """A link to the transaction's reversal, or to the transaction a reversal reverses."""
        try:
            reversal = transaction.reversed_by
        except Transaction.DoesNotExist:
            reversal = None
        if reversal is not None:
            url = reverse("admin:ledger_transaction_change", args=[reversal.pk])
            return format_html('<a href="{}">{}</a>', url, _("reversed by #{id}").format(id=reversal.pk))
        if transaction.reverses_id:
            url = reverse("admin:ledger_transaction_change", args=[transaction.reverses_id])
            return format_html('<a href="{}">{}</a>', url, _("reversal of #{id}").format(id=transaction.reverses_id))
        return None

    @admin.display(description=gettext_lazy("exchange rate used"))
    def fx_rate_display(self, transaction):
        rate = transaction.fx_rate
        if rate is None:
            return "—"
        return _("1 {base} = {rate} {quote} on {date} ({source})").format(
            base=rate.base_id,
            quote=rate.quote_id,
            rate=format_quantity(rate.rate),
            date=format_date(rate.date),
            source=rate.get_source_display(),
        )

    # --- pages ---

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/reverse/",
                self.admin_site.admin_view(self.reverse_view),
                name="{}_{}_reverse".format(*info),
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra = {"report_links": report_links(), **(extra_context or {})}
        return super().changelist_view(request, extra_context=extra)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if obj is not None:
            extra["reverse_url"] = self._reverse_url(request, obj)
            extra["title"] = _("Transaction #{id}").format(id=obj.pk)
            extra["subtitle"] = None  # the fields below say it all; the object's name would repeat the title
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def _reverse_url(self, request, obj) -> str | None:
        if self._reversible(obj) is not None or not self.has_reverse_permission(request, obj):
            return None
        return reverse("admin:ledger_transaction_reverse", args=[obj.pk])

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        choices = LegChoices.for_user(request.user)
        if request.method == "POST":
            form = TransactionPostForm(request.POST, user=request.user)
            legs = LegFormSet(request.POST, prefix="legs", choices=choices)
            if form.is_valid() and legs.is_valid():
                response = self._post(request, form, legs)
                if response is not None:
                    return response
        else:
            initial = {"idempotency_key": uuid.uuid4().hex, **request.GET.dict()}
            form = TransactionPostForm(initial=initial, user=request.user)
            legs = LegFormSet(prefix="legs", choices=choices)
        fieldsets = [(None, {"fields": ["organization", "date", "kind", "description", "idempotency_key"]})]
        admin_form = helpers.AdminForm(form, fieldsets, {}, model_admin=self)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Post a transaction"),
            "subtitle": None,
            "adminform": admin_form,
            "object_id": None,
            "original": None,
            "is_popup": False,
            "to_field": None,
            "media": self.media + admin_form.media + forms.Media(js=["js/ledger-admin.js"]),
            "inline_admin_formsets": [],
            "errors": helpers.AdminErrorList(form, [legs]),
            "preserved_filters": self.get_preserved_filters(request),
            "legs": legs,
            "account_currencies": {str(pk): list(value) for pk, value in choices.currencies.items()},
            **(extra_context or {}),
        }
        return self.render_change_form(request, context, add=True, form_url=form_url)

    def _post(self, request, form: TransactionPostForm, legs: BaseLegFormSet):
        """Post the form's transaction; a response on success, None (with the errors on the form) if refused."""
        data = form.cleaned_data
        organization = data["organization"]
        try:
            posted = services.transaction_post(
                organization=organization,
                user=request.user,
                date=data["date"],
                kind=data["kind"],
                description=data["description"],
                entries=[leg for _index, leg in legs.legs],
                idempotency_key=data["idempotency_key"],
            )
        except PermissionDenied as error:
            form.add_error(None, str(error))
            return None
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                form.add_error(None, error.messages)
                return None
            for name, texts in error.message_dict.items():
                if not legs.add_service_error(name, texts):
                    form.add_error(name if name in form.fields and name != "idempotency_key" else None, texts)
            return None
        if is_replay(posted):  # the same form sent twice (a double click, a reload)
            self.message_user(
                request, _("This form was already posted as #{id}; nothing was posted again.").format(id=posted.pk)
            )
            return HttpResponseRedirect(reverse("admin:ledger_transaction_change", args=[posted.pk]))
        self.log_addition(request, posted, [{"added": {}}])
        link = format_html(
            '<a href="{}">#{}</a>', reverse("admin:ledger_transaction_change", args=[posted.pk]), posted.pk
        )
        self.message_user(request, format_html(_("Transaction {link} posted."), link=link), messages.SUCCESS)
        if "_addanother" in request.POST:
            return HttpResponseRedirect(reverse("admin:ledger_transaction_add"))
        return HttpResponseRedirect(reverse("admin:ledger_transaction_change", args=[posted.pk]))

    # --- reversing ---

    @admin.action(description=gettext_lazy("Reverse the selected transactions…"), permissions=["reverse"])
    def reverse_selected(self, request, queryset):
        return self._reverse_page(request, list(queryset), from_action=True)

    def reverse_view(self, request, object_id):
        obj = self.get_object(request, object_id)
        if obj is None:
            raise Http404
        if not self.has_reverse_permission(request, obj):
            raise PermissionDenied
        return self._reverse_page(request, [obj], from_action=False) or HttpResponseRedirect(
            reverse("admin:ledger_transaction_change", args=[obj.pk])
        )

    def _reversible(self, transaction: Transaction) -> str | None:
        """Why ``transaction`` cannot be reversed, or None (the service's rule)."""
        refusal = posting_services.reversal_refusal(transaction)
        return " ".join(refusal.messages) if refusal is not None else None

    def _reverse_page(self, request, transactions: list[Transaction], *, from_action: bool):
        confirmed = request.method == "POST" and request.POST.get("post") == "yes"
        form = ReverseForm(request.POST if confirmed else None, initial={"date": transactions[0].organization.today()})
        rows = [(transaction, self._reversible(transaction)) for transaction in transactions]
        reversible = [transaction for transaction, problem in rows if problem is None]
        if confirmed and form.is_valid():
            done = []
            for transaction in reversible:
                try:
                    reversal = services.transaction_reverse(
                        transaction=transaction,
                        user=request.user,
                        date=form.cleaned_data["date"],
                        reason=form.cleaned_data["reason"],
                    )
                except (ValidationError, PermissionDenied) as error:
                    text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
                    self.message_user(
                        request,
                        _("#{id} was not reversed: {reason}").format(id=transaction.pk, reason=text),
                        messages.ERROR,
                    )
                    continue
                done.append(reversal)
                self.log_addition(request, reversal, [{"added": {}}])
            if done:
                self.message_user(
                    request,
                    ngettext(
                        "{count} transaction reversed: {ids}.", "{count} transactions reversed: {ids}.", len(done)
                    ).format(count=len(done), ids=", ".join(f"#{r.reverses_id} → #{r.pk}" for r in done)),
                    messages.SUCCESS,
                )
            if not from_action and len(done) == 1:
                return HttpResponseRedirect(reverse("admin:ledger_transaction_change", args=[done[0].pk]))
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": ngettext("Reverse a transaction", "Reverse {count} transactions", len(transactions)).format(
                count=len(transactions)
            ),
            "subtitle": None,
            "opts": self.opts,
            "rows": rows,
            "reversible_count": len(reversible),
            "form": form,
            "media": admin_page_media(self.media, form.media),
            "from_action": from_action,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "selected_ids": [transaction.pk for transaction in transactions],
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/ledger/transaction/reverse_confirmation.html", context)


# --- the closed period ------------------------------------------------------------------------------------


class PeriodLockAdminForm(ServiceModelForm):
    class Meta:
        model = PeriodLock
        fields = ["organization", "locked_through"]
        help_texts = {
            "locked_through": gettext_lazy(
                "Nothing can be posted or reversed on or before this date. Moving it back reopens the books and "
                "needs the power to manage the organization."
            )
        }

    def call_service(self):
        return services.period_lock(
            organization=self.instance.organization_id,
            user=self.service_user,
            locked_through=self.cleaned_data["locked_through"],
        )


@admin.register(PeriodLock)
class PeriodLockAdmin(_ServiceAdmin):
    form = PeriodLockAdminForm
    list_display = ["organization", "locked_through", "updated_by", "updated_at"]
    readonly_fields = ["updated_by", "updated_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("organization", "updated_by")

    def get_fields(self, request, obj=None):
        return (
            ["organization", "locked_through", "updated_by", "updated_at"]
            if obj
            else ["organization", "locked_through"]
        )

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return readonly + ["organization"] if obj is not None else readonly

    # The closed period is moved, never deleted: reopening is moving the date back, and it is audited.
    def has_delete_permission(self, request, obj=None):
        return False
