import pytest

from apps.billing.models import GatewayAccount
from apps.billing.providers import http
from tests.billing.provider_stubs import TBANK_PASSWORD, TBANK_TERMINAL, Providers, RequestsTransport, httpx_transport

CREDENTIALS = {
    "stripe": {"secret_key": "sk_test_51HxKontoraTestKey0000000000004242"},
    "yookassa": {"shop_id": "506751", "secret_key": "test_Fh8hUAVVBGUGbjmlzba6TB0iyUbos_lueTHE-axOwM0"},
    "tbank": {"terminal_key": TBANK_TERMINAL, "password": TBANK_PASSWORD},
}


@pytest.fixture
def providers(monkeypatch):
    """Stripe, YooKassa and T-Bank answered by stubs at the HTTP transport (``providers.stripe.requests``…)."""
    stubs = Providers()
    monkeypatch.setattr(http, "requests_adapter", RequestsTransport(stubs))
    monkeypatch.setattr(http, "httpx_transport", httpx_transport(stubs))
    return stubs


@pytest.fixture
def gateway_for(organization):
    """``gateway_for("yookassa")`` → an active test-mode gateway of ``organization`` with stub credentials."""

    def make(provider: str, organization=organization, **fields) -> GatewayAccount:
        return GatewayAccount.objects.create(
            organization=organization,
            provider=provider,
            name=f"{provider} test",
            credentials=CREDENTIALS[provider],
            supports_two_stage=True,
            **fields,
        )

    return make
