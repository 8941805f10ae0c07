"""/api/v1/ledger/crypto-transfers/: register by hash, list and read, verify now; TronScan stubbed at the
HTTP transport with its recorded answers."""

from __future__ import annotations

import uuid
from decimal import Decimal

import httpx
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from rest_framework.test import APIClient

from apps.core.accounts import tokens
from apps.core.accounts.roles import Role
from apps.ledger.models import CryptoTransactionDetail, Transaction
from tests.ledger.factories import AccountFactory
from tests.ledger.tronscan_stubs import (
    CUSTOMER,
    OUR_WALLET,
    SUPPLIER,
    TRX_IN,
    USDT_OUT,
    USDT_UNCONFIRMED,
    install_tronscan_stub,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/ledger/crypto-transfers/"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def tronscan(monkeypatch):
    return install_tronscan_stub(monkeypatch)


def as_user(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.access_token_issue(user=user, family=uuid.uuid4())}")
    return client


@pytest.fixture
def accounts(organization):
    return {
        "trx": AccountFactory(organization=organization, code="1111", currency_id="TRX"),
        "sales": AccountFactory(organization=organization, code="4100", type="income", currency_id="TRX"),
        "usdt": AccountFactory(organization=organization, code="1110", currency_id="USDT"),
        "suppliers": AccountFactory(organization=organization, code="2110", type="liability", currency_id="USDT"),
        "fees": AccountFactory(
            organization=organization, code="5900", type="expense", currency_id="TRX", purpose="crypto_fee"
        ),
    }


@pytest.fixture
def bookkeeper(organization, member_of):
    return as_user(member_of(organization, role=Role.BOOKKEEPER))


def trx_in(organization, accounts, **changes):
    return {
        "organization": organization.slug,
        "token": "TRX",
        "direction": "in",
        "tx_hash": TRX_IN,
        "from_address": CUSTOMER,
        "to_address": OUR_WALLET,
        "amount": "1250.00",
        "account": accounts["trx"].pk,
        "counter_account": accounts["sales"].pk,
        **changes,
    }


def test_a_bookkeeper_registers_a_transfer_and_a_repeat_changes_nothing(bookkeeper, organization, accounts):
    first = bookkeeper.post(URL, trx_in(organization, accounts), format="json")
    again = bookkeeper.post(URL, trx_in(organization, accounts), format="json")

    assert first.status_code == 201, first.content
    assert again.status_code == 200
    assert first.json() == again.json()
    body = first.json()
    assert (body["status"], body["amount"], body["token"], body["transaction"]) == (
        "pending",
        "1250.000000",
        "TRX",
        None,
    )
    assert CryptoTransactionDetail.objects.count() == 1


def test_a_bad_registration_names_the_fields(bookkeeper, organization, accounts, other_organization):
    foreign = AccountFactory(organization=other_organization, currency_id="TRX")

    response = bookkeeper.post(
        URL,
        trx_in(organization, accounts, tx_hash="nope", amount=1250.5, counter_account=foreign.pk),
        format="json",
    )

    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"counter_account"}  # another organization's account does not exist for us
    response = bookkeeper.post(URL, trx_in(organization, accounts, tx_hash="nope", amount=1250.5), format="json")
    fields = response.json()["error"]["fields"]
    assert "64 hexadecimal characters" in fields["tx_hash"][0]
    assert "not floating-point numbers" in fields["amount"][0]
    assert not CryptoTransactionDetail.objects.exists()


def test_a_viewer_reads_but_cannot_register_or_verify(organization, member_of, accounts, tronscan):
    viewer = as_user(member_of(organization, role=Role.VIEWER))
    register = viewer.post(URL, trx_in(organization, accounts), format="json")
    detail = CryptoTransactionDetail.objects.create(
        organization=organization,
        token="TRX",
        direction="in",
        tx_hash=TRX_IN,
        from_address=CUSTOMER,
        to_address=OUR_WALLET,
        amount=Decimal("1250"),
        account=accounts["trx"],
        counter_account=accounts["sales"],
    )

    assert register.status_code == 403
    assert viewer.get(f"{URL}{detail.pk}/").status_code == 200
    assert viewer.post(f"{URL}{detail.pk}/verify/").status_code == 403
    assert tronscan.requests == []


def test_verify_posts_a_confirmed_transfer(bookkeeper, organization, accounts, tronscan):
    detail_id = bookkeeper.post(URL, trx_in(organization, accounts), format="json").json()["id"]

    response = bookkeeper.post(f"{URL}{detail_id}/verify/")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["confirmations"], body["fee_trx"]) == ("confirmed", 4217, "0.267000")
    assert body["transaction"] == Transaction.objects.get(idempotency_key=f"crypto:tron:{TRX_IN}").pk


def test_verify_leaves_an_unconfirmed_transfer_pending(bookkeeper, organization, accounts, tronscan):
    body = {
        **trx_in(organization, accounts),
        "token": "USDT",
        "tx_hash": USDT_UNCONFIRMED,
        "amount": "480.5",
        "account": accounts["usdt"].pk,
        "counter_account": accounts["suppliers"].pk,
    }
    detail_id = bookkeeper.post(URL, body, format="json").json()["id"]

    response = bookkeeper.post(f"{URL}{detail_id}/verify/")

    assert (response.json()["status"], response.json()["confirmations"]) == ("pending", 4)
    assert not Transaction.objects.exists()


@pytest.mark.parametrize(
    ("setup", "code", "message"),
    [
        ("off", "tronscan_not_configured", "Checking TRON transfers is turned off: TRONSCAN_API_URL is empty"),
        ("down", "tronscan_unavailable", "TronScan could not be reached at https://apilist.tronscanapi.com"),
    ],
)
def test_verify_says_clearly_when_tronscan_cannot_answer(
    bookkeeper, organization, accounts, tronscan, monkeypatch, setup, code, message
):
    detail_id = bookkeeper.post(URL, trx_in(organization, accounts), format="json").json()["id"]
    if setup == "off":
        monkeypatch.setenv("TRONSCAN_API_URL", "")
    else:
        tronscan.queue(httpx.ConnectTimeout("timed out"))

    response = bookkeeper.post(f"{URL}{detail_id}/verify/")

    assert response.status_code == 503
    assert response.json()["error"]["code"] == code
    assert message in response.json()["error"]["message"]
    shown = bookkeeper.get(f"{URL}{detail_id}/").json()
    assert shown["status"] == "pending"
    assert message in shown["error"]
    assert not Transaction.objects.exists()


def test_transfers_filter_by_status_token_and_hash(bookkeeper, organization, accounts, tronscan):
    bookkeeper.post(URL, trx_in(organization, accounts), format="json")
    out = {
        **trx_in(organization, accounts),
        "token": "USDT",
        "direction": "out",
        "tx_hash": USDT_OUT,
        "from_address": OUR_WALLET,
        "to_address": SUPPLIER,
        "amount": "2500",
        "account": accounts["usdt"].pk,
        "counter_account": accounts["suppliers"].pk,
        "fee_source_account": accounts["trx"].pk,
    }
    out_id = bookkeeper.post(URL, out, format="json").json()["id"]
    bookkeeper.post(f"{URL}{out_id}/verify/")

    def hashes(query):
        response = bookkeeper.get(URL, query)
        assert response.status_code == 200, response.content
        return [item["tx_hash"] for item in response.json()["results"]]

    assert hashes({"status": "confirmed"}) == [USDT_OUT]
    assert hashes({"status": "pending", "token": "TRX"}) == [TRX_IN]
    assert hashes({"tx_hash": "0x" + USDT_OUT.upper()}) == [USDT_OUT]
    assert hashes({"direction": "in"}) == [TRX_IN]


def test_the_list_runs_a_fixed_number_of_queries(bookkeeper, organization, accounts):
    def add(n):
        CryptoTransactionDetail.objects.create(
            organization=organization,
            token="TRX",
            direction="in",
            tx_hash=f"{n:064x}",
            from_address=CUSTOMER,
            to_address=OUR_WALLET,
            amount=Decimal("1"),
            account=accounts["trx"],
            counter_account=accounts["sales"],
        )

    add(1)
    bookkeeper.get(URL)
    with CaptureQueriesContext(connection) as few:
        bookkeeper.get(URL)
    for n in range(2, 12):
        add(n)
    with CaptureQueriesContext(connection) as many:
        bookkeeper.get(URL)

    assert len(many) == len(few)
