"""Subscriptions: their state read-only, and the changes a member may ask for through the services: cancel at
the period end (``subscription_cancel``), resume (``subscription_resume``), change plan
(``subscription_change_plan``)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.admin_kit.base import admin_page_media

from ..models import Plan, Subscription, SubscriptionEvent
from ..selectors import plan_list
from ..services.subscriptions import subscription_cancel, subscription_change_plan, subscription_resume
from .common import ReadOnlyAdmin, money
from .plans import _OrganizationColumn


def plan_change_message(change) -> str:
    """What a change of plan did, in words: applied now, waiting for a payment, or at the period end."""
    plan = change.subscription.pending_plan or change.subscription.scheduled_plan or change.subscription.plan
    if change.kind == "upgrade_pending":
        currency = change.subscription.pending_price.currency if change.subscription.pending_price else None
        return _("The move to {plan} waits for the payment of {amount}.").format(
            plan=plan.name, amount=money(change.amount_due, currency)
        )
    if change.kind == "downgrade":
        return _("The move to {plan} is scheduled for the end of the period.").format(plan=plan.name)
    return _("The subscription is now on {plan}.").format(plan=plan.name)


class ChangePlanForm(forms.Form):
    plan = forms.ModelChoiceField(queryset=Plan.objects.none(), label=gettext_lazy("New plan"))

    def __init__(self, *args, subscription: Subscription, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = plan_list(public_only=False).exclude(pk=subscription.plan_id)


@admin.register(Subscription)
class SubscriptionAdmin(_OrganizationColumn, ReadOnlyAdmin):
    change_form_template = "admin/billing/subscription/change_form.html"
    list_display = ["plan", "status", "current_period_end", "cancel_at_period_end", "provider"]
    list_filter = ["status", "plan", "cancel_at_period_end"]
    list_select_related = ["plan", "organization"]
    fields = [
        "plan", "price_display", "status", "started_at", "trial_ends_at", "current_period_start", "current_period_end",
        "cancel_at_period_end", "scheduled_plan", "pending_plan", "pending_amount_display", "provider",
        "renewal_attempts", "next_renewal_attempt_at", "grace_until", "canceled_at", "ended_at",
    ]  # fmt: skip
    readonly_fields = fields

    @admin.display(description=gettext_lazy("price"))
    def price_display(self, subscription: Subscription) -> str:
        price = subscription.price
        if price is None:
            return "—"
        return f"{money(price.amount, price.currency)} / {price.get_period_display()}"

    @admin.display(description=gettext_lazy("upgrade amount due"))
    def pending_amount_display(self, subscription: Subscription) -> str:
        price = subscription.pending_price
        return money(subscription.pending_amount, price.currency if price else None)

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/cancel/", view(self.cancel_view), name="{}_{}_cancel".format(*info)),
            path("<path:object_id>/resume/", view(self.resume_view), name="{}_{}_resume".format(*info)),
            path("<path:object_id>/change-plan/", view(self.change_plan_view), name="{}_{}_change_plan".format(*info)),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if obj is not None and self.may_act(request, obj) and obj.is_current:
            extra["subscription_actions"] = {
                "cancel": not obj.cancel_at_period_end and not obj.plan.is_free,
                "resume": obj.cancel_at_period_end or obj.scheduled_plan_id is not None,
                "change_plan": obj.status in ("trialing", "active"),
            }
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def cancel_view(self, request, object_id):
        return self.post_action(
            request,
            object_id,
            lambda s: subscription_cancel(subscription=s, at_period_end=True, user=request.user),
            _("The subscription will end with its period."),
        )

    def resume_view(self, request, object_id):
        return self.post_action(
            request,
            object_id,
            lambda s: subscription_resume(subscription=s, user=request.user),
            _("The subscription will renew."),
        )

    def change_plan_view(self, request, object_id):
        subscription = self.acted_on(request, object_id)
        change_url = reverse("admin:billing_subscription_change", args=[subscription.pk])
        form = ChangePlanForm(request.POST or None, subscription=subscription)
        if request.method == "POST" and form.is_valid():
            try:
                change = subscription_change_plan(
                    subscription=subscription, plan=form.cleaned_data["plan"], user=request.user
                )
            except ValidationError as error:
                form.add_error(None, " ".join(error.messages))
            else:
                self.message_user(request, plan_change_message(change), messages.SUCCESS)
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Move to another plan"),
            "subtitle": None,
            "opts": self.opts,
            "subscription": subscription,
            "form": form,
            "change_url": change_url,
            "media": admin_page_media(self.media, form.media),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/billing/subscription/change_plan.html", context)


@admin.register(SubscriptionEvent)
class SubscriptionEventAdmin(_OrganizationColumn, ReadOnlyAdmin):
    list_display = ["created_at", "subscription", "kind", "key"]
    list_filter = ["kind"]
    fields = ["created_at", "subscription", "kind", "key", "data"]
    readonly_fields = fields
