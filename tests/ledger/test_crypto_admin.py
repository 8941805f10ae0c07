"""Crypto transfers in the admin: registering through the service, read-only details, status filters, and the
"verify now" action, with TronScan stubbed at the HTTP transport."""

from __future__ import annotations

import httpx
import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from apps.core.accounts.roles import Role
from apps.ledger.models import CryptoStatus, CryptoTransactionDetail, Transaction
from apps.ledger.services import crypto_transfer_register, crypto_transfer_verify
from tests.ledger.factories import AccountFactory
from tests.ledger.tronscan_stubs import (
    CUSTOMER,
    OUR_WALLET,
    TRX_IN,
    USDT_FAILED,
    USDT_UNCONFIRMED,
    install_tronscan_stub,
)

pytestmark = pytest.mark.django_db


def url(view, *args):
    return reverse(f"admin:ledger_cryptotransactiondetail_{view}", args=args)


@pytest.fixture(autouse=True)
def english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def tronscan(monkeypatch):
    return install_tronscan_stub(monkeypatch)


@pytest.fixture
def accounts(organization):
    return {
        "trx": AccountFactory(organization=organization, code="1111", currency_id="TRX"),
        "sales": AccountFactory(organization=organization, code="4100", type="income", currency_id="TRX"),
        "usdt": AccountFactory(organization=organization, code="1110", currency_id="USDT"),
        "customers": AccountFactory(organization=organization, code="1210", currency_id="USDT"),
        "rub": AccountFactory(organization=organization, code="1010", currency_id="RUB"),
        "fees": AccountFactory(
            organization=organization, code="5900", type="expense", currency_id="TRX", purpose="crypto_fee"
        ),
    }


@pytest.fixture
def bookkeeper(client, organization, member_of):
    client.force_login(member_of(organization, role=Role.BOOKKEEPER))
    return client


def register(organization, accounts, tx_hash=TRX_IN, **changes):
    claims = {
        "token": "TRX",
        "direction": "in",
        "tx_hash": tx_hash,
        "from_address": CUSTOMER,
        "to_address": OUR_WALLET,
        "amount": "1250",
        "account": accounts["trx"],
        "counter_account": accounts["sales"],
        **changes,
    }
    return crypto_transfer_register(organization=organization, user=None, **claims)[0]


def texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_a_bookkeeper_registers_a_transfer_in_the_admin(bookkeeper, organization, accounts):
    form = {
        "organization": organization.pk,
        "token": "TRX",
        "direction": "in",
        "tx_hash": TRX_IN,
        "from_address": CUSTOMER,
        "to_address": OUR_WALLET,
        "amount": "1250",
        "account": accounts["trx"].pk,
        "counter_account": accounts["sales"].pk,
        "description": "Customer #42",
    }

    response = bookkeeper.post(url("add"), form)

    assert response.status_code == 302, response.context["adminform"].form.errors
    detail = CryptoTransactionDetail.objects.get()
    assert (detail.status, detail.description, detail.token) == (CryptoStatus.PENDING, "Customer #42", "TRX")


def test_the_add_form_offers_crypto_accounts_and_names_a_wrong_one(bookkeeper, organization, accounts):
    page = bookkeeper.get(url("add"))
    fields = page.context["adminform"].form.fields
    form = {
        "organization": organization.pk,
        "token": "USDT",
        "direction": "in",
        "tx_hash": TRX_IN,
        "from_address": CUSTOMER,
        "to_address": OUR_WALLET,
        "amount": "1250",
        "account": accounts["trx"].pk,
        "counter_account": accounts["customers"].pk,
    }

    response = bookkeeper.post(url("add"), form)

    assert accounts["rub"] not in fields["account"].queryset
    assert list(fields["fee_account"].queryset) == [accounts["fees"]]
    assert response.status_code == 200
    assert "a USDT transfer needs a USDT account" in str(response.context["adminform"].form.errors["account"])
    assert not CryptoTransactionDetail.objects.exists()


def test_details_are_read_only_and_a_posted_one_cannot_be_deleted(bookkeeper, organization, accounts, tronscan):
    detail = crypto_transfer_verify(detail=register(organization, accounts))

    page = bookkeeper.get(url("change", detail.pk))
    edit = bookkeeper.post(url("change", detail.pk), {"amount": "1"})
    delete = bookkeeper.post(url("delete", detail.pk), {"post": "yes"})

    assert page.status_code == 200
    assert b'name="amount"' not in page.content
    assert edit.status_code == 403
    assert delete.status_code == 403
    assert CryptoTransactionDetail.objects.get().status == CryptoStatus.CONFIRMED


def test_a_pending_registration_can_be_deleted(bookkeeper, organization, accounts):
    detail = register(organization, accounts)

    response = bookkeeper.post(url("delete", detail.pk), {"post": "yes"})

    assert response.status_code == 302
    assert not CryptoTransactionDetail.objects.exists()


def test_the_changelist_filters_by_status(bookkeeper, organization, accounts, tronscan):
    confirmed = crypto_transfer_verify(detail=register(organization, accounts))
    pending = register(
        organization,
        accounts,
        tx_hash=USDT_UNCONFIRMED,
        token="USDT",
        amount="480.5",
        account=accounts["usdt"],
        counter_account=accounts["customers"],
    )

    assert list(bookkeeper.get(url("changelist"), {"status__exact": "pending"}).context["cl"].result_list) == [pending]
    assert list(bookkeeper.get(url("changelist"), {"status__exact": "confirmed"}).context["cl"].result_list) == [
        confirmed
    ]


def test_verify_now_posts_fails_and_waits_and_says_so(bookkeeper, organization, accounts, tronscan):
    trx = register(organization, accounts)
    waiting = register(
        organization,
        accounts,
        tx_hash=USDT_UNCONFIRMED,
        token="USDT",
        amount="480.5",
        account=accounts["usdt"],
        counter_account=accounts["customers"],
    )
    failed = register(
        organization,
        accounts,
        tx_hash=USDT_FAILED,
        token="USDT",
        direction="out",
        from_address=OUR_WALLET,
        to_address=CUSTOMER,
        amount="900",
        account=accounts["usdt"],
        counter_account=accounts["customers"],
        fee_source_account=accounts["trx"],
    )

    response = bookkeeper.post(
        url("changelist"),
        {"action": "verify_now", "_selected_action": [trx.pk, waiting.pk, failed.pk]},
        follow=True,
    )

    messages = texts(response)
    assert "1 transfer confirmed and posted." in messages
    assert "1 transfer is still waiting for confirmations." in messages
    assert "1 transfer failed." in messages
    assert any("OUT_OF_ENERGY" in message for message in messages)
    assert Transaction.objects.count() == 1


def test_verify_now_says_clearly_when_tronscan_is_unavailable(bookkeeper, organization, accounts, tronscan):
    detail = register(organization, accounts)
    tronscan.queue(httpx.Response(429, json={"Error": "request rate exceeded"}))

    response = bookkeeper.post(
        url("changelist"), {"action": "verify_now", "_selected_action": [detail.pk]}, follow=True
    )

    assert texts(response) == [
        "TronScan refused: too many requests (HTTP 429). Setting TRONSCAN_API_KEY raises the limit."
    ]
    detail.refresh_from_db()
    assert detail.status == CryptoStatus.PENDING
    assert "HTTP 429" in detail.error
    assert not Transaction.objects.exists()


def test_a_viewer_cannot_verify(client, organization, member_of, accounts, tronscan):
    detail = register(organization, accounts)
    client.force_login(member_of(organization, role=Role.VIEWER))

    response = client.post(url("changelist"), {"action": "verify_now", "_selected_action": [detail.pk]})

    assert response.status_code == 200  # the action is not offered: Django answers with the changelist
    assert tronscan.requests == []
    assert CryptoTransactionDetail.objects.get().status == CryptoStatus.PENDING
