"""Payment gateways: an organization's account at a payment provider (Stripe, YooKassa, T-Bank), with its
credentials encrypted at rest and the ledger accounts its money moves through."""

from __future__ import annotations

import secrets as random

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy, pgettext_lazy

from apps.core.accounts.tenancy import TenantModel
from apps.core.language.nouns import NounForms
from apps.core.mechanisms.secrets import EncryptedJSONField, EncryptedTextField, mask

__all__ = ["GatewayAccount", "Provider", "GatewayMode", "new_endpoint"]


class Provider(models.TextChoices):
    STRIPE = "stripe", "Stripe"
    YOOKASSA = "yookassa", _("YooKassa")
    TBANK = "tbank", _("T-Bank")


class GatewayMode(models.TextChoices):
    TEST = "test", _("test")
    LIVE = "live", _("live")


# The credentials each provider needs, by key of ``GatewayAccount.credentials``.
CREDENTIAL_KEYS = {
    Provider.STRIPE: ("secret_key",),
    Provider.YOOKASSA: ("shop_id", "secret_key"),
    Provider.TBANK: ("terminal_key", "password"),
}


def new_endpoint() -> str:
    """The public token of a gateway's webhook address (``/billing/webhooks/<provider>/<endpoint>/``): random,
    so that one organization's address tells nothing about another's."""
    return random.token_urlsafe(24)


class GatewayAccount(TenantModel):
    """An organization's account at a payment provider. ``credentials`` (Stripe: ``secret_key``; YooKassa:
    ``shop_id``, ``secret_key``; T-Bank: ``terminal_key``, ``password``) and ``webhook_secret`` (Stripe's
    endpoint signing secret, ``whsec_…``) are encrypted at rest. Money received goes to ``clearing_account``
    (an asset: what the provider holds for us until it pays out), the provider's fee to ``fee_account``, and a
    payment for nothing in particular to ``income_account``; each is created on first use."""

    provider = models.CharField(_("provider"), max_length=16, choices=Provider.choices)
    mode = models.CharField(_("mode"), max_length=8, choices=GatewayMode.choices, default=GatewayMode.TEST)
    name = models.CharField(_("name"), max_length=100)
    credentials = EncryptedJSONField(_("credentials"), default=dict, blank=True)
    webhook_secret = EncryptedTextField(_("webhook signing secret"), blank=True, default="")
    endpoint = models.CharField(_("webhook endpoint token"), max_length=64, unique=True, default=new_endpoint)
    clearing_account = models.ForeignKey(
        "ledger.Account",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("clearing account"),
    )
    fee_account = models.ForeignKey(
        "ledger.Account",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("fee account"),
    )
    income_account = models.ForeignKey(
        "ledger.Account",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("default income account"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    supports_two_stage = models.BooleanField(
        _("supports two-stage payments"),
        default=False,
        help_text=_("The provider holds the money first and takes it only when the payment is captured."),
    )
    is_platform = models.BooleanField(
        _("platform account"),
        default=False,
        editable=False,
        help_text=_("The platform's own account, configured by environment variables."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    noun_forms = NounForms(
        accusative=pgettext_lazy("accusative", "payment gateway"),
        genitive=pgettext_lazy("genitive", "payment gateway"),
        accusative_plural=pgettext_lazy("accusative plural", "payment gateways"),
        genitive_plural=pgettext_lazy("genitive plural", "payment gateways"),
        count=ngettext_lazy("%(count)s payment gateway", "%(count)s payment gateways", "count"),
        gender=pgettext_lazy("grammatical gender", "payment gateway"),
    )

    class Meta:
        verbose_name = _("payment gateway")
        verbose_name_plural = _("payment gateways")
        ordering = ["organization_id", "provider", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(provider__in=Provider.values), name="billing_gateway_provider_known"),
            models.CheckConstraint(condition=Q(mode__in=GatewayMode.values), name="billing_gateway_mode_known"),
            models.UniqueConstraint(
                fields=["organization", "provider"],
                condition=Q(is_platform=True),
                name="billing_gateway_one_platform_per_provider",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_provider_display()}, {self.get_mode_display()})"

    def masked_credentials(self) -> str:
        return mask(self.credentials or {})
