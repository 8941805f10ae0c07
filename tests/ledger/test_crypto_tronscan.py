"""The TronScan client: its recorded answers read into Decimal transfers, its configuration, its refusals."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import translation

from apps.ledger import tronscan
from apps.ledger.tronscan import (
    USDT_TRC20_CONTRACT,
    TronScanNotConfigured,
    TronScanUnavailable,
    min_confirmations,
    parse_transaction_info,
    tronscan_client,
)
from tests.ledger.tronscan_stubs import (
    CUSTOMER,
    MISSING,
    NOT_FOUND,
    OUR_WALLET,
    RECORDED,
    SUPPLIER,
    TRX_IN,
    USDT_FAILED,
    USDT_OUT,
    USDT_UNCONFIRMED,
    install_tronscan_stub,
    json_response,
    recorded,
)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def stub(monkeypatch):
    return install_tronscan_stub(monkeypatch)


# --- reading the recorded answers -------------------------------------------------------------------------


def test_a_confirmed_trx_transfer_reads_in_trx_not_sun():
    found = parse_transaction_info(recorded(RECORDED[TRX_IN]))

    assert found.succeeded
    assert (found.hash, found.confirmations, found.confirmed, found.block) == (TRX_IN, 4217, True, 77420315)
    assert found.timestamp == datetime(2026, 11, 14, 10, 13, 33, tzinfo=UTC)
    [transfer] = found.transfers
    assert transfer == tronscan.TokenTransfer(
        token="TRX", contract_address="", from_address=CUSTOMER, to_address=OUR_WALLET, amount=Decimal("1250")
    )
    assert found.fee_trx == Decimal("0.267")  # 267 000 sun of bandwidth, burnt by the sender


def test_a_confirmed_usdt_transfer_reads_the_token_transfer_and_the_energy_fee():
    found = parse_transaction_info(recorded(RECORDED[USDT_OUT]))

    assert found.succeeded
    assert found.contract_type == tronscan.TRIGGER_SMART_CONTRACT
    [transfer] = found.transfers
    assert transfer.token == "USDT"
    assert transfer.contract_address == USDT_TRC20_CONTRACT
    assert (transfer.from_address, transfer.to_address) == (OUR_WALLET, SUPPLIER)
    assert transfer.amount == Decimal("2500")
    assert isinstance(transfer.amount, Decimal)
    assert found.fee_trx == Decimal("13.84485")  # energy 13.49985 + bandwidth 0.345


def test_an_unconfirmed_transfer_has_few_confirmations():
    found = parse_transaction_info(recorded(RECORDED[USDT_UNCONFIRMED]))

    assert (found.succeeded, found.confirmed, found.confirmations) == (True, False, 4)
    assert found.transfers[0].amount == Decimal("480.5")


def test_a_failed_transfer_moves_nothing():
    found = parse_transaction_info(recorded(RECORDED[USDT_FAILED]))

    assert not found.succeeded
    assert found.result == "OUT_OF_ENERGY"
    assert found.transfers == ()
    assert found.fee_trx == Decimal("6.345")  # the fee is burnt all the same


def test_an_unknown_hash_is_not_found():
    assert parse_transaction_info(recorded(NOT_FOUND)) is None


def test_an_error_answer_is_not_taken_for_not_found():
    with pytest.raises(TronScanUnavailable, match="TronScan answered: some parameters are invalid"):
        parse_transaction_info({"message": "some parameters are invalid or out of range"})


def test_an_unreadable_amount_is_refused():
    payload = recorded(RECORDED[TRX_IN])
    payload["contractData"]["amount"] = "12.5"

    with pytest.raises(TronScanUnavailable, match="unreadable amount"):
        parse_transaction_info(payload)


# --- the client over HTTP ---------------------------------------------------------------------------------


def test_the_client_asks_transaction_info_at_the_default_address_without_a_key(stub):
    found = tronscan_client().transaction_info(USDT_OUT)

    [request] = stub.requests
    assert str(request.url) == f"https://apilist.tronscanapi.com/api/transaction-info?hash={USDT_OUT}"
    assert "TRON-PRO-API-KEY" not in request.headers
    assert found.transfers[0].amount == Decimal("2500")
    assert tronscan_client().transaction_info(MISSING) is None


def test_the_address_and_the_key_come_from_the_environment(stub, monkeypatch):
    monkeypatch.setenv("TRONSCAN_API_URL", "https://nileapi.tronscan.org/")
    monkeypatch.setenv("TRONSCAN_API_KEY", "3f0c9a52-key")

    tronscan_client().transaction_info(TRX_IN)

    [request] = stub.requests
    assert request.url.host == "nileapi.tronscan.org"
    assert request.url.path == "/api/transaction-info"
    assert request.headers["TRON-PRO-API-KEY"] == "3f0c9a52-key"


@pytest.mark.parametrize("value", ["", "none", "  "])
def test_checking_is_turned_off_with_an_empty_address(stub, monkeypatch, value):
    monkeypatch.setenv("TRONSCAN_API_URL", value)

    with pytest.raises(TronScanNotConfigured, match="TRONSCAN_API_URL is empty"):
        tronscan_client()


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (httpx.ConnectError("Name or service not known"), "could not be reached at .*: ConnectError"),
        (httpx.ReadTimeout("timed out"), "could not be reached at .*: ReadTimeout"),
        (json_response({"Error": "request rate exceeded"}, 429), r"too many requests \(HTTP 429\)"),
        (json_response({"Error": "ApiKey not exists"}, 401), r"HTTP 401\): check TRONSCAN_API_KEY"),
        (httpx.Response(502, text="<html>Bad Gateway</html>"), r"HTTP 502"),
        (httpx.Response(200, text="<html>maintenance</html>"), "not JSON"),
    ],
)
def test_an_unreachable_or_refusing_tronscan_says_why(stub, answer, message):
    stub.queue(answer)

    with pytest.raises(TronScanUnavailable, match=message):
        tronscan_client().transaction_info(TRX_IN)


def test_the_minimum_confirmations_default_to_tron_finality(monkeypatch):
    monkeypatch.delenv("TRON_MIN_CONFIRMATIONS", raising=False)
    assert min_confirmations() == 19

    monkeypatch.setenv("TRON_MIN_CONFIRMATIONS", "40")
    assert min_confirmations() == 40

    monkeypatch.setenv("TRON_MIN_CONFIRMATIONS", "0")
    assert min_confirmations() == 1

    monkeypatch.setenv("TRON_MIN_CONFIRMATIONS", "many")
    with pytest.raises(ImproperlyConfigured, match="TRON_MIN_CONFIRMATIONS must be an integer"):
        min_confirmations()
