"""Admin of the ledger: the chart of accounts as a tree, grouped by type, each account with its balance (from
the stored balance row, one query for the page). Changes go through ``services.books``.
"""

from __future__ import annotations

from django.contrib import admin
from django.db import models
from django.db.models import Case, Exists, IntegerField, OuterRef, Value, When
from django.db.models.expressions import RawSQL
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.accounts.tenancy import scope
from apps.core.admin_kit.services import ServiceAdmin, ServiceModelForm

from ..dashboard import money
from ..models import (
    Account,
    AccountType,
    natural_sign,
)
from ..services import books as book_services
from .common import report_links, several_organizations

TYPE_ORDER = [AccountType.ASSET, AccountType.LIABILITY, AccountType.EQUITY, AccountType.INCOME, AccountType.EXPENSE]

MAX_INDENT = 6


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
class AccountAdmin(ServiceAdmin):
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
        return filters + ["organization"] if several_organizations(request.user) else filters

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
