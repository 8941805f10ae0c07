"""The plan catalogue (global: shown to every member, with its prices and limits) and an organization's usage
(counters and records, read-only: only ``apps.billing.services.usage`` writes them)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy

from apps.core.accounts.tenancy import sees_everything
from apps.core.language.formatting import format_date

from ..models import Plan, PlanLimit, PlanPrice, UsageCounter, UsageRecord, UsageThreshold
from .common import ReadOnlyAdmin, money


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class PlanPriceInline(_ReadOnlyInline):
    model = PlanPrice
    fields = ["currency", "period", "amount_display"]
    readonly_fields = fields

    @admin.display(description=gettext_lazy("amount"))
    def amount_display(self, price: PlanPrice) -> str:
        return money(price.amount, price.currency)


class PlanLimitInline(_ReadOnlyInline):
    model = PlanLimit
    fields = ["resource", "amount_display"]
    readonly_fields = fields

    @admin.display(description=gettext_lazy("amount"))
    def amount_display(self, limit: PlanLimit) -> str:
        return "∞" if limit.amount is None else f"{limit.amount:,}".replace(",", "\u00a0")


@admin.register(Plan)
class PlanAdmin(ReadOnlyAdmin):
    """The catalogue is read here; ``plans_ensure_defaults`` (and the data migration) keep it."""

    list_display = ["code", "name", "trial_days", "is_free", "is_public", "is_active", "sort_order"]
    list_filter = ["is_active", "is_public"]
    fields = ["code", "name_ru", "name_en", "description_ru", "description_en", "trial_days", "is_free",
              "is_public", "sort_order", "is_active"]  # fmt: skip
    readonly_fields = fields
    inlines = [PlanPriceInline, PlanLimitInline]

    @admin.display(description=gettext_lazy("name"))
    def name(self, plan: Plan) -> str:
        return plan.name


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
