"""The demo organization's payments from its customers, through its own T-Bank terminal in test mode.

No provider is called: each payment is stored as payment_start stores one, then the provider's word about it
(succeeded with its fee, or still pending) is applied through :func:`payment_apply_state`, which books it
exactly as a webhook would; the refund arrives the same way (:func:`refund_apply_state`, as a refund made in
the provider's dashboard). Every payment has the key ``demo:billing:<n>``, so running it again adds nothing.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from ..models import GatewayAccount, GatewayMode, Payment, PaymentStatus, Provider, RefundStatus
from ..providers import PaymentState, RefundState, derived_key, receipt_build
from ..services.payments import payment_apply_state
from ..services.refunds import refund_apply_state

GATEWAY_NAME = "Т-Банк, тестовый терминал"

# n, description, amount, fee, status, customer e-mail
PAYMENTS = [
    (
        1,
        "Оплата заказа № 1024: консультация",
        Decimal("4500.00"),
        Decimal("157.50"),
        PaymentStatus.SUCCEEDED,
        "ivanov@example.ru",
    ),
    (
        2,
        "Оплата заказа № 1025: годовое обслуживание",
        Decimal("18000.00"),
        Decimal("630.00"),
        PaymentStatus.SUCCEEDED,
        "petrova@example.ru",
    ),
    (
        3,
        "Оплата заказа № 1026: аудит",
        Decimal("7200.00"),
        Decimal("252.00"),
        PaymentStatus.SUCCEEDED,
        "sidorov@example.ru",
    ),
    (4, "Оплата заказа № 1027: настройка", Decimal("2500.00"), None, PaymentStatus.PENDING, "orlova@example.ru"),
]
REFUND = (3, "7003100026", Decimal("1200.00"))  # part of order 1026 given back


def _gateway(organization) -> GatewayAccount:
    gateway = GatewayAccount.objects.filter(organization=organization, name=GATEWAY_NAME).first()
    if gateway is None:
        gateway = GatewayAccount.objects.create(
            organization=organization,
            provider=Provider.TBANK,
            mode=GatewayMode.TEST,
            name=GATEWAY_NAME,
            # A test terminal's made-up credentials: nothing calls T-Bank in the demo.
            credentials={"terminal_key": "1700000000000DEMO", "password": "demo-not-a-password"},
            supports_two_stage=True,
        )
    return gateway


def _provider_id(n: int) -> str:
    return f"70031{n:05d}"  # T-Bank's PaymentId is a number


def seed(*, organization, user) -> None:
    gateway = _gateway(organization)
    for n, description, amount, fee, status, email in PAYMENTS:
        key = f"demo:billing:{n}"
        if Payment.objects.filter(organization=organization, idempotency_key=key).exists():
            continue
        receipt = receipt_build(
            items=[{"description": description, "quantity": Decimal(1), "amount": amount, "vat_code": 1}],
            email=email,
        )
        with transaction.atomic():
            payment = Payment.objects.create(
                organization=organization,
                gateway=gateway,
                amount=amount,
                currency_id="RUB",
                description=description,
                idempotency_key=key,
                provider_key=derived_key(gateway.pk, key),
                provider_payment_id=_provider_id(n),
                receipt=receipt.as_json(),
                customer_email=email,
                created_by=user,
            )
            payment_apply_state(
                payment=payment,
                state=PaymentState(
                    provider_id=payment.provider_payment_id,
                    status=status,
                    amount=amount,
                    currency="RUB",
                    captured_amount=amount if status == PaymentStatus.SUCCEEDED else None,
                    fee=fee,
                ),
            )
    n, refund_id, amount = REFUND
    refund_apply_state(
        gateway=gateway,
        state=RefundState(
            provider_id=refund_id,
            provider_payment_id=_provider_id(n),
            status=RefundStatus.SUCCEEDED,
            amount=amount,
            currency="RUB",
        ),
    )
