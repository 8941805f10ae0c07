"""Gateway accounts: credentials encrypted at rest, the webhook endpoint lookup, and the platform's own
account kept in step with the environment."""

from __future__ import annotations

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from apps.billing.models import GatewayAccount
from apps.billing.selectors import gateway_get_by_endpoint
from apps.billing.services.gateways import GatewayNotConfigured, platform_gateway
from tests.core.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


def test_credentials_and_webhook_secret_are_encrypted_in_the_database(gateway_for):
    gateway = gateway_for("stripe", webhook_secret="whsec_5b7f3e9a1c2d4e6f8a0b")

    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials, webhook_secret FROM billing_gatewayaccount WHERE id = %s", [gateway.pk])
        credentials, webhook_secret = cursor.fetchone()

    assert "sk_test_" not in credentials
    assert "whsec_" not in webhook_secret
    again = GatewayAccount.objects.get(pk=gateway.pk)
    assert again.credentials["secret_key"].startswith("sk_test_")
    assert again.webhook_secret == "whsec_5b7f3e9a1c2d4e6f8a0b"
    assert again.masked_credentials() == "secret_key: sk_t…4242"


def test_a_webhook_finds_its_gateway_by_provider_and_endpoint(gateway_for):
    gateway = gateway_for("yookassa")
    gateway_for("stripe")

    assert gateway_get_by_endpoint(provider="yookassa", endpoint=gateway.endpoint) == gateway
    assert gateway_get_by_endpoint(provider="stripe", endpoint=gateway.endpoint) is None
    assert len(gateway.endpoint) >= 32


@pytest.fixture
def platform(settings):
    organization = OrganizationFactory(slug="kontora-operator")
    settings.KONTORA_PLATFORM_ORGANIZATION = "kontora-operator"
    settings.KONTORA_YOOKASSA_SHOP_ID = "506751"
    settings.KONTORA_YOOKASSA_SECRET_KEY = "test_secret_one_0001"
    return organization


def test_the_platform_gateway_is_made_once_and_follows_the_environment(platform, settings):
    first = platform_gateway("yookassa")
    settings.KONTORA_YOOKASSA_SECRET_KEY = "test_secret_two_0002"

    second = platform_gateway("yookassa")

    assert second.pk == first.pk
    assert second.organization == platform
    assert second.is_platform
    assert GatewayAccount.objects.get(pk=first.pk).credentials == {
        "shop_id": "506751",
        "secret_key": "test_secret_two_0002",
    }


def test_an_unconfigured_platform_gateway_names_the_missing_variable(platform, settings):
    settings.KONTORA_YOOKASSA_SECRET_KEY = ""

    with pytest.raises(GatewayNotConfigured, match="KONTORA_YOOKASSA_SECRET_KEY is not set"):
        platform_gateway("yookassa")
    with pytest.raises(GatewayNotConfigured, match="KONTORA_STRIPE_SECRET_KEY is not set"):
        platform_gateway("stripe")


def test_the_platform_organization_must_exist(settings, platform):
    settings.KONTORA_PLATFORM_ORGANIZATION = "nobody"

    with pytest.raises(GatewayNotConfigured, match="no organization has that slug"):
        platform_gateway("yookassa")


def test_secrets_rotate_re_encrypts_gateway_credentials_with_the_new_key(gateway_for, settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.KONTORA_SECRET_KEYS = [old]
    gateway = gateway_for("tbank", webhook_secret="")
    settings.KONTORA_SECRET_KEYS = [new, old]

    call_command("secrets_rotate", stdout=io.StringIO())

    settings.KONTORA_SECRET_KEYS = [new]
    assert GatewayAccount.objects.get(pk=gateway.pk).credentials["password"] == gateway.credentials["password"]
