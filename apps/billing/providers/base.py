"""What every provider client speaks: provider-neutral requests and states, and one error type.

Amounts are Decimal in the currency's units whatever the provider uses on the wire (Stripe: minor units per
currency; YooKassa: decimal strings; T-Bank: kopecks). Statuses are ours (PaymentStatus, RefundStatus).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from .receipts import Receipt


class ProviderError(Exception):
    """A provider refused or could not be reached. ``temporary``: trying again later may succeed (network
    error, timeout, 5xx, rate limit); otherwise the request itself is wrong (bad credentials, bad amount)."""

    def __init__(self, message: str, *, temporary: bool, code: str = "", provider: str = ""):
        super().__init__(message)
        self.temporary = temporary
        self.code = code
        self.provider = provider


class NotConfigured(ProviderError):
    """A gateway lacks the credentials its provider needs."""

    def __init__(self, message: str, *, provider: str = ""):
        super().__init__(message, temporary=False, code="not_configured", provider=provider)


@dataclass(frozen=True)
class PaymentRequest:
    key: str  # the provider's idempotency key (Payment.provider_key)
    amount: Decimal
    currency: str
    description: str
    return_url: str
    two_stage: bool = False
    receipt: Receipt | None = None
    customer_email: str = ""
    customer_phone: str = ""
    metadata: dict = field(default_factory=dict)
    # Charge a payment method the customer saved earlier, with no redirect (a subscription's renewal):
    # YooKassa's ``payment_method_id``, T-Bank's ``RebillId``.
    saved_method: str = ""
    # Ask the provider to save the method the customer pays with, for later charges (a subscription's first
    # payment): YooKassa ``save_payment_method``, T-Bank ``Recurrent=Y`` with ``CustomerKey`` = this value.
    save_method_for: str = ""
    # A subscription's first payment at a provider that renews subscriptions itself (Stripe): the billing period
    # ("month" or "year") the provider charges again on its own; empty for a one-off payment.
    recurring: str = ""


@dataclass(frozen=True)
class RefundRequest:
    key: str  # the provider's idempotency key (Refund.provider_key)
    provider_payment_id: str
    amount: Decimal
    currency: str
    reason: str = ""
    receipt: Receipt | None = None


@dataclass(frozen=True)
class PaymentState:
    """A payment as the provider last described it."""

    provider_id: str
    status: str  # PaymentStatus
    amount: Decimal | None  # None when the provider's answer does not say what was paid
    currency: str
    captured_amount: Decimal | None = None  # known once the money is taken
    fee: Decimal | None = None  # the provider's commission, when it says
    confirmation_url: str = ""
    key: str = ""  # our key as the provider echoes it (metadata, OrderId), to find the payment by
    # Another id the provider names the payment by in refunds and events (Stripe's PaymentIntent ``pi_…``).
    reference: str | None = ""
    failure_reason: str = ""
    # The saved payment method to charge next time, when the provider saved one (YooKassa's
    # ``payment_method.id`` with ``saved: true``; T-Bank's ``RebillId``, given in its notifications).
    saved_method: str = ""
    raw: dict = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class RefundState:
    provider_id: str
    provider_payment_id: str
    status: str  # RefundStatus
    amount: Decimal | None  # None when the provider does not say (T-Bank's GetState)
    currency: str
    failure_reason: str = ""
    raw: dict = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class RecurringPrice:
    """A subscription's new price at a provider that renews subscriptions itself (a plan change)."""

    amount: Decimal
    currency: str
    period: str  # "month" or "year"
    name: str


class ProviderClient(Protocol):
    """One small client per provider, all alike. Each writing call carries an idempotency key, so a repeat
    (a retry after a crash) reaches the same provider object."""

    provider: str

    def create_payment(self, request: PaymentRequest) -> PaymentState: ...

    def capture(self, *, provider_payment_id: str, amount: Decimal, currency: str, key: str) -> PaymentState: ...

    def cancel(self, *, provider_payment_id: str, key: str) -> PaymentState: ...

    def fetch_payment(self, provider_payment_id: str) -> PaymentState: ...

    def create_refund(self, request: RefundRequest) -> RefundState: ...

    def fetch_refund(self, provider_refund_id: str, *, provider_payment_id: str = "") -> RefundState: ...


def derived_key(*parts) -> str:
    """A provider key from our own (stored) key: 32 hex characters, the same for the same parts, short enough
    for every provider (T-Bank's OrderId takes 36)."""
    return hashlib.sha256(":".join(str(part) for part in parts).encode()).hexdigest()[:32]


# Stripe's zero- and three-decimal currencies (https://docs.stripe.com/currencies#zero-decimal); every
# other currency is in hundredths.
STRIPE_ZERO_DECIMAL = frozenset(
    ["BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"]
)
STRIPE_THREE_DECIMAL = frozenset(["BHD", "JOD", "KWD", "OMR", "TND"])


def minor_exponent(currency: str) -> int:
    code = currency.upper()
    if code in STRIPE_ZERO_DECIMAL:
        return 0
    if code in STRIPE_THREE_DECIMAL:
        return 3
    return 2


def to_minor(amount: Decimal, currency: str) -> int:
    """Decimal units → integer minor units; refuses an amount with more decimals than the unit holds."""
    scaled = amount.scaleb(minor_exponent(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} {currency} is not a whole number of minor units")
    return int(scaled)


def from_minor(value: int | str, currency: str) -> Decimal:
    return Decimal(int(value)).scaleb(-minor_exponent(currency))
