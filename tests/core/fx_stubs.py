"""The Central Bank of Russia, stubbed at the HTTP transport with its recorded answers (tests/fixtures/cbr/).

``install_cbr_stub(monkeypatch)`` puts a stub in front of the CBR that answers every request with the recorded
daily XML of 14.11.2026 unless a test queues other answers, and records the requests it saw.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx

from apps.core.money import fx

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "cbr"
DAILY_2026_11_14 = "XML_daily_2026-11-14.xml"
ERROR_IN_PARAMETERS = "XML_daily_error.xml"


def recorded(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def xml_response(name: str = DAILY_2026_11_14, status: int = 200) -> httpx.Response:
    # Headers as the CBR sends them: the body is windows-1251, declared in the XML prolog as well.
    return httpx.Response(
        status, content=recorded(name), headers={"Content-Type": "application/xml; charset=windows-1251"}
    )


class CbrStub:
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.answers: list[httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]] = []

    def queue(self, *answers) -> None:
        self.answers.extend(answers)

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if self.answers else xml_response()
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            return answer(request)
        return answer

    @property
    def dates_asked(self) -> list[str]:
        return [request.url.params["date_req"] for request in self.requests]


def install_cbr_stub(monkeypatch) -> CbrStub:
    stub = CbrStub()
    monkeypatch.setattr(fx, "TRANSPORT", httpx.MockTransport(stub.handler))
    monkeypatch.delenv("FX_RATES_SOURCE", raising=False)
    monkeypatch.delenv("FX_RATES_URL", raising=False)
    return stub
