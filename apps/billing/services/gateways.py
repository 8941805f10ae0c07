"""Gateway accounts: the platform's own, kept in step with the environment, and the ledger accounts a
gateway's money moves through, created on first use in the organization's language."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from apps.core.language.text import in_language_of
from apps.core.mechanisms.audit import audit_record
from apps.core.models import Organization
from apps.ledger.models import Account, AccountType
from apps.ledger.services.books import account_create

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


def _first_use(
    *, organization_id: int, code: str, name, type: str, currency: str, purpose: str = "", provider=""
) -> Account:
    existing = Account.objects.filter(organization_id=organization_id, code=code).first()
    if existing is not None:
        return existing
    with in_language_of(organization_id):
        label = str(name).format(currency=currency, provider=str(provider))
    try:
        with transaction.atomic():
            return account_create(
                organization=organization_id,
                user=None,
                code=code,
                name=label,
                type=type,
                currency_id=currency,
                purpose=purpose,
            )
    except IntegrityError:  # made meanwhile by a concurrent payment
        return Account.objects.get(organization_id=organization_id, code=code)


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
        lambda: _first_use(
            organization_id=gateway.organization_id,
            code=f"PSP{gateway.pk}-{currency}",
            name=_("{provider} clearing {currency}"),
            type=AccountType.ASSET,
            currency=currency,
            purpose=Account.Purpose.CASH,
            provider=provider,
        ),
    )
    fee = pick(
        "fee_account",
        lambda: _first_use(
            organization_id=gateway.organization_id,
            code=f"PSPFEE-{currency}",
            name=_("Payment provider fees {currency}"),
            type=AccountType.EXPENSE,
            currency=currency,
        ),
    )
    income = pick(
        "income_account",
        lambda: _first_use(
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
