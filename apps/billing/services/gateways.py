"""Gateway accounts: the platform's own, kept in step with the environment, and the ledger accounts a
gateway's money moves through, created on first use in the organization's language."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from apps.core.mechanisms.audit import audit_record
from apps.core.models import Organization
from apps.ledger.models import Account, AccountType
from apps.ledger.services import account_on_first_use

from ..models import GatewayAccount, GatewayMode, Provider


class GatewayNotConfigured(ImproperlyConfigured):
    """The platform's account of a provider is not configured: the message names the variable to set."""


# Which environment variable (setting) holds which credential of the platform's account.
PLATFORM_VARIABLES = {
    Provider.STRIPE: {"secret_key": "KONTORA_STRIPE_SECRET_KEY"},
    Provider.YOOKASSA: {"shop_id": "KONTORA_YOOKASSA_SHOP_ID", "secret_key": "KONTORA_YOOKASSA_SECRET_KEY"},
    Provider.TBANK: {"terminal_key": "KONTORA_TBANK_TERMINAL_KEY", "password": "KONTORA_TBANK_PASSWORD"},
}
PLATFORM_WEBHOOK_SECRET = {Provider.STRIPE: "KONTORA_STRIPE_WEBHOOK_SECRET"}


def platform_gateway(provider: str) -> GatewayAccount:
    """The platform's own account at ``provider``: a GatewayAccount of the organization named by
    KONTORA_PLATFORM_ORGANIZATION (its slug), whose credentials are those of the environment (KONTORA_STRIPE_…,
    KONTORA_YOOKASSA_…, KONTORA_TBANK_…). Created on first use and updated when the environment changed;
    raises GatewayNotConfigured naming the missing variable."""
    if provider not in PLATFORM_VARIABLES:
        raise GatewayNotConfigured(f"There is no payment provider {provider!r}.")
    slug = getattr(settings, "KONTORA_PLATFORM_ORGANIZATION", "")
    if not slug:
        raise GatewayNotConfigured(
            "KONTORA_PLATFORM_ORGANIZATION is not set: give it the slug of the organization whose books receive "
            "the platform's payments."
        )
    credentials = {}
    for key, variable in PLATFORM_VARIABLES[provider].items():
        value = getattr(settings, variable, "")
        if not value:
            raise GatewayNotConfigured(f"{variable} is not set: the platform's {provider} account is not configured.")
        credentials[key] = value
    webhook_secret = getattr(settings, PLATFORM_WEBHOOK_SECRET.get(provider, ""), "") or ""
    organization = Organization.objects.filter(slug=slug).first()
    if organization is None:
        raise GatewayNotConfigured(f"KONTORA_PLATFORM_ORGANIZATION names {slug!r}, but no organization has that slug.")
    mode = GatewayMode.TEST if getattr(settings, "KONTORA_PAYMENTS_TEST_MODE", True) else GatewayMode.LIVE
    wanted = {"credentials": credentials, "webhook_secret": webhook_secret, "mode": mode, "is_active": True}
    current = GatewayAccount.objects.filter(organization=organization, provider=provider, is_platform=True).first()
    if current is not None and all(getattr(current, name) == value for name, value in wanted.items()):
        return current  # in step with the environment: the common case reads one row and writes nothing
    with transaction.atomic():
        gateway = (
            GatewayAccount.objects.select_for_update()
            .filter(organization=organization, provider=provider, is_platform=True)
            .first()
        )
        if gateway is None:
            try:
                with transaction.atomic():
                    gateway = GatewayAccount.objects.create(
                        organization=organization,
                        provider=provider,
                        name=f"Kontora {Provider(provider).label}",
                        is_platform=True,
                        supports_two_stage=provider in (Provider.YOOKASSA, Provider.STRIPE, Provider.TBANK),
                        **wanted,
                    )
            except IntegrityError:  # another process made it first
                return platform_gateway(provider)
            audit_record(
                action="billing.gateway.platform_sync",
                organization=organization,
                obj=gateway,
                changes={"created": True},
            )
            return gateway
        changed = [name for name, value in wanted.items() if getattr(gateway, name) != value]
        if changed:
            for name in changed:
                setattr(gateway, name, wanted[name])
            gateway.save(update_fields=[*changed, "updated_at"])
            # The names of what changed, never the values: they are secrets.
            audit_record(
                action="billing.gateway.platform_sync",
                organization=organization,
                obj=gateway,
                changes={"changed": changed},
            )
    return gateway


def gateway_ledger_accounts(gateway: GatewayAccount, currency: str) -> tuple[Account, Account, Account]:
    """(clearing, fee, income) accounts of ``gateway`` in ``currency``: the gateway's own when they hold that
    currency, else accounts made on first use (and remembered on the gateway when it had none)."""
    provider = Provider(gateway.provider).label
    remembered = []

    def pick(field: str, make):
        account = getattr(gateway, field)
        if account is not None and account.currency_id == currency:
            return account
        made = make()
        if account is None:
            setattr(gateway, field, made)
            remembered.append(field)
        return made

    clearing = pick(
        "clearing_account",
        lambda: account_on_first_use(
            organization_id=gateway.organization_id,
            code=f"PSP{gateway.pk}-{currency}",
            name=_("{provider} clearing {currency}"),
            name_values={"provider": provider},
            type=AccountType.ASSET,
            currency=currency,
            # Money at this provider: the gateway's own account, never another cash account of that currency.
            purpose=Account.Purpose.CASH,
            reuse_purpose=False,
        ),
    )
    fee = pick(
        "fee_account",
        lambda: account_on_first_use(
            organization_id=gateway.organization_id,
            code=f"PSPFEE-{currency}",
            name=_("Payment provider fees {currency}"),
            type=AccountType.EXPENSE,
            currency=currency,
        ),
    )
    income = pick(
        "income_account",
        lambda: account_on_first_use(
            organization_id=gateway.organization_id,
            code=f"SALES-{currency}",
            name=_("Sales {currency}"),
            type=AccountType.INCOME,
            currency=currency,
        ),
    )
    if remembered:
        GatewayAccount.objects.filter(pk=gateway.pk).update(
            **{f"{name}_id": getattr(gateway, name).pk for name in remembered}
        )
    return clearing, fee, income


_UNSET = object()


def gateway_account_save(
    *,
    user,
    gateway: GatewayAccount | None = None,
    organization=None,
    provider: str | None = None,
    name: str,
    mode: str = GatewayMode.TEST,
    credentials: dict | None = None,
    webhook_secret=_UNSET,
    is_active: bool = True,
    supports_two_stage: bool = False,
) -> GatewayAccount:
    """Create (``gateway=None``: ``organization`` and ``provider`` given) or change an organization's gateway
    account. ``credentials`` holds the keys of the provider's credentials (``CREDENTIAL_KEYS``) to set; a key
    left out or empty keeps what is stored, so a form that never shows a secret can still save the rest.
    ``webhook_secret`` left out keeps the stored one. A new gateway needs every credential of its provider.
    The audit record names what changed, never a secret's value. The platform's own accounts are kept in
    step with the environment (:func:`platform_gateway`) and refused here."""

    from apps.core.accounts.tenancy import organization_id_of

    from ..models.gateways import CREDENTIAL_KEYS
    from .payments import require_billing_power

    if gateway is not None:
        organization_id, provider = gateway.organization_id, gateway.provider
        if gateway.is_platform:
            raise ValidationError(_("The platform's own gateway is configured by environment variables, not here."))
    else:
        organization_id = getattr(organization, "pk", organization) or organization_id_of(organization)
        if provider not in CREDENTIAL_KEYS:
            raise ValidationError({"provider": _("There is no payment provider {provider}.").format(provider=provider)})
    if user is None or not getattr(user, "is_authenticated", False):
        raise ValidationError(_("A gateway is changed by a signed-in member."))
    require_billing_power(user, organization_id)
    wanted_keys = CREDENTIAL_KEYS[provider]
    given = {key: str(value).strip() for key, value in (credentials or {}).items() if str(value or "").strip()}
    unknown = sorted(set(given) - set(wanted_keys))
    errors = {}
    if unknown:
        errors["credentials"] = _("{provider} takes no credential named {names}.").format(
            provider=Provider(provider).label, names=", ".join(unknown)
        )
    if mode not in GatewayMode.values:
        errors["mode"] = _("There is no mode {mode}.").format(mode=mode)
    if not (name or "").strip():
        errors["name"] = _("Give the gateway a name.")
    stored = dict(gateway.credentials or {}) if gateway is not None else {}
    merged = {**stored, **given}
    missing = [key for key in wanted_keys if not merged.get(key)]
    if missing:
        errors.update({key: _("This credential is required.") for key in missing})
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        if gateway is None:
            gateway = GatewayAccount(organization_id=organization_id, provider=provider)
            changed = ["created"]
        else:
            gateway = GatewayAccount.objects.select_for_update().get(pk=gateway.pk)
            changed = []
        fields = {
            "name": name.strip(),
            "mode": mode,
            "credentials": merged,
            "is_active": is_active,
            "supports_two_stage": supports_two_stage,
        }
        if webhook_secret is not _UNSET and (webhook_secret or "").strip():
            fields["webhook_secret"] = webhook_secret.strip()
        for field, value in fields.items():
            if getattr(gateway, field) != value:
                setattr(gateway, field, value)
                if "created" not in changed:
                    changed.append(field)
        gateway.save()
        # The names of what changed, never the values: credentials and the webhook secret are secrets.
        audit_record(
            action="billing.gateway.save",
            actor=user,
            organization=organization_id,
            obj=gateway,
            changes={"changed": changed},
        )
    return gateway
