"""The plan catalogue (global: shown to every member, edited by the platform's staff through ``plan_save``) and an
organization's usage (counters and records, read-only: only ``apps.billing.services.usage`` writes them)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy

from apps.core.accounts.tenancy import sees_everything
from apps.core.admin_kit.base import KontoraModelAdmin, KontoraTabularInline
from apps.core.admin_kit.inlines import adopt, kept_rows, note_inline_changes
from apps.core.language.formatting import format_date

from ..models import Plan, PlanLimit, PlanPrice, UsageCounter, UsageRecord, UsageThreshold
from ..services.plans import PLAN_FIELDS, plan_check, plan_save
from .common import ReadOnlyAdmin


def _ticked(data, name: str) -> bool:
    return str(data.get(name, "")).lower() in ("on", "true", "1")


class PlanPriceFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        rows = kept_rows(self)
        prices = [{name: f.cleaned_data.get(name) for name in ("currency", "period", "amount")} for f in rows]
        plan = self.instance if self.instance.pk else None
        try:
            plan_check(plan=plan, prices=prices, limits=None, is_free=_ticked(self.data, "is_free"))
        except ValidationError as error:
            problems = []
            spread_prefixed(error, "prices", rows, problems.append)
            if problems:
                raise ValidationError(problems) from None


class PlanLimitFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        rows = kept_rows(self)
        limits = [{name: f.cleaned_data.get(name) for name in ("resource", "amount")} for f in rows]
        try:
            plan_check(plan=self.instance if self.instance.pk else None, prices=None, limits=limits)
        except ValidationError as error:
            problems = []
            spread_prefixed(error, "limits", rows, problems.append)
            if problems:
                raise ValidationError(problems) from None


def spread_prefixed(error: ValidationError, prefix: str, rows: list, fallback) -> None:
    """Put the errors ``plan_check`` names ``<prefix>.<i>.<field>`` on the inline row and field they belong to;
    errors on the whole list, or the header's (which its own form shows), go to ``fallback`` or are dropped."""
    for name, messages in error.message_dict.items():
        parts = name.split(".")
        if parts[0] != prefix:
            continue
        if len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(rows):
            form = rows[int(parts[1])]
            for message in messages:
                form.add_error(parts[2] if parts[2] in form.fields else None, message)
        else:
            for message in messages:
                fallback(message)


class PlanPriceInline(KontoraTabularInline):
    model = PlanPrice
    formset = PlanPriceFormSet
    fields = ["currency", "period", "amount"]
    extra = 0


class PlanLimitInline(KontoraTabularInline):
    model = PlanLimit
    formset = PlanLimitFormSet
    fields = ["resource", "amount"]
    extra = 0


class PlanAdminForm(forms.ModelForm):
    class Meta:
        model = Plan
        fields = list(PLAN_FIELDS)

    def clean(self):
        data = super().clean()
        try:
            plan_check(
                plan=self.instance if self.instance.pk else None,
                prices=None,
                limits=None,
                **{name: data[name] for name in PLAN_FIELDS if name in data},
            )
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                if name in self.fields:
                    for message in messages:
                        self.add_error(name, message)
        return data


@admin.register(Plan)
class PlanAdmin(KontoraModelAdmin):
    """The catalogue, edited by the platform's staff (superusers; members of organizations only read it). One
    service call (``plan_save``) saves the plan with its prices and limits and writes the audit record; a price
    that live subscriptions pay keeps its amount. Plans are never deleted: one stops offering a plan by making
    it inactive (its subscribers keep it)."""

    form = PlanAdminForm
    list_display = ["code", "name", "trial_days", "is_free", "is_public", "is_active", "sort_order"]
    list_filter = ["is_active", "is_public"]
    fields = list(PLAN_FIELDS)
    inlines = [PlanPriceInline, PlanLimitInline]

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj is not None else []

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=gettext_lazy("name"))
    def name(self, plan: Plan) -> str:
        return plan.name

    def save_model(self, request, obj, form, change):
        """Nothing yet: the plan is saved with its prices and limits, by one service call, in save_related."""

    def save_related(self, request, form, formsets, change):
        data = form.cleaned_data
        fields = {name: data[name] for name in PLAN_FIELDS if name in data}
        by_model = {formset.model: formset for formset in formsets}
        prices = [
            {name: f.cleaned_data.get(name) for name in ("currency", "period", "amount")}
            for f in kept_rows(by_model[PlanPrice])
        ]
        limits = [
            {name: f.cleaned_data.get(name) for name in ("resource", "amount")} for f in kept_rows(by_model[PlanLimit])
        ]
        saved = plan_save(
            plan=form.instance if change else None, prices=prices, limits=limits, user=request.user, **fields
        )
        adopt(form.instance, saved)
        note_inline_changes(formsets)


class _OrganizationColumn:
    def get_list_display(self, request):
        shown = list(super().get_list_display(request))
        return ["organization", *shown] if sees_everything(request.user) else shown


@admin.register(UsageCounter)
class UsageCounterAdmin(_OrganizationColumn, ReadOnlyAdmin):
    list_display = ["resource", "period", "used", "reserved", "updated_at"]
    list_filter = ["resource"]
    fields = ["resource", "period", "used", "reserved", "updated_at"]
    readonly_fields = fields

    def object_title(self, obj: UsageCounter) -> str:
        period = format_date(obj.period) if obj.period else ""
        return f"{obj.get_resource_display()} {period}".strip()


@admin.register(UsageRecord)
class UsageRecordAdmin(_OrganizationColumn, ReadOnlyAdmin):
    list_display = ["created_at", "resource", "kind", "amount", "period", "key"]
    list_filter = ["resource", "kind"]
    search_fields = ["key"]
    fields = ["created_at", "resource", "kind", "amount", "period", "key"]
    readonly_fields = fields


@admin.register(UsageThreshold)
class UsageThresholdAdmin(_OrganizationColumn, ReadOnlyAdmin):
    list_display = ["crossed_at", "resource", "period", "percent", "used", "limit"]
    list_filter = ["resource"]
    fields = ["crossed_at", "resource", "period", "percent", "used", "limit"]
    readonly_fields = fields

    def object_title(self, obj: UsageThreshold) -> str:
        return f"{obj.get_resource_display()} {obj.percent}% {format_date(obj.period)}"
