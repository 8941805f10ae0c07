"""Receipts and invoices as PDF: the embedded font covers Cyrillic, amounts and dates are in the reader's
locale, and the 54-FZ items, VAT and totals are printed. The text is read back through the font's ToUnicode
map (tests.billing.pages_helpers.pdf_text)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.billing.models import Payment, PaymentStatus, Subscription, SubscriptionStatus
from apps.billing.pdf import invoice_pdf, receipt_pdf, vat_amount
from apps.billing.providers import PaymentState, receipt_build
from apps.billing.services.payments import payment_apply_state
from tests.billing.pages_helpers import catalogue_without_trials, pdf_text

pytestmark = pytest.mark.django_db

NBSP = " "  # pdf_text reads a no-break space as a space (table cells print it as one)


@pytest.fixture
def paid(organization, gateway_for):
    organization.name = "ООО «Ромашка»"
    organization.save()
    gateway = gateway_for("yookassa")
    receipt = receipt_build(
        items=[
            {
                "description": "Подписка «Про», месяц",
                "quantity": Decimal(1),
                "amount": Decimal("2990.00"),
                "vat_code": 4,
            },
            {"description": "Дополнительный агент", "quantity": Decimal(2), "amount": Decimal("500.00"), "vat_code": 4},
        ],
        email="owner@example.com",
    )
    payment = Payment.objects.create(
        organization=organization,
        gateway=gateway,
        amount=Decimal("3990.00"),
        currency_id="RUB",
        description="Подписка",
        idempotency_key="receipt-test",
        provider_key="k" * 32,
        provider_payment_id="2d8a1c3e-000f-5000-8000-1a2b3c4d5e6f",
        receipt=receipt.as_json(),
        customer_email="owner@example.com",
    )
    payment_apply_state(
        payment=payment,
        state=PaymentState(
            provider_id=payment.provider_payment_id,
            status=PaymentStatus.SUCCEEDED,
            amount=payment.amount,
            currency="RUB",
        ),
    )
    payment.refresh_from_db()
    Payment.objects.filter(pk=payment.pk).update(succeeded_at=dt.datetime(2026, 12, 5, 9, tzinfo=dt.UTC))
    payment.refresh_from_db()
    return payment


def test_a_russian_receipt_has_the_items_vat_and_total_in_russian_formats(paid):
    content = receipt_pdf(payment=paid, language="ru", compress=False)

    text = pdf_text(content)
    assert "ООО «Ромашка»" in text  # the seller: Cyrillic through the embedded font
    assert "Подписка «Про», месяц" in text
    assert "Дополнительный агент" in text
    assert f"2{NBSP}990,00{NBSP}RUB" in text  # the first item's price, Russian grouping and decimal comma
    assert f"1{NBSP}000,00{NBSP}RUB" in text  # 2 × 500
    assert f"3{NBSP}990,00{NBSP}RUB" in text  # the total
    assert f"665,00{NBSP}RUB" in text  # VAT 20/120 of 3 990,00
    assert "05.12.2026" in text
    assert paid.provider_payment_id in text


def test_an_english_receipt_uses_english_formats(paid):
    text = pdf_text(receipt_pdf(payment=paid, language="en", compress=False))

    assert f"3,990.00{NBSP}RUB" in text
    assert "Total" in text
    assert "VAT 20%" in text
    assert "12/05/2026" in text
    assert f"3{NBSP}990,00{NBSP}RUB" not in text


def test_a_compressed_receipt_is_a_pdf_with_the_font_embedded(paid):
    content = receipt_pdf(payment=paid, language="ru")
    assert content.startswith(b"%PDF-")
    assert b"/FontFile2" in content
    assert b"DejaVuSans" in content
    assert b"%%EOF" in content[-10:]


def test_no_receipt_for_a_payment_not_taken(organization, gateway_for):
    payment = Payment.objects.create(
        organization=organization,
        gateway=gateway_for("yookassa"),
        amount=Decimal("10.00"),
        currency_id="RUB",
        idempotency_key="pending",
        provider_key="p" * 32,
    )
    with pytest.raises(ValueError, match="succeeded payment only"):
        receipt_pdf(payment=payment, language="en")


def test_vat_is_the_included_share_rounded_half_up():
    assert vat_amount(Decimal("100.00"), 4, 2) == Decimal("16.67")
    assert vat_amount(Decimal("110.00"), 3, 2) == Decimal("10.00")
    assert vat_amount(Decimal("100.00"), 1, 2) == Decimal("0.00")


def test_an_invoice_for_bank_transfer_names_buyer_seller_plan_and_amount(organization, settings):
    settings.KONTORA_BILLING_SELLER_DETAILS = "ООО «Контора», ИНН 7700000000\nр/с 40702810900000000001"
    settings.KONTORA_BILLING_VAT_CODE = 4
    organization.name = "ИП Иванов"
    organization.save()
    plans = catalogue_without_trials()
    subscription = Subscription.objects.create(
        organization=organization,
        plan=plans["pro"],
        price=plans["pro"].prices.get(currency_id="RUB", period="year"),
        status=SubscriptionStatus.INCOMPLETE,
        started_at=timezone.now(),
    )

    ru = pdf_text(invoice_pdf(subscription=subscription, language="ru", compress=False))
    en = pdf_text(invoice_pdf(subscription=subscription, language="en", compress=False))

    assert "ИП Иванов" in ru
    assert any("ИНН 7700000000" in line for line in ru)
    assert any("Про" in line for line in ru)  # the plan's Russian name
    assert f"29{NBSP}900,00{NBSP}RUB" in ru
    assert f"4{NBSP}983,33{NBSP}RUB" in ru  # VAT 20/120 of 29 900,00
    assert f"29,900.00{NBSP}RUB" in en
    assert any("“Pro”" in line for line in en)
    assert any(f"SUB-{subscription.pk}" in line for line in en)
