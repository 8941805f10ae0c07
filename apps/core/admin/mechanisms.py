"""The admin of the shared mechanisms' records: the webhook inbox, read-only, with "reprocess"."""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from apps.core.accounts.roles import write_power
from apps.core.accounts.tenancy import organizations_with_power, sees_everything
from apps.core.admin_kit.base import KontoraModelAdmin
from apps.core.mechanisms import webhooks
from apps.core.models import WebhookDelivery

ERROR_SHOWN = 80  # characters of the error in the list; the page shows all of it


class WebhookSourceListFilter(admin.SimpleListFilter):
    """The sources of the deliveries the user may see, by their labels."""

    title = _("source")
    parameter_name = "source"

    def lookups(self, request, model_admin):
        names = model_admin.get_queryset(request).order_by().values_list("source", flat=True).distinct()
        return sorted(((name, source_label(name)) for name in names), key=lambda choice: str(choice[1]))

    def queryset(self, request, queryset):
        return queryset.filter(source=self.value()) if self.value() else queryset


def source_label(name: str) -> str:
    registered = webhooks.webhook_source_get(name)
    return str(registered.label) if registered is not None else name


def pretty_body(body: bytes) -> str:
    """The body as a person reads it: JSON indented, other text as it came, anything else as escaped bytes."""
    try:
        text = bytes(body).decode("utf-8")
    except UnicodeDecodeError:
        return repr(bytes(body))
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False, sort_keys=True)
    except ValueError:
        return text


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(KontoraModelAdmin):
    """Deliveries as they arrived and what became of them. Nobody adds, changes or deletes one; a processed or
    failed delivery can be run through its handler again (handlers are idempotent)."""

    list_display = [
        "received_at",
        "source_display",
        "endpoint",
        "event_type",
        "event_id",
        "status",
        "attempts",
        "error_short",
        "organization",
    ]
    list_filter = [WebhookSourceListFilter, "status"]
    search_fields = ["event_id"]
    list_select_related = ["organization"]
    date_hierarchy = "received_at"
    ordering = ["-received_at", "-id"]
    actions = ["reprocess"]
    change_form_template = "admin/core/webhookdelivery/change_form.html"
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "source_display",
                    "endpoint",
                    "organization",
                    "status",
                    "event_type",
                    "event_id",
                    "duplicate_of",
                    "error",
                ]
            },
        ),
        (_("Handling"), {"fields": ["attempts", "next_attempt_at", "processed_at"]}),
        (
            _("As received"),
            {"fields": ["received_at", "method", "remote_address", "body_size", "headers_pretty", "body_pretty"]},
        ),
        (_("As verified"), {"fields": ["payload_pretty"]}),
    ]
    readonly_fields = [
        "source_display",
        "endpoint",
        "organization",
        "status",
        "event_type",
        "event_id",
        "duplicate_of",
        "error",
        "attempts",
        "next_attempt_at",
        "processed_at",
        "received_at",
        "method",
        "remote_address",
        "body_size",
        "headers_pretty",
        "body_pretty",
        "payload_pretty",
    ]

    def get_queryset(self, request):
        # The list never loads bodies, headers or payloads: they can be large, and the list shows none of them.
        queryset = super().get_queryset(request)
        match = getattr(request, "resolver_match", None)
        if match is not None and (match.url_name or "").endswith("_changelist"):
            queryset = queryset.defer("body", "headers", "payload")
        return queryset

    @admin.display(description=_("source"), ordering="source")
    def source_display(self, delivery: WebhookDelivery) -> str:
        return source_label(delivery.source)

    @admin.display(description=_("error"))
    def error_short(self, delivery: WebhookDelivery) -> str:
        text = delivery.error or ""
        return text if len(text) <= ERROR_SHOWN else text[: ERROR_SHOWN - 1] + "…"

    @admin.display(description=_("headers"))
    def headers_pretty(self, delivery: WebhookDelivery):
        shown = json.dumps(delivery.headers or {}, indent=2, ensure_ascii=False, sort_keys=True)
        return format_html('<pre class="webhook-headers">{}</pre>', shown)

    @admin.display(description=_("body"))
    def body_pretty(self, delivery: WebhookDelivery):
        if not delivery.body:
            return "—"
        return format_html('<pre class="webhook-body">{}</pre>', pretty_body(delivery.body))

    @admin.display(description=_("payload"))
    def payload_pretty(self, delivery: WebhookDelivery):
        if delivery.payload is None:
            return "—"
        shown = json.dumps(delivery.payload, indent=2, ensure_ascii=False, sort_keys=True, default=str)
        return format_html('<pre class="webhook-payload">{}</pre>', shown)

    # --- read-only ---------------------------------------------------------------------------------------

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_reprocess_permission(self, request, obj=None) -> bool:
        if obj is not None:
            return webhooks.webhook_delivery_may_reprocess(request.user, obj)
        if sees_everything(request.user):
            return True
        # Offered to whoever may write to some app in some organization; the service checks each delivery.
        apps = {source.app_label for source in webhooks.webhook_sources().values()}
        return any(organizations_with_power(request.user, write_power(app)) for app in apps)

    # --- reprocess -----------------------------------------------------------------------------------------

    @admin.action(description=_("Reprocess the selected deliveries"), permissions=["reprocess"])
    def reprocess(self, request, queryset):
        done = 0
        for delivery in queryset.order_by("received_at", "pk"):
            try:
                webhooks.webhook_delivery_reprocess(delivery=delivery, user=request.user)
            except (ValidationError, PermissionDenied) as error:
                reason = "; ".join(getattr(error, "messages", None) or [str(error)])
                self.message_user(
                    request,
                    _("Delivery {delivery}: {reason}").format(delivery=delivery, reason=reason),
                    messages.ERROR,
                )
            else:
                done += 1
        if done:
            self.message_user(
                request,
                ngettext(
                    "{count} delivery queued for processing again.",
                    "{count} deliveries queued for processing again.",
                    done,
                ).format(count=done),
                messages.SUCCESS,
            )

    def get_urls(self):
        return [
            path(
                "<path:object_id>/reprocess/",
                self.admin_site.admin_view(self.reprocess_view),
                name="core_webhookdelivery_reprocess",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        delivery = self.get_object(request, unquote(object_id))
        extra = dict(extra_context or {})
        if (
            delivery is not None
            and delivery.status in (WebhookDelivery.Status.PROCESSED, WebhookDelivery.Status.FAILED)
            and self.has_reprocess_permission(request, delivery)
        ):
            extra["reprocess_url"] = reverse("admin:core_webhookdelivery_reprocess", args=[delivery.pk])
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def reprocess_view(self, request, object_id):
        """The page's "Reprocess" button: the list's action for this one delivery, coming back to its page."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        delivery = self.get_object(request, unquote(object_id))
        if delivery is None:
            raise Http404
        if not self.has_reprocess_permission(request, delivery):
            raise PermissionDenied
        self.reprocess(request, self.get_queryset(request).filter(pk=delivery.pk))
        return HttpResponseRedirect(reverse("admin:core_webhookdelivery_change", args=[delivery.pk]))
