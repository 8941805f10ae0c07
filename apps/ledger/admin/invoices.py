"""Admin of the ledger: invoices and their payments.

Invoices are edited as drafts (header and lines); the actions "issue", "record payment" and "void" call the
services, and an issued invoice is read-only. Payments are reversed by an action on the payments list. Every
refusal of a service becomes a message naming the invoice and the reason.
"""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AdminDateWidget
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from apps.core.accounts.tenancy import organization_ids
from apps.core.admin_kit.base import KontoraModelAdmin, KontoraTabularInline, admin_page_media
from apps.core.admin_kit.inlines import adopt, kept_rows, note_inline_changes
from apps.core.forms import DateField
from apps.core.language.formatting import format_date, format_money
from apps.core.money.amounts import round_to

from ..models import (
    INVOICE_OPEN_STATUSES,
    Account,
    Invoice,
    InvoiceLine,
    InvoicePayment,
    InvoiceStatus,
)
from ..selectors import accounts_for
from ..services import invoices as invoice_services
from ..services import purposes
from ..services.purposes import account_purpose_filter
from .common import CompactInline, reason_of, spread_errors


def _money(amount, invoice: Invoice) -> str:
    return format_money(amount, invoice.currency)


# --- invoices ---------------------------------------------------------------------------------------------


class InvoiceLineFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        invoice = self.instance
        if invoice.status != InvoiceStatus.DRAFT or not invoice.organization_id or not invoice.currency_id:
            return
        # Rows left empty (the extra blank ones) have no cleaned data; deleted rows do not count.
        rows = [
            form for form in self.forms if getattr(form, "cleaned_data", None) and not form.cleaned_data.get("DELETE")
        ]
        try:
            invoice_services.invoice_lines_check(
                organization_id=invoice.organization_id,
                kind=invoice.kind,
                currency=invoice.currency_id,
                lines=[
                    {
                        "description": form.cleaned_data.get("description"),
                        "quantity": form.cleaned_data.get("quantity"),
                        "unit_price": form.cleaned_data.get("unit_price"),
                        "account": form.cleaned_data.get("account"),
                        "category": form.cleaned_data.get("category"),
                        "project": form.cleaned_data.get("project"),
                    }
                    for form in rows
                ],
            )
        except ValidationError as error:
            problems = []
            spread_errors(error, rows, problems.append)
            if problems:
                raise ValidationError(problems) from None


class InvoiceLineInline(CompactInline):
    model = InvoiceLine
    formset = InvoiceLineFormSet
    # No position column: the rows keep the page's order (fewer columns fit a 1366-pixel window).
    fields = ["description", "quantity", "unit_price", "amount_display", "account", "category", "project"]
    readonly_fields = ["amount_display"]
    extra = 1

    @admin.display(description=_("amount"))
    def amount_display(self, line: InvoiceLine) -> str:
        if line.pk is None:
            return ""
        precision = line.invoice.currency.precision
        return format_money(round_to(line.amount, precision), precision=precision)  # «1 000,00», as Russian reads

    def _editable(self, obj) -> bool:
        return obj is None or obj.status == InvoiceStatus.DRAFT

    def get_extra(self, request, obj=None, **kwargs):
        return self.extra if self._editable(obj) else 0

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        account = formset.form.base_fields.get("account")
        if account is not None:  # the form class is made for this request: narrowing it here is safe
            kinds = [obj.kind] if obj is not None else list(invoice_services.LINE_PURPOSES)
            fitting = Q()
            for kind in kinds:
                fitting |= account_purpose_filter(invoice_services.LINE_PURPOSES[kind])
            account.queryset = account.queryset.filter(fitting)
        return formset

    def has_add_permission(self, request, obj=None) -> bool:
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._editable(obj) and super().has_delete_permission(request, obj)


class InvoicePaymentInline(KontoraTabularInline):
    model = InvoicePayment
    fields = ["date", "amount", "account", "transaction", "reversal_transaction", "created_by", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class InvoiceForm(forms.ModelForm):
    class Meta:
        model = Invoice
        fields = ["organization", "kind", "counterparty", "currency", "issue_date", "due_date", "reference", "notes"]

    def clean(self):
        data = super().clean()
        issue_date, due_date = data.get("issue_date"), data.get("due_date")
        if issue_date and due_date and due_date < issue_date:
            self.add_error(
                "due_date",
                _("The due date {due} is before the issue date {issued}.").format(due=due_date, issued=issue_date),
            )
        return data


class PaymentForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount"), max_digits=28, decimal_places=8, localize=True)
    date = DateField(label=_("Date"), widget=AdminDateWidget)
    account = forms.ModelChoiceField(label=_("Cash or bank account"), queryset=Account.objects.none())
    idempotency_key = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, invoice: Invoice, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = (
            accounts_for(invoice.organization_id, purposes.CASH)
            .filter(currency_id=invoice.currency_id)
            .exclude(pk=invoice.balance_account_id)
        )
        self.fields["amount"].help_text = _("Still due: {amount}.").format(amount=_money(invoice.outstanding, invoice))


class VoidForm(forms.Form):
    date = DateField(
        label=_("Date of the reversal"),
        required=False,
        widget=AdminDateWidget,
        help_text=_("Empty: today in the organization's time zone."),
    )
    reason = forms.CharField(label=_("Reason"), required=False, max_length=300)


@admin.register(Invoice)
class InvoiceAdmin(KontoraModelAdmin):
    """Drafts are edited here; issued invoices are read-only and move only through the actions."""

    form = InvoiceForm
    # Six columns fit beside the filters at 1366 pixels: the kind goes under the number, the issue date is
    # the list's date drill-down, the organization is shown only to members of several.
    list_display = [
        "invoice_display",
        "counterparty",
        "due_date_display",
        "total_display",
        "outstanding_display",
        "status_display",
    ]
    list_filter = ["organization", "kind", "status", "currency", "issue_date", "due_date"]
    search_fields = ["number", "reference", "counterparty__name"]
    list_select_related = ["counterparty", "currency", "organization"]
    date_hierarchy = "issue_date"
    inlines = [InvoiceLineInline, InvoicePaymentInline]
    actions = ["issue_invoices", "record_payment", "void_invoices"]
    readonly_fields = [
        "number",
        "status_display",
        "total_display",
        "paid_display",
        "outstanding_display",
        "balance_account",
        "issue_transaction",
        "void_transaction",
        "created_by",
        "created_at",
        "issued_at",
        "voided_at",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("currency", "counterparty", "organization")

    def get_fieldsets(self, request, obj=None):
        header = ["organization", "kind", "counterparty", "currency", "issue_date", "due_date", "reference", "notes"]
        if obj is None:
            return [(None, {"fields": header})]
        return [
            (None, {"fields": ["number", "status_display", *header]}),
            (_("Amounts"), {"fields": ["total_display", "paid_display", "outstanding_display"]}),
            (
                _("Postings"),
                {
                    "fields": [
                        "balance_account",
                        "issue_transaction",
                        "void_transaction",
                        "created_by",
                        "created_at",
                        "issued_at",
                        "voided_at",
                    ]
                },
            ),
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status != InvoiceStatus.DRAFT:
            return [*self.readonly_fields, *InvoiceForm.Meta.fields]
        if obj is not None:
            return [*self.readonly_fields, "organization"]  # a draft stays in the organization it was made in
        return self.readonly_fields

    class Media:
        css = {"all": ["css/ledger-admin.css"]}

    def get_list_display(self, request):
        ids = organization_ids(request.user)
        several = ids is None or len(ids) > 1
        return [*self.list_display, "organization"] if several else self.list_display

    # --- columns --------------------------------------------------------------------------------------

    @admin.display(description=pgettext_lazy("invoice column", "due"), ordering="due_date")
    def due_date_display(self, obj: Invoice) -> str:
        return date_format(obj.due_date, "SHORT_DATE_FORMAT")

    @admin.display(description=_("invoice"), ordering="number")
    def invoice_display(self, obj: Invoice) -> str:
        return format_html('{}<br><span class="ledger-quiet">{}</span>', obj, obj.get_kind_display())

    @admin.display(description=_("total"), ordering="total")
    def total_display(self, obj: Invoice) -> str:
        return _money(obj.total, obj)

    @admin.display(description=_("paid"), ordering="paid_amount")
    def paid_display(self, obj: Invoice) -> str:
        return _money(obj.paid_amount, obj)

    @admin.display(description=_("still due"))
    def outstanding_display(self, obj: Invoice) -> str:
        return _money(obj.outstanding, obj) if obj.status != InvoiceStatus.VOID else "—"

    @admin.display(description=_("status"), ordering="status")
    def status_display(self, obj: Invoice) -> str:
        return format_html(
            '<span class="invoice-status invoice-status-{}">{}</span>', obj.status, obj.get_status_display()
        )

    # --- permissions ------------------------------------------------------------------------------------

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.status != InvoiceStatus.DRAFT:
            return False  # issued: read-only, only the actions move it
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.status != InvoiceStatus.DRAFT:
            return False
        return super().has_delete_permission(request, obj)

    def has_issue_permission(self, request) -> bool:
        return self._may_write(request)

    has_pay_permission = has_issue_permission
    has_void_permission = has_issue_permission

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # drafts are deleted one by one; issued invoices are voided
        return actions

    # --- saving drafts ---------------------------------------------------------------------------------

    def save_model(self, request, obj, form, change):
        """Nothing yet: the header is saved with its lines, by one service call, in :meth:`save_related`."""

    def save_related(self, request, form, formsets, change):
        # One service call saves the header and the lines, computes the amounts and writes the audit record
        # (with the real before and after); the forms only collected what was typed.
        data = form.cleaned_data
        header = {name: data[name] for name in invoice_services.DRAFT_FIELDS if name in data}
        lines_formset = next(formset for formset in formsets if formset.model is InvoiceLine)
        names = ("description", "quantity", "unit_price", "account", "category", "project")
        lines = [{name: row.cleaned_data.get(name) for name in names} for row in kept_rows(lines_formset)]
        if change:
            saved = invoice_services.invoice_update(invoice=form.instance.pk, user=request.user, lines=lines, **header)
        else:
            saved = invoice_services.invoice_create(
                organization=data["organization"], user=request.user, lines=lines, **header
            )
        adopt(form.instance, saved)
        note_inline_changes(formsets)

    def delete_model(self, request, obj):
        invoice_services.invoice_delete(invoice=obj, user=request.user)

    # --- the invoice page's own actions ----------------------------------------------------------------

    change_form_template = "admin/ledger/invoice/change_form.html"
    OBJECT_ACTIONS = {"issue": "issue_invoices", "pay": "record_payment", "void": "void_invoices"}

    def get_urls(self):
        return [
            path(
                f"<path:object_id>/{name}/",
                self.admin_site.admin_view(self.object_action_view),
                {"name": name},
                name=f"ledger_invoice_{name}",
            )
            for name in self.OBJECT_ACTIONS
        ] + super().get_urls()

    def object_actions(self, request, invoice: Invoice) -> list[tuple[str, str]]:
        """The actions the invoice's page offers in its state: (label, URL)."""
        if not self._may_write(request, invoice):
            return []
        offered = []
        if invoice.status == InvoiceStatus.DRAFT:
            offered.append((_("Issue…"), "issue"))
        if invoice.status in INVOICE_OPEN_STATUSES:
            offered.append((_("Record a payment…"), "pay"))
        if invoice.status not in (InvoiceStatus.DRAFT, InvoiceStatus.VOID):
            offered.append((_("Void…"), "void"))
        return [(label, reverse(f"admin:ledger_invoice_{name}", args=[invoice.pk])) for label, name in offered]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        invoice = self.get_object(request, unquote(object_id))
        extra = dict(extra_context or {})
        if invoice is not None:
            extra["invoice_actions"] = self.object_actions(request, invoice)
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def object_action_view(self, request, object_id, name: str):
        """Issue, pay or void the one invoice of the page: the list's action, for this invoice, coming back here."""
        invoice = self.get_object(request, unquote(object_id))
        if invoice is None:
            raise Http404
        if not self._may_write(request, invoice):
            raise PermissionDenied
        back_url = reverse("admin:ledger_invoice_change", args=[invoice.pk])
        action = getattr(self, self.OBJECT_ACTIONS[name])
        response = action(request, self.get_queryset(request).filter(pk=invoice.pk), back_url=back_url)
        return response or HttpResponseRedirect(back_url)

    # --- actions ---------------------------------------------------------------------------------------

    def _each(self, request, queryset, call, done_message):
        done = 0
        for invoice in queryset.order_by("issue_date", "pk"):
            try:
                call(invoice)
            except (ValidationError, PermissionDenied) as error:
                self.message_user(
                    request,
                    _("Invoice {invoice}: {reason}").format(invoice=invoice, reason=reason_of(error)),
                    messages.ERROR,
                )
            else:
                done += 1
        if done:
            self.message_user(request, done_message(done), messages.SUCCESS)

    @admin.action(description=_("Issue the selected draft invoices…"), permissions=["issue"])
    def issue_invoices(self, request, queryset, *, back_url: str | None = None):
        if "apply" in request.POST:
            self._each(
                request,
                queryset,
                lambda invoice: invoice_services.invoice_issue(invoice=invoice, user=request.user),
                lambda n: ngettext("{count} invoice issued.", "{count} invoices issued.", n).format(count=n),
            )
            return None
        return self._action_page(
            request,
            queryset,
            action="issue_invoices",
            title=_("Issue invoices"),
            form=forms.Form(),
            invoices=list(queryset.select_related("currency", "counterparty")),
            submit=_("Issue: number them and post them to the books"),
            explanation=_(
                "Issuing numbers an invoice and posts it to the books. An issued invoice is no longer edited: "
                "it is paid, or voided by a reversal."
            ),
            back_url=back_url,
        )

    def _action_page(
        self,
        request,
        queryset,
        *,
        action: str,
        title: str,
        form,
        invoices,
        submit: str,
        explanation: str = "",
        back_url: str | None = None,
    ):
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            "form": form,
            "media": admin_page_media(self.media, form.media),
            "invoices": invoices,
            "action": action,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "selected": [str(pk) for pk in queryset.values_list("pk", flat=True)],
            "submit": submit,
            "explanation": explanation,
            "back_url": back_url or reverse("admin:ledger_invoice_changelist"),
        }
        return TemplateResponse(request, "ledger/invoices/action_form.html", context)

    @admin.action(description=_("Record a payment against the selected invoice"), permissions=["pay"])
    def record_payment(self, request, queryset, *, back_url: str | None = None):
        if queryset.count() != 1:
            self.message_user(request, _("Choose exactly one invoice to record a payment against."), messages.WARNING)
            return None
        invoice = queryset.select_related("currency").get()
        if "apply" in request.POST:
            form = PaymentForm(request.POST, invoice=invoice)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    payment = invoice_services.invoice_payment_record(
                        invoice=invoice,
                        user=request.user,
                        amount=data["amount"],
                        date=data["date"],
                        account=data["account"],
                        idempotency_key=data["idempotency_key"],
                    )
                except (ValidationError, PermissionDenied) as error:
                    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
                        for name, found in error.message_dict.items():
                            for message in found:
                                form.add_error(name if name in form.fields else None, message)
                    else:
                        form.add_error(None, reason_of(error))
                else:
                    self.message_user(
                        request,
                        _("Payment of {amount} recorded against invoice {invoice}; it is now {status}.").format(
                            amount=_money(payment.amount, payment.invoice),
                            invoice=payment.invoice,
                            status=payment.invoice.get_status_display().lower(),
                        ),
                        messages.SUCCESS,
                    )
                    return None
        else:
            if invoice.status not in INVOICE_OPEN_STATUSES:
                self.message_user(
                    request,
                    _("Invoice {invoice} is {status}: it takes no payment.").format(
                        invoice=invoice, status=invoice.get_status_display().lower()
                    ),
                    messages.ERROR,
                )
                return None
            form = PaymentForm(
                invoice=invoice,
                initial={
                    "amount": round_to(invoice.outstanding, invoice.currency.precision),
                    "date": invoice.organization.today(),
                    # One key per form shown: submitting it twice (a double click, a resent form) pays once.
                    "idempotency_key": uuid.uuid4().hex,
                },
            )
        return self._action_page(
            request,
            queryset,
            action="record_payment",
            title=_("Record a payment against invoice {invoice}").format(invoice=invoice),
            form=form,
            invoices=[invoice],
            submit=_("Record the payment"),
            back_url=back_url,
        )

    @admin.action(description=_("Void the selected invoices"), permissions=["void"])
    def void_invoices(self, request, queryset, *, back_url: str | None = None):
        if "apply" in request.POST:
            form = VoidForm(request.POST)
            if form.is_valid():
                self._each(
                    request,
                    queryset,
                    lambda invoice: invoice_services.invoice_void(
                        invoice=invoice,
                        user=request.user,
                        date=form.cleaned_data["date"],
                        reason=form.cleaned_data["reason"],
                    ),
                    lambda n: ngettext("{count} invoice voided.", "{count} invoices voided.", n).format(count=n),
                )
                return None
        else:
            form = VoidForm()
        return self._action_page(
            request,
            queryset,
            action="void_invoices",
            title=_("Void invoices"),
            form=form,
            invoices=list(queryset.select_related("currency", "counterparty")),
            submit=_("Void them: post the reversals"),
            back_url=back_url,
        )


@admin.register(InvoicePayment)
class InvoicePaymentAdmin(KontoraModelAdmin):
    """Payments are recorded from the invoices ("record payment") and never edited; a mistake is reversed."""

    list_display = ["invoice", "date", "amount_display", "account", "transaction", "reversed", "organization"]
    list_filter = ["organization", "date"]
    search_fields = ["invoice__number", "invoice__counterparty__name"]
    list_select_related = ["invoice__currency", "account", "transaction", "organization"]
    fields = [
        "organization",
        "invoice",
        "date",
        "amount",
        "account",
        "transaction",
        "reversal_transaction",
        "created_by",
        "created_at",
    ]
    readonly_fields = fields
    actions = ["reverse_payments"]

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, obj: InvoicePayment) -> str:
        return _money(obj.amount, obj.invoice)

    @admin.display(description=_("reversed"), boolean=True)
    def reversed(self, obj: InvoicePayment) -> bool:
        return obj.reversal_transaction_id is not None

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_reverse_permission(self, request) -> bool:
        return self._may_write(request)

    @admin.action(description=_("Reverse the selected payments"), permissions=["reverse"])
    def reverse_payments(self, request, queryset):
        done = 0
        for payment in queryset.select_related("invoice").order_by("pk"):
            try:
                invoice_services.invoice_payment_reverse(payment=payment, user=request.user)
            except (ValidationError, PermissionDenied) as error:
                self.message_user(
                    request,
                    _("Payment of invoice {invoice} on {date}: {reason}").format(
                        invoice=payment.invoice, date=format_date(payment.date), reason=reason_of(error)
                    ),
                    messages.ERROR,
                )
            else:
                done += 1
        if done:
            self.message_user(
                request,
                ngettext("{count} payment reversed.", "{count} payments reversed.", done).format(count=done),
                messages.SUCCESS,
            )
