"""Admin of the ledger: the journal. Transactions are posted through ``services.transaction_post`` (the form in
``admin/posting.py``) and are read-only once posted; the way forward is the "reverse" action, which asks
for a date and a reason and calls ``services.transaction_reverse``.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.widgets import AdminDateWidget
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, Prefetch
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from apps.core.accounts.tenancy import scope
from apps.core.admin_kit.base import KontoraModelAdmin, KontoraTabularInline, admin_page_media
from apps.core.forms import DateField
from apps.core.language.formatting import format_date, format_quantity
from apps.core.mechanisms.idempotency import is_replay

from .. import services
from ..dashboard import money
from ..models import (
    Account,
    Transaction,
    TransactionEntry,
)
from .accounts import account_tree
from .common import report_links, several_organizations
from .posting import BaseLegFormSet, LegChoices, LegFormSet, TransactionPostForm

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
        return filters + ["organization"] if several_organizations(request.user) else filters

    # Posted means read-only: nothing changes or deletes a transaction; a reversal corrects it.
    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_reverse_permission(self, request, obj=None):
        return self._may_write(request, obj)

    def save_model(self, request, obj, form, change):
        # Never reached: add_view posts through services.transaction_post, and nothing changes a posted one.
        raise PermissionDenied

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
        refusal = services.posting.reversal_refusal(transaction)
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
