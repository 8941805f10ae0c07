"""Admin of the ledger: the closed period, moved (never deleted) through ``services.period_lock``."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy

from apps.core.admin_kit.services import ServiceAdmin, ServiceModelForm

from .. import services
from ..models import (
    PeriodLock,
)

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
class PeriodLockAdmin(ServiceAdmin):
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
