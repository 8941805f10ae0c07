"""Gateway accounts: created and changed through a form whose save is ``gateway_account_save``. Credentials
are entered one field per credential of the provider and never shown again: the page shows them masked, an
empty field keeps what is stored. The change page shows the webhook address to paste at the provider."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from apps.core.accounts.tenancy import organizations_with_power, sees_everything
from apps.core.admin_kit.services import ServiceAdmin, ServiceModelForm
from apps.core.mechanisms.secrets import mask

from ..models import GatewayAccount, Provider
from ..models.gateways import CREDENTIAL_KEYS
from ..services.gateways import gateway_account_save

CREDENTIAL_LABELS = {
    (Provider.STRIPE, "secret_key"): _("Stripe secret key (sk_…)"),
    (Provider.YOOKASSA, "shop_id"): _("YooKassa shop id"),
    (Provider.YOOKASSA, "secret_key"): _("YooKassa secret key"),
    (Provider.TBANK, "terminal_key"): _("T-Bank terminal key"),
    (Provider.TBANK, "password"): _("T-Bank terminal password"),
}
KEEP_HELP = _("Stored: {masked}. Leave empty to keep it.")


def credential_field(provider: str, key: str) -> str:
    return f"cred_{provider}_{key}"


def webhook_path(gateway: GatewayAccount) -> str:
    """The path of the gateway's webhook address (``/billing/webhooks/<provider>/<endpoint>/``), as
    ``apps.billing.models.gateways.new_endpoint`` documents it."""
    return f"/billing/webhooks/{gateway.provider}/{gateway.endpoint}/"


class GatewayAccountForm(ServiceModelForm):
    webhook_secret_input = forms.CharField(
        label=_("Webhook signing secret"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Stripe's endpoint signing secret (whsec_…). Leave empty to keep the stored one."),
    )

    class Meta:
        model = GatewayAccount
        fields = ["organization", "provider", "name", "mode", "is_active", "supports_two_stage"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        instance = self.instance
        stored = dict(instance.credentials or {}) if instance.pk else {}
        providers = [instance.provider] if instance.pk else list(CREDENTIAL_KEYS)
        for provider in providers:
            for key in CREDENTIAL_KEYS[provider]:
                field = forms.CharField(
                    label=CREDENTIAL_LABELS[(provider, key)],
                    required=False,
                    widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
                )
                if stored.get(key):
                    field.help_text = str(KEEP_HELP).format(masked=mask(stored[key]))
                self.fields[credential_field(provider, key)] = field
        if instance.pk:
            for name in ("organization", "provider"):
                self.fields.pop(name, None)
            if instance.webhook_secret:
                self.fields["webhook_secret_input"].help_text = str(KEEP_HELP).format(
                    masked=mask(instance.webhook_secret)
                )

    def call_service(self):
        data = self.cleaned_data
        provider = self.instance.provider if self.instance.pk else data.get("provider")
        credentials = {key: data.get(credential_field(provider, key), "") for key in CREDENTIAL_KEYS.get(provider, ())}
        common = {
            "user": self.service_user,
            "name": data.get("name", ""),
            "mode": data.get("mode"),
            "credentials": credentials,
            "webhook_secret": data.get("webhook_secret_input", ""),
            "is_active": data.get("is_active", False),
            "supports_two_stage": data.get("supports_two_stage", False),
        }
        if self.instance.pk:
            return gateway_account_save(gateway=self.instance, **common)
        return gateway_account_save(organization=data.get("organization"), provider=provider, **common)


@admin.register(GatewayAccount)
class GatewayAccountAdmin(ServiceAdmin):
    form = GatewayAccountForm
    list_display = ["name", "provider", "mode", "is_active", "is_platform", "credentials_masked"]
    list_filter = ["provider", "mode", "is_active"]
    search_fields = ["name"]
    readonly_fields = ["credentials_masked", "webhook_url", "is_platform", "created_at", "updated_at"]

    def get_list_display(self, request):
        shown = list(super().get_list_display(request))
        return ["organization", *shown] if sees_everything(request.user) else shown

    def get_fields(self, request, obj=None):
        form = self._get_form_for_get_fields(request, obj)
        editable = [name for name in form.base_fields if name in self.form.Meta.fields or name.startswith("cred_")]
        if obj is None:
            return [*editable, "webhook_secret_input"]
        return [*editable, "webhook_secret_input", *self.readonly_fields]

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["fields"] = [
            name for name in self.form.Meta.fields if obj is None or name not in ("organization", "provider")
        ]
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:
            writable = organizations_with_power(request.user, self._write_power())
            if writable is not None and len(writable) == 1:
                form.base_fields["organization"].initial = next(iter(writable))
        return form

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.is_platform:
            return False  # kept in step with the environment (platform_gateway)
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # payments keep their gateway: switch it off instead

    def delete_model(self, request, obj):  # pragma: no cover - deleting is not offered
        raise PermissionError

    def construct_change_message(self, request, form, formsets, add=False):
        # The history names changed fields only; credential fields are named, never their values.
        return [{"added": {}}] if add else [{"changed": {"fields": [str(_("gateway settings"))]}}]

    @admin.display(description=_("credentials"))
    def credentials_masked(self, obj: GatewayAccount) -> str:
        return ", ".join(f"{key}: {mask(value)}" for key, value in sorted((obj.credentials or {}).items())) or "—"

    @admin.display(description=_("webhook address for the provider"))
    def webhook_url(self, obj: GatewayAccount) -> str:
        from django.conf import settings

        base = (getattr(settings, "SITE_URL", "") or "").rstrip("/")
        return format_html("<code>{}</code>", f"{base}{webhook_path(obj)}")
