"""Reference data of traffic: sources (with the column mapping saved for their generic CSV files), affiliate
programs, offers and campaigns. Files create campaigns on first sight; people rename them here, and the match
(external id, or the name in files) stays as the files wrote it."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from apps.core.admin_kit.services import ServiceAdmin, ServiceModelForm

from ..models import AffiliateProgram, Campaign, Offer, TrafficSource
from ..services.sources import reference_delete, reference_save


class ReferenceForm(ServiceModelForm):
    def call_service(self):
        return reference_save(instance=self.instance, user=self.service_user)


class _TenantAdmin(ServiceAdmin):
    """Saved and deleted through the analytics services (checked and audited)."""

    form = ReferenceForm

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        # A row stays in its organization: moving it would leave its facts and imports behind.
        return readonly + ["organization"] if obj is not None else readonly

    def delete_model(self, request, obj):
        reference_delete(instance=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        for instance in queryset:
            try:
                reference_delete(instance=instance, user=request.user)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)


@admin.register(TrafficSource)
class TrafficSourceAdmin(_TenantAdmin):
    list_display = ["name", "kind", "time_zone", "currency", "expected_delay"]
    list_filter = ["kind"]
    search_fields = ["name"]
    fieldsets = [
        (None, {"fields": ["organization", "name", "kind", "time_zone", "currency", "expected_delay"]}),
        (
            _("Generic CSV files"),
            {
                "fields": ["column_mapping"],
                "description": _(
                    'Our field name to the column name in this source\'s files, for example {"report_date": '
                    '"Day", "campaign_name": "Campaign", "spend": "Cost"}. Used when a file is imported in the '
                    "generic format."
                ),
            },
        ),
    ]


@admin.register(AffiliateProgram)
class AffiliateProgramAdmin(_TenantAdmin):
    list_display = ["name", "external_id", "created_at"]
    search_fields = ["name", "external_id"]
    fields = ["organization", "name", "external_id"]


@admin.register(Offer)
class OfferAdmin(_TenantAdmin):
    list_display = ["name", "program", "external_id"]
    list_filter = ["program"]
    search_fields = ["name", "external_id", "program__name"]
    list_select_related = ["program"]
    fields = ["organization", "program", "name", "external_id"]


@admin.register(Campaign)
class CampaignAdmin(_TenantAdmin):
    """Created by imports; the name people see and the offer are edited, the match to the files is not."""

    list_display = ["name", "source", "external_id", "match_name", "offer"]
    list_filter = ["source"]
    search_fields = ["name", "external_id", "match_name"]
    list_select_related = ["source", "offer"]
    fields = ["organization", "source", "external_id", "match_name", "name", "offer", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False  # a campaign is made by the first file that names it, so it matches that file

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj)) + ["created_at"]
        return readonly + ["source", "external_id", "match_name"] if obj is not None else readonly
