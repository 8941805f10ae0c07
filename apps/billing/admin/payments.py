"""Payments and refunds: read-only lists and pages (only the services and the providers' word change them),
with the pages that act on a payment through the services: refund (``refund_create``), capture and cancel of
a held payment (``payment_capture``, ``payment_cancel``) and "sync with the provider" (``payment_sync``)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.accounts.tenancy import sees_everything
from apps.core.admin_kit.base import admin_page_media
from apps.core.money.amounts import quantum

from ..models import Payment, PaymentStatus, Refund, RefundStatus, UnmatchedRefund
from ..selectors import payment_refunded_amount
from ..services.payments import payment_cancel, payment_capture, payment_sync
from ..services.refunds import refund_create
from .common import ReadOnlyAdmin, money, provider_refusal


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ["created_at", "amount_display", "status", "reason", "provider_refund_id"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=gettext_lazy("amount"))
    def amount_display(self, refund: Refund) -> str:
        return money(refund.amount, refund.payment.currency)


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    change_form_template = "admin/billing/payment/change_form.html"
    list_display = ["__str__", "created_at", "amount_display", "status", "gateway", "provider_payment_id", "purpose"]
    # The sweeper flags a paid payment whose purpose is gone (a voided invoice): "Has date" lists what to refund.
    list_filter = ["status", "gateway__provider", "gateway", "created_at", "refund_flagged_at"]
    list_select_related = ["gateway", "currency", "organization"]
    search_fields = ["provider_payment_id", "description", "purpose_id", "customer_email"]
    date_hierarchy = None
    inlines = [RefundInline]
    fieldsets = [
        (None, {"fields": ["status", "amount_display", "captured_display", "refunded_display", "gateway"]}),
        (
            gettext_lazy("Provider"),
            {"fields": ["provider_payment_id", "confirmation_url", "capture_mode", "fee_display", "net_display"]},
        ),
        (
            gettext_lazy("Purpose"),
            {"fields": ["purpose", "description", "customer_email", "customer_phone", "receipt", "failure_reason"]},
        ),
        (gettext_lazy("Flagged for refund"), {"fields": ["refund_flagged_at", "refund_flag_reason"]}),
        (gettext_lazy("Dates"), {"fields": ["created_at", "succeeded_at", "created_by"]}),
    ]
    readonly_fields = [
        "status", "amount_display", "captured_display", "refunded_display", "gateway", "provider_payment_id",
        "confirmation_url", "capture_mode", "fee_display", "net_display", "purpose", "description",
        "customer_email", "customer_phone", "receipt", "failure_reason", "created_at", "succeeded_at", "created_by",
        "refund_flagged_at", "refund_flag_reason",
    ]  # fmt: skip

    def get_list_display(self, request):
        shown = list(super().get_list_display(request))
        return [*shown, "organization"] if sees_everything(request.user) else shown

    # --- columns ---

    @admin.display(description=gettext_lazy("amount"), ordering="amount")
    def amount_display(self, payment: Payment) -> str:
        return money(payment.amount, payment.currency)

    @admin.display(description=gettext_lazy("captured"))
    def captured_display(self, payment: Payment) -> str:
        return money(payment.captured_amount, payment.currency)

    @admin.display(description=gettext_lazy("refunded"))
    def refunded_display(self, payment: Payment) -> str:
        return money(payment_refunded_amount(payment=payment), payment.currency)

    @admin.display(description=gettext_lazy("provider's fee"))
    def fee_display(self, payment: Payment) -> str:
        return money(payment.fee, payment.currency)

    @admin.display(description=gettext_lazy("net"))
    def net_display(self, payment: Payment) -> str:
        return money(payment.net, payment.currency)

    @admin.display(description=gettext_lazy("purpose"))
    def purpose(self, payment: Payment) -> str:
        return f"{payment.purpose_type} #{payment.purpose_id}" if payment.purpose_type else "—"

    # --- pages ---

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/refund/", view(self.refund_view), name="{}_{}_refund".format(*info)),
            path("<path:object_id>/capture/", view(self.capture_view), name="{}_{}_capture".format(*info)),
            path("<path:object_id>/cancel/", view(self.cancel_view), name="{}_{}_cancel".format(*info)),
            path("<path:object_id>/sync/", view(self.sync_view), name="{}_{}_sync".format(*info)),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if obj is not None and self.may_act(request, obj):
            extra["payment_actions"] = {
                "refund": obj.status == PaymentStatus.SUCCEEDED and self.remaining(obj) > 0,
                "hold": obj.status == PaymentStatus.WAITING_FOR_CAPTURE,
                "sync": bool(obj.provider_payment_id),
            }
        return super().change_view(request, object_id, form_url, extra_context=extra)

    @staticmethod
    def remaining(payment: Payment) -> Decimal:
        return payment.captured_amount - payment_refunded_amount(payment=payment)

    def capture_view(self, request, object_id):
        return self.post_action(
            request, object_id, lambda p: payment_capture(payment=p, user=request.user), _("Capture asked.")
        )

    def cancel_view(self, request, object_id):
        return self.post_action(
            request, object_id, lambda p: payment_cancel(payment=p, user=request.user), _("Cancellation asked.")
        )

    def sync_view(self, request, object_id):
        def sync(payment):
            if not self.may_act(request, payment):
                raise PermissionDenied
            payment_sync(payment=payment)

        return self.post_action(request, object_id, sync, _("The payment is in step with the provider."))

    def refund_view(self, request, object_id):
        payment = self.acted_on(request, object_id)
        remaining = self.remaining(payment)
        change_url = reverse("admin:billing_payment_change", args=[payment.pk])
        if request.method == "POST":
            form = RefundForm(request.POST)
            if form.is_valid():
                try:
                    refund = refund_create(
                        payment=payment,
                        amount=form.cleaned_data["amount"],
                        reason=form.cleaned_data["reason"],
                        idempotency_key=form.cleaned_data["idempotency_key"],
                        user=request.user,
                    )
                except ValidationError as error:
                    form.add_error(None, " ".join(error.messages))
                except PermissionDenied as error:
                    form.add_error(None, str(error))
                except Exception as error:  # a provider's refusal; anything else propagates
                    from ..providers import ProviderError

                    if not isinstance(error, ProviderError):
                        raise
                    form.add_error(None, provider_refusal(error))
                else:
                    self.log_addition(request, refund, [{"added": {}}])
                    self.message_user(
                        request,
                        _("Refund of {amount} asked: {status}.").format(
                            amount=money(refund.amount, payment.currency), status=refund.get_status_display()
                        ),
                        messages.SUCCESS if refund.status != RefundStatus.CANCELED else messages.WARNING,
                    )
                    return HttpResponseRedirect(change_url)
            for error in form.non_field_errors():
                self.message_user(request, error, messages.ERROR)
        else:
            shown = remaining.quantize(quantum(payment.currency.precision))
            form = RefundForm(initial={"amount": shown, "idempotency_key": uuid.uuid4().hex})
        context = {
            **self.admin_site.each_context(request),
            "title": _("Refund a payment"),
            "subtitle": None,
            "opts": self.opts,
            "payment": payment,
            "payment_amount": money(payment.captured_amount, payment.currency),
            "remaining": money(remaining, payment.currency),
            "form": form,
            "change_url": change_url,
            "media": admin_page_media(self.media, form.media),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/billing/payment/refund.html", context)


class RefundForm(forms.Form):
    amount = forms.DecimalField(label=gettext_lazy("Amount to refund"), max_digits=28, decimal_places=8, min_value=0)
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=250, required=False)
    # One key per opened page: a second click on the button asks for the same refund, not another one.
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "created_at", "amount_display", "status", "payment", "reason"]
    list_filter = ["status", "payment__gateway__provider", "payment__gateway", "created_at"]
    list_select_related = ["payment__currency", "payment__gateway"]
    search_fields = ["provider_refund_id", "reason"]
    fields = ["payment", "amount_display", "status", "reason", "provider_refund_id", "receipt", "failure_reason",
              "created_at", "succeeded_at", "created_by"]  # fmt: skip
    readonly_fields = fields

    @admin.display(description=gettext_lazy("amount"), ordering="amount")
    def amount_display(self, refund: Refund) -> str:
        return money(refund.amount, refund.payment.currency)


@admin.register(UnmatchedRefund)
class UnmatchedRefundAdmin(ReadOnlyAdmin):
    list_display = ["provider_refund_id", "provider_payment_id", "gateway", "received_at", "applied_at"]
    list_filter = ["gateway"]
    fields = ["gateway", "provider_refund_id", "provider_payment_id", "state", "received_at", "applied_at"]
    readonly_fields = fields
