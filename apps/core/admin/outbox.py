"""The admin of domain events and notifications: read-only records of what was emitted and sent, with a
"retry" action for what failed (the services are in apps.core.mechanisms.events and .notifications)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from apps.core.admin_kit.base import KontoraModelAdmin, KontoraTabularInline
from apps.core.mechanisms import events, notifications
from apps.core.models import DomainEvent, DomainEventDelivery, Notification


class ReadOnlyAdminMixin:
    """Records written by the mechanisms only: seen, never added, changed or deleted by hand."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class DomainEventDeliveryInline(ReadOnlyAdminMixin, KontoraTabularInline):
    model = DomainEventDelivery
    fields = ["subscription", "status", "attempts", "next_attempt_at", "delivered_at", "error"]
    readonly_fields = fields
    can_delete = False


def _retry(model_admin, request, queryset, *, failed_status, service, argument: str) -> None:
    """Queue the failed rows of the selection again, each through its service, where the user may write."""
    retried = skipped = 0
    for row in queryset:
        if row.status != failed_status or not model_admin._may_write(request, row):
            skipped += 1
            continue
        service(**{argument: row}, user=request.user)
        retried += 1
    if retried:
        model_admin.message_user(
            request,
            ngettext("%(count)d queued again.", "%(count)d queued again.", retried) % {"count": retried},
            messages.SUCCESS,
        )
    if skipped:
        model_admin.message_user(
            request,
            ngettext(
                "%(count)d not queued: only failed ones are retried, by members who may change them.",
                "%(count)d not queued: only failed ones are retried, by members who may change them.",
                skipped,
            )
            % {"count": skipped},
            messages.WARNING,
        )


@admin.register(DomainEvent)
class DomainEventAdmin(ReadOnlyAdminMixin, KontoraModelAdmin):
    """What lower apps told higher ones, and, below each, its delivery to every subscription."""

    list_display = ["id", "name", "aggregate", "organization", "created_at", "settled_at"]
    list_filter = ["name", "organization"]
    search_fields = ["name", "aggregate", "key"]
    list_select_related = ["organization"]
    date_hierarchy = "created_at"
    fields = ["organization", "name", "aggregate", "payload", "key", "created_at", "settled_at"]
    readonly_fields = fields
    inlines = [DomainEventDeliveryInline]


@admin.register(DomainEventDelivery)
class DomainEventDeliveryAdmin(ReadOnlyAdminMixin, KontoraModelAdmin):
    """Each event's delivery to each subscription: pending, delivered, or failed with its error."""

    list_display = ["event", "subscription", "status", "attempts", "next_attempt_at", "delivered_at", "error_start"]
    list_filter = ["status", "subscription"]
    search_fields = ["subscription", "event__name", "event__aggregate"]
    list_select_related = ["event"]
    fields = ["event", "subscription", "status", "attempts", "next_attempt_at", "created_at", "delivered_at", "error"]
    readonly_fields = fields
    actions = ["retry"]

    @admin.display(description=_("error"))
    def error_start(self, obj) -> str:
        return obj.error[:120]

    @admin.action(description=_("Retry the failed deliveries"))
    def retry(self, request, queryset):
        _retry(
            self,
            request,
            queryset.select_related("event"),
            failed_status=DomainEventDelivery.Status.FAILED,
            service=events.domain_event_delivery_retry,
            argument="delivery",
        )


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, KontoraModelAdmin):
    """Messages to people: queued, sent (with the provider's id), delivered, or failed with the reason."""

    list_display = ["id", "created_at", "status", "channel", "masked_recipient", "template", "attempts", "error_start"]
    list_filter = ["status", "channel", "template"]
    search_fields = ["template", "key", "provider_message_id"]
    list_select_related = ["organization"]
    date_hierarchy = "created_at"
    fields = [
        "organization",
        "channel",
        "masked_recipient",
        "template",
        "language",
        "status",
        "attempts",
        "next_attempt_at",
        "provider_message_id",
        "error",
        "created_at",
        "sent_at",
        "delivered_at",
        "failed_at",
    ]
    readonly_fields = fields
    actions = ["retry"]

    @admin.display(description=_("recipient"))
    def masked_recipient(self, obj) -> str:
        return obj.recipient_masked

    @admin.display(description=_("error"))
    def error_start(self, obj) -> str:
        return obj.error[:120]

    @admin.action(description=_("Retry the failed notifications"))
    def retry(self, request, queryset):
        _retry(
            self,
            request,
            queryset,
            failed_status=Notification.Status.FAILED,
            service=notifications.notification_retry,
            argument="notification",
        )
