"""The provider clients on their own: what each sends (shapes, units, keys, signatures) and how it reads the
answers, against transport stubs shaped like the providers' API references."""

from __future__ import annotations

import hashlib
from decimal import Decimal

import pytest

from apps.billing.providers import PaymentRequest, ProviderError, RefundRequest, client_for, receipt_build
from apps.billing.providers.base import from_minor, to_minor
from apps.billing.providers.receipts import tbank_receipt, yookassa_receipt
from apps.billing.providers.tbank import token

pytestmark = pytest.mark.django_db

RECEIPT = receipt_build(
    items=[
        {"description": "Подписка «Старт», месяц", "quantity": Decimal(1), "amount": Decimal("990.00"), "vat_code": 1},
        {"description": "Настройка", "quantity": Decimal(2), "amount": Decimal("5.00"), "vat_code": 4},
    ],
    email="buyer@example.com",
    tax_system_code=2,
)


def _request(**changes) -> PaymentRequest:
    values = {
        "key": "0f3b2c1d4e5f60718293a4b5c6d7e8f9",
        "amount": Decimal("1000.00"),
        "currency": "RUB",
        "description": "Заказ 72",
        "return_url": "https://shop.example.com/paid",
    }
    return PaymentRequest(**{**values, **changes})


# --- T-Bank ---------------------------------------------------------------------------------------------


def test_the_tbank_token_matches_the_documented_example():
    # https://developer.tbank.ru/eacq/intro/developer/token: TerminalKey, Amount, OrderId and Description
    # (Receipt and DATA left out), Password added, sorted by key, values concatenated, SHA-256.
    params = {
        "TerminalKey": "MerchantTerminalKey",
        "Amount": 19200,
        "OrderId": "00000",
        "Description": "Подарочная карта на 1000 рублей",
        "DATA": {"Phone": "+71234567890", "Email": "a@test.com"},
        "Receipt": {"Email": "a@test.ru", "Taxation": "osn", "Items": []},
    }

    signed = token(params, "11111111111111")

    concatenated = "19200Подарочная карта на 1000 рублей0000011111111111111MerchantTerminalKey"
    assert signed == hashlib.sha256(concatenated.encode()).hexdigest()
    assert signed == "72dd466f8ace0a37a1f740ce5fb78101712bc0665d91a8108c7c8a0ccd426db2"


def test_tbank_init_sends_kopecks_our_key_as_order_id_and_a_signed_receipt(providers, gateway_for):
    client = client_for(gateway_for("tbank"))

    state = client.create_payment(_request(receipt=RECEIPT, customer_email="buyer@example.com"))

    [init] = providers.tbank.requests
    assert init.url == "https://securepay.tinkoff.ru/v2/Init"
    assert init.body["Amount"] == 100000
    assert init.body["OrderId"] == "0f3b2c1d4e5f60718293a4b5c6d7e8f9"
    assert init.body["PayType"] == "O"
    assert init.body["DATA"] == {"Email": "buyer@example.com"}
    assert init.body["Receipt"]["Items"][1] == {
        "Name": "Настройка",
        "Price": 500,
        "Quantity": 2,
        "Amount": 1000,
        "Tax": "vat20",
        "PaymentMethod": "full_payment",
        "PaymentObject": "service",
    }
    assert (state.status, state.amount, state.key) == ("pending", Decimal("1000.00"), init.body["OrderId"])
    assert state.confirmation_url.startswith("https://securepay.tinkoff.ru/new/")


def test_tbank_refuses_other_currencies_before_calling(providers, gateway_for):
    client = client_for(gateway_for("tbank"))

    with pytest.raises(ProviderError, match="RUB only") as error:
        client.create_payment(_request(currency="USD"))

    assert not error.value.temporary
    assert providers.tbank.requests == []


def test_a_tbank_error_answer_is_a_permanent_provider_error(providers, gateway_for):
    client = client_for(gateway_for("tbank"))
    providers.tbank.fail_next(
        200, {"Success": False, "ErrorCode": "9999", "Message": "Неверные параметры.", "Details": ""}
    )

    with pytest.raises(ProviderError, match="9999") as error:
        client.fetch_payment("3093639567")

    assert not error.value.temporary


def test_a_tbank_refund_is_a_cancel_with_an_amount_and_our_key(providers, gateway_for):
    client = client_for(gateway_for("tbank"))
    state = client.create_payment(_request())
    providers.tbank.pay(state.provider_id)

    refund = client.create_refund(
        RefundRequest(key="a" * 32, provider_payment_id=state.provider_id, amount=Decimal("250.00"), currency="RUB")
    )

    cancel = providers.tbank.requests[-1]
    assert cancel.path == "/v2/Cancel"
    assert (cancel.body["Amount"], cancel.body["ExternalRequestId"]) == (25000, "a" * 32)
    assert (refund.status, refund.amount, refund.provider_id) == ("succeeded", Decimal("250.00"), "a" * 32)


# --- YooKassa -------------------------------------------------------------------------------------------


def test_yookassa_create_sends_the_idempotence_key_basic_auth_and_the_receipt(providers, gateway_for):
    client = client_for(gateway_for("yookassa"))

    state = client.create_payment(_request(two_stage=True, receipt=RECEIPT))

    [sent] = providers.yookassa.requests
    assert sent.url == "https://api.yookassa.ru/v3/payments"
    assert sent.headers["Idempotence-Key"] == "0f3b2c1d4e5f60718293a4b5c6d7e8f9"
    assert sent.headers["Authorization"].startswith("Basic ")
    assert sent.body["amount"] == {"value": "1000.00", "currency": "RUB"}
    assert sent.body["capture"] is False
    assert sent.body["confirmation"] == {"type": "redirect", "return_url": "https://shop.example.com/paid"}
    assert sent.body["receipt"] == {
        "customer": {"email": "buyer@example.com"},
        "items": [
            {
                "description": "Подписка «Старт», месяц",
                "quantity": "1",
                "amount": {"value": "990.00", "currency": "RUB"},
                "vat_code": 1,
                "payment_subject": "service",
                "payment_mode": "full_payment",
            },
            {
                "description": "Настройка",
                "quantity": "2",
                "amount": {"value": "5.00", "currency": "RUB"},
                "vat_code": 4,
                "payment_subject": "service",
                "payment_mode": "full_payment",
            },
        ],
        "tax_system_code": 2,
    }
    assert state.confirmation_url.startswith("https://yoomoney.ru/checkout/payments/v2/contract?orderId=")


def test_yookassa_reads_the_fee_from_income_amount(providers, gateway_for):
    client = client_for(gateway_for("yookassa"))
    state = client.create_payment(_request())
    providers.yookassa.pay(state.provider_id, income="965.00")

    paid = client.fetch_payment(state.provider_id)

    assert (paid.status, paid.captured_amount, paid.fee) == ("succeeded", Decimal("1000.00"), Decimal("35.00"))


@pytest.mark.parametrize(("status", "temporary"), [(401, False), (404, False), (429, True), (500, True)])
def test_yookassa_errors_say_whether_a_retry_may_help(providers, gateway_for, status, temporary):
    client = client_for(gateway_for("yookassa"))
    providers.yookassa.fail_next(status, {"type": "error", "id": "x", "code": "some_error", "description": "Nope"})

    with pytest.raises(ProviderError, match="some_error") as error:
        client.fetch_payment("22e12f66-000f-5000-8000-18db351245c7")

    assert error.value.temporary is temporary


# --- Stripe ---------------------------------------------------------------------------------------------


def test_stripe_creates_a_checkout_session_in_minor_units_with_the_idempotency_key(providers, gateway_for):
    client = client_for(gateway_for("stripe"))

    state = client.create_payment(_request(amount=Decimal("12.34"), currency="USD", two_stage=True))

    [sent] = providers.stripe.requests
    assert sent.url == "https://api.stripe.com/v1/checkout/sessions"
    assert sent.headers["Idempotency-Key"] == "0f3b2c1d4e5f60718293a4b5c6d7e8f9"
    assert sent.headers["Authorization"] == "Bearer sk_test_51HxKontoraTestKey0000000000004242"
    assert sent.body["line_items"]["0"]["price_data"] == {
        "currency": "usd",
        "unit_amount": "1234",
        "product_data": {"name": "Заказ 72"},
    }
    assert sent.body["payment_intent_data"]["capture_method"] == "manual"
    assert (state.status, state.amount, state.currency) == ("pending", Decimal("12.34"), "USD")
    assert state.provider_id.startswith("cs_test_")


def test_stripe_reads_the_fee_from_the_balance_transaction(providers, gateway_for):
    client = client_for(gateway_for("stripe"))
    state = client.create_payment(_request(amount=Decimal("100.00"), currency="EUR"))
    intent = providers.stripe.pay(state.provider_id, fee=315)

    paid = client.fetch_payment(state.provider_id)

    assert (paid.status, paid.captured_amount, paid.fee) == ("succeeded", Decimal("100.00"), Decimal("3.15"))
    assert paid.reference == intent["id"]


def test_a_stripe_card_error_is_permanent_and_an_outage_temporary(providers, gateway_for):
    client = client_for(gateway_for("stripe"))
    providers.stripe.fail_next(
        402, {"error": {"type": "card_error", "code": "card_declined", "message": "Your card was declined."}}
    )
    with pytest.raises(ProviderError) as declined:
        client.create_payment(_request())
    providers.stripe.fail_next(503, {"error": {"type": "api_error", "message": "Service unavailable"}})
    with pytest.raises(ProviderError) as outage:
        client.create_payment(_request())

    assert (declined.value.temporary, declined.value.code) == (False, "card_declined")
    assert outage.value.temporary


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [("12.34", "USD", 1234), ("500", "JPY", 500), ("1.230", "KWD", 1230), ("990.00", "RUB", 99000)],
)
def test_stripe_minor_units_follow_each_currency(amount, currency, minor):
    assert to_minor(Decimal(amount), currency) == minor
    assert from_minor(minor, currency) == Decimal(amount)


# --- receipts -------------------------------------------------------------------------------------------


def test_one_receipt_renders_for_both_russian_providers():
    assert yookassa_receipt(RECEIPT, "RUB")["items"][0]["amount"] == {"value": "990.00", "currency": "RUB"}
    rendered = tbank_receipt(RECEIPT)
    assert rendered["Taxation"] == "usn_income"
    assert rendered["Email"] == "buyer@example.com"
    assert [item["Amount"] for item in rendered["Items"]] == [99000, 1000]
    assert RECEIPT.total == Decimal("1000.00")


def test_a_receipt_needs_an_e_mail_or_a_phone():
    with pytest.raises(ValueError, match="e-mail or phone"):
        receipt_build(items=[{"description": "x", "quantity": Decimal(1), "amount": Decimal(1)}])
