"""TronScan, stubbed at the HTTP transport with its recorded answers (tests/fixtures/tronscan/).

``install_tronscan_stub(monkeypatch)`` answers ``/api/transaction-info?hash=…`` with the recorded payload of
that hash (an empty object, TronScan's "not found", for any other), unless a test queues other answers; it
records the requests it saw.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx

from apps.ledger import tronscan

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "tronscan"

# Addresses and hashes of the recorded transactions.
OUR_WALLET = "TUCN7kXqj1hadrutSgM23JJ9J8jUu7Kfgt"
CUSTOMER = "TSdbCHE6EV7cMSNWcd3EqoikLoTePTjbSL"
SUPPLIER = "TPb1GcXJvqxjrJBbrfeYF32u4qGE9BHwKF"
STRANGER = "TVmTPtVpHTgWzHYnGDbih1QDTuQo6J1Eef"

TRX_IN = "053b98747e7501ba9b0321d0c8754e621decd761eee805600068af8ce13ebcc8"  # 1250 TRX, customer → us
USDT_OUT = "660d9fd592b1f53ce5b95ba54dfc11185c0b0cb114b41bb7c1ca8784392faaa8"  # 2500 USDT, us → supplier
USDT_UNCONFIRMED = "2f55f0f12df0a4aeb0253ada8b3e7e7158924dadb6ae762cf9fa0c2cfb36fbbc"  # 480.5 USDT, 4 conf.
USDT_FAILED = "288c8cb0148ec8abf4d6bfd5f28b5e059d9417b54241df9d31074361ac8c75c6"  # OUT_OF_ENERGY
MISSING = "ffa63583dfa6706b87d284b86b0d693a161e4840aad2c5cf6b5d27c3b9621f7d"

RECORDED = {
    TRX_IN: "transaction-info_trx_confirmed.json",
    USDT_OUT: "transaction-info_usdt_confirmed.json",
    USDT_UNCONFIRMED: "transaction-info_usdt_unconfirmed.json",
    USDT_FAILED: "transaction-info_usdt_failed.json",
}
NOT_FOUND = "transaction-info_not_found.json"


def recorded(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def json_response(payload, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=payload)


class TronScanStub:
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.answers: list[httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]] = []
        self.overrides: dict[str, dict] = {}  # hash → payload, for variations of a recorded answer

    def queue(self, *answers) -> None:
        self.answers.extend(answers)

    def answer_for(self, tx_hash: str, payload: dict) -> None:
        self.overrides[tx_hash] = payload

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.answers:
            answer = self.answers.pop(0)
            if isinstance(answer, Exception):
                raise answer
            return answer(request) if callable(answer) else answer
        assert request.url.path == "/api/transaction-info", request.url
        tx_hash = request.url.params["hash"]
        if tx_hash in self.overrides:
            return json_response(self.overrides[tx_hash])
        return json_response(recorded(RECORDED.get(tx_hash, NOT_FOUND)))

    @property
    def hashes_asked(self) -> list[str]:
        return [request.url.params["hash"] for request in self.requests]


def install_tronscan_stub(monkeypatch) -> TronScanStub:
    stub = TronScanStub()
    monkeypatch.setattr(tronscan, "TRANSPORT", httpx.MockTransport(stub.handler))
    for name in ("TRONSCAN_API_URL", "TRONSCAN_API_KEY", "TRON_MIN_CONFIRMATIONS"):
        monkeypatch.delenv(name, raising=False)
    return stub
