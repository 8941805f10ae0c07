"""Payment provider clients, one small module each behind one interface (``base.ProviderClient``):
``create_payment``, ``capture``, ``cancel``, ``fetch_payment``, ``create_refund``, ``fetch_refund``, returning
provider-neutral states and raising ``ProviderError(temporary=…)``."""

from __future__ import annotations

from .base import (
    NotConfigured,
    PaymentRequest,
    PaymentState,
    ProviderClient,
    ProviderError,
    RefundRequest,
    RefundState,
    derived_key,
)
from .receipts import Receipt, ReceiptItem, receipt_build

__all__ = [
    "NotConfigured",
    "PaymentRequest",
    "PaymentState",
    "ProviderClient",
    "ProviderError",
    "Receipt",
    "ReceiptItem",
    "RefundRequest",
    "RefundState",
    "client_for",
    "derived_key",
    "receipt_build",
]


def client_for(gateway) -> ProviderClient:
    """The provider client of a GatewayAccount, with its decrypted credentials."""
    credentials = gateway.credentials or {}
    if gateway.provider == "stripe":
        from .stripe_client import StripeProvider

        return StripeProvider(secret_key=credentials.get("secret_key", ""))
    if gateway.provider == "yookassa":
        from .yookassa_client import YooKassaProvider

        return YooKassaProvider(shop_id=credentials.get("shop_id", ""), secret_key=credentials.get("secret_key", ""))
    if gateway.provider == "tbank":
        from .tbank import TBankProvider

        return TBankProvider(terminal_key=credentials.get("terminal_key", ""), password=credentials.get("password", ""))
    raise NotConfigured(f"unknown provider {gateway.provider!r}", provider=gateway.provider)
