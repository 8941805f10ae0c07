"""Payouts in the admin: recorded as pending by ``payout_create``, then moved only by the actions, each a call
of its payout service (approve posts the receivable against income, pay moves it to the chosen cash account,
reverse undoes the approval, reject closes a pending one). A repeated action posts nothing: the services are
keyed by the payout."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.widgets import AdminDateWidget
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from apps.core.admin_kit.base import KontoraModelAdmin, admin_page_media
from apps.core.forms import DateField
from apps.core.language.formatting import format_money
from apps.ledger.models import Account
from apps.ledger.selectors import accounts_for

from ..models import Payout
from ..services import payout_approve, payout_create, payout_pay, payout_reject, payout_reverse

CASH_PURPOSE = "cash"


def _reason(error) -> str:
    if isinstance(error, PermissionDenied):
        return str(error) or str(_("Your role does not allow this change."))
    if hasattr(error, "error_dict"):
        return " ".join(m for found in error.message_dict.values() for m in found)
    return " ".join(error.messages)


class PayoutForm(forms.ModelForm):
    """A new payout, saved by ``payout_create`` at the end of validation so its refusals show on the form."""

    class Meta:
        model = Payout
        fields = ["organization", "program", "offer", "period_start", "period_end", "amount", "currency", "note"]

    service_user = None

    def _post_clean(self):
        if self.errors:
            return
        data = self.cleaned_data
        try:
            self.saved = payout_create(
                organization=data["organization"],
                program=data["program"],
                offer=data.get("offer"),
                period_start=data["period_start"],
                period_end=data["period_end"],
                amount=data["amount"],
                currency=data["currency"].pk,
                note=data.get("note", ""),
                user=self.service_user,
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for name, found in error.message_dict.items():
                    self.add_error(name if name in self.fields else None, found)
            else:
                self.add_error(None, error.messages)

    def save(self, commit=True):
        self.save_m2m = lambda: None
        return self.saved


class PayForm(forms.Form):
    cash_account = forms.ModelChoiceField(label=_("Cash or bank account"), queryset=Account.objects.none())
    date = DateField(label=_("Date"), required=False, widget=AdminDateWidget, help_text=_("Empty: today."))

    def __init__(self, *args, payout: Payout, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cash_account"].queryset = accounts_for(payout.organization_id, CASH_PURPOSE).filter(
            currency_id=payout.currency_id
        )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=300)


@admin.register(Payout)
class PayoutAdmin(KontoraModelAdmin):
    list_display = ["__str__", "program", "period_start", "period_end", "amount_display", "status", "approved_at"]
    list_filter = ["status", "program", "currency"]
    search_fields = ["program__name", "note"]
    list_select_related = ["program", "currency", "organization"]
    actions = ["approve_payouts", "pay_payout", "reverse_payouts", "reject_payouts"]
    form = PayoutForm
    readonly_fields = [
        "status",
        "approval_transaction",
        "payment_transaction",
        "reversal_transaction",
        "created_at",
        "approved_at",
        "paid_at",
        "reversed_at",
    ]

    def get_fields(self, request, obj=None):
        fields = ["organization", "program", "offer", "period_start", "period_end", "amount", "currency", "note"]
        return fields if obj is None else fields + self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return self.get_fields(request, obj)  # moved by the actions only

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:
            return type(form.__name__, (form,), {"service_user": request.user})
        return form

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, payout: Payout) -> str:
        return format_money(payout.amount, payout.currency)

    def has_change_permission(self, request, obj=None) -> bool:
        return False if obj is not None else super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_move_permission(self, request) -> bool:
        return self._may_write(request)

    def save_model(self, request, obj, form, change):
        obj.pk = form.saved.pk  # payout_create saved it during validation
        obj._state.adding = False

    def log_addition(self, request, obj, message):
        """The service wrote the audit record."""

    # --- actions ------------------------------------------------------------------------------------------

    def _each(self, request, queryset, call, done_message):
        done = 0
        for payout in queryset.order_by("pk"):
            try:
                call(payout)
            except (ValidationError, PermissionDenied) as error:
                self.message_user(
                    request,
                    _("Payout {payout}: {reason}").format(payout=payout, reason=_reason(error)),
                    messages.ERROR,
                )
            else:
                done += 1
        if done:
            self.message_user(request, done_message(done), messages.SUCCESS)

    @admin.action(description=_("Approve payouts (post them to the books)"), permissions=["move"])
    def approve_payouts(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda payout: payout_approve(payout=payout, user=request.user),
            lambda n: ngettext("{count} payout approved.", "{count} payouts approved.", n).format(count=n),
        )

    @admin.action(description=_("Reject payouts…"), permissions=["move"])
    def reject_payouts(self, request, queryset):
        return self._with_reason(
            request,
            queryset,
            action="reject_payouts",
            title=_("Reject payouts"),
            call=lambda payout, reason: payout_reject(payout=payout, user=request.user, reason=reason),
            done=lambda n: ngettext("{count} payout rejected.", "{count} payouts rejected.", n).format(count=n),
        )

    @admin.action(description=_("Reverse approved payouts…"), permissions=["move"])
    def reverse_payouts(self, request, queryset):
        return self._with_reason(
            request,
            queryset,
            action="reverse_payouts",
            title=_("Reverse payouts"),
            call=lambda payout, reason: payout_reverse(payout=payout, user=request.user, reason=reason),
            done=lambda n: ngettext("{count} payout reversed.", "{count} payouts reversed.", n).format(count=n),
        )

    def _with_reason(self, request, queryset, *, action, title, call, done):
        if "apply" in request.POST:
            form = ReasonForm(request.POST)
            if form.is_valid():
                reason = form.cleaned_data["reason"]
                self._each(request, queryset, lambda payout: call(payout, reason), done)
                return None
        else:
            form = ReasonForm()
        return self._page(request, queryset, action=action, title=title, form=form, submit=title)

    @admin.action(description=_("Record a payout as paid…"), permissions=["move"])
    def pay_payout(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Choose exactly one payout to record as paid."), messages.WARNING)
            return None
        payout = queryset.select_related("currency").get()
        if "apply" in request.POST:
            form = PayForm(request.POST, payout=payout)
            if form.is_valid():
                try:
                    payout_pay(
                        payout=payout,
                        cash_account=form.cleaned_data["cash_account"],
                        date=form.cleaned_data["date"],
                        user=request.user,
                    )
                except (ValidationError, PermissionDenied) as error:
                    form.add_error(None, _reason(error))
                else:
                    self.message_user(
                        request, _("Payout {payout} recorded as paid.").format(payout=payout), messages.SUCCESS
                    )
                    return None
        else:
            form = PayForm(payout=payout)
        return self._page(
            request, queryset, action="pay_payout", title=_("Record a payout as paid"), form=form, submit=_("Paid")
        )

    def _page(self, request, queryset, *, action, title, form, submit):
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            "form": form,
            "media": admin_page_media(self.media, form.media),
            "payouts": list(queryset.select_related("program", "currency")),
            "action": action,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "selected": [str(pk) for pk in queryset.values_list("pk", flat=True)],
            "submit": submit,
            "back_url": reverse("admin:analytics_payout_changelist"),
        }
        return TemplateResponse(request, "admin/analytics/payout_action.html", context)
