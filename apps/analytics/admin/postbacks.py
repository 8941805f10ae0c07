"""Postback endpoints in the admin: created for a traffic source and switched on or off through the postback
services; the token is shown once, on the page that follows the creation or the "rotate token" action, in the
addresses to paste into Keitaro, Binom or Voluum. The change page shows the same addresses with a
placeholder where the token goes."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from apps.core.accounts.roles import write_power
from apps.core.accounts.tenancy import has_power, sees_everything
from apps.core.admin_kit.base import KontoraModelAdmin

from ..models import PostbackEndpoint
from ..services.postbacks import postback_endpoint_create, postback_endpoint_rotate, postback_endpoint_set_active

# Each tracker's parameters with its own macros (its postback documentation): what it fills in per conversion.
TRACKER_PARAMETERS = (
    ("Keitaro", "subid={subid}&tid={tid}&status={status}&payout={revenue}"),
    ("Binom", "cnv_id={clickid}&payout={payout}&cnv_status={cnv_status}"),
    ("Voluum", "cid={externalid}&payout={payout}"),
)
TOKEN_PLACEHOLDER = _("TOKEN")


def postback_address(endpoint: PostbackEndpoint) -> str:
    base = (getattr(settings, "SITE_URL", "") or "").rstrip("/")
    return base + reverse("analytics_postbacks:postback", args=[endpoint.public_id])


def postback_urls(endpoint: PostbackEndpoint, token: str) -> list[tuple[str, str]]:
    """(tracker, address to paste) for each tracker, with ``token`` in its place."""
    address = postback_address(endpoint)
    return [(tracker, f"{address}?token={token}&{parameters}") for tracker, parameters in TRACKER_PARAMETERS]


class PostbackEndpointForm(forms.ModelForm):
    """Creates the endpoint with ``postback_endpoint_create`` or switches it with
    ``postback_endpoint_set_active`` at the end of validation, so that refusals show on the form."""

    class Meta:
        model = PostbackEndpoint
        fields = ["source", "is_active"]

    service_user = None
    token = ""

    def _post_clean(self):
        if self.errors:
            return
        data = self.cleaned_data
        user = self.service_user
        try:
            if self.instance.pk:
                self.saved = postback_endpoint_set_active(
                    endpoint=self.instance, is_active=data.get("is_active", False), user=user
                )
                return
            source = data["source"]
            if not (sees_everything(user) or has_power(user, write_power("analytics"), source.organization_id)):
                self.add_error("source", _("Your role does not allow this change."))
                return
            self.saved, self.token = postback_endpoint_create(source=source, user=user)
            if not data.get("is_active", True):
                self.saved = postback_endpoint_set_active(endpoint=self.saved, is_active=False, user=user)
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for name, found in error.message_dict.items():
                    self.add_error(name if name in self.fields else None, found)
            else:
                self.add_error(None, error.messages)

    def save(self, commit=True):
        self.save_m2m = lambda: None
        return self.saved


@admin.register(PostbackEndpoint)
class PostbackEndpointAdmin(KontoraModelAdmin):
    form = PostbackEndpointForm
    list_display = ["source", "public_id", "is_active", "token_hint", "created_at", "rotated_at"]
    list_filter = ["is_active"]
    search_fields = ["source__name", "public_id"]
    list_select_related = ["source"]
    actions = ["rotate_token"]
    readonly_fields = ["public_id", "token_hint", "created_at", "rotated_at", "addresses"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["source", "is_active"]
        return ["source", "is_active", *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["source", *self.readonly_fields]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"service_user": request.user})

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # switched off instead: the deliveries it took stay readable

    def save_model(self, request, obj, form, change):
        obj.pk = form.saved.pk  # the service saved it during validation
        obj._state.adding = False
        obj.new_token = form.token

    def log_addition(self, request, obj, message):
        """The service wrote the audit record."""

    def log_change(self, request, obj, message):
        """The service wrote the audit record."""

    def response_add(self, request, obj, post_url_continue=None):
        return self._token_page(
            request, [(PostbackEndpoint.objects.select_related("source").get(pk=obj.pk), obj.new_token)]
        )

    @admin.display(description=_("addresses for the tracker"))
    def addresses(self, obj: PostbackEndpoint) -> str:
        rows = format_html_join(
            "", "<p><strong>{}</strong><br><code>{}</code></p>", postback_urls(obj, str(TOKEN_PLACEHOLDER))
        )
        note = _(
            "Put the token in place of {placeholder}: it was shown once, when it was made; rotate it to get a new one."
        )
        return format_html('{}<p class="help">{}</p>', rows, str(note).format(placeholder=TOKEN_PLACEHOLDER))

    @admin.action(description=_("Rotate the token (the old one stops working)"))
    def rotate_token(self, request, queryset):
        rotated = []
        for endpoint in queryset.select_related("source").order_by("pk"):
            if not self.has_change_permission(request, endpoint):
                self.message_user(
                    request,
                    _("Your role does not allow rotating the token of {endpoint}.").format(endpoint=endpoint),
                    messages.ERROR,
                )
                continue
            rotated.append(postback_endpoint_rotate(endpoint=endpoint, user=request.user))
        if not rotated:
            return None
        return self._token_page(request, rotated)

    def _token_page(self, request, pairs):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Postback addresses"),
            "endpoints": [{"endpoint": endpoint, "urls": postback_urls(endpoint, token)} for endpoint, token in pairs],
            "back_url": reverse("admin:analytics_postbackendpoint_changelist"),
        }
        response = TemplateResponse(request, "admin/analytics/postback_token.html", context)
        add_never_cache_headers(response)  # the page holds a token shown once
        return response
