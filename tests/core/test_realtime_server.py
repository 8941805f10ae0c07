"""End to end: a real daphne process serves the test database, a real WebSocket client talks to it over TCP.

The client is a minimal RFC 6455 implementation over a plain socket (the ``websockets`` package is not part
of the stack, and autobahn's client would need a running Twisted reactor): handshake, masked text frames
out, unmasked frames in, close and ping handling. The test publishes from its own process, as a service
would, and the event reaches the browser-side connection through Redis.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection, connections
from django.test import Client

from apps.core.realtime import publish
from tests.core.throwaway import end_process

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class WebSocketClosed(Exception):
    def __init__(self, code: int | None):
        super().__init__(f"closed by the server with code {code}")
        self.code = code


class RawWebSocket:
    """Just enough of a WebSocket client for tests: JSON text frames, close codes, pings answered."""

    def __init__(self, host: str, port: int, path: str, headers: dict[str, str], timeout: float = 10):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buffer = b""
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [
            f"GET {path} HTTP/1.1",
            f"Host: {host}:{port}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
            *(f"{name}: {value}" for name, value in headers.items()),
        ]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = self._read_until(b"\r\n\r\n").decode("latin-1")
        status, *header_lines = head.split("\r\n")
        self.status = int(status.split()[1])
        self.headers = {
            name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in header_lines)
        }
        if self.status == 101:
            expected = base64.b64encode(hashlib.sha1((key + WEBSOCKET_GUID).encode()).digest()).decode()
            assert self.headers["sec-websocket-accept"] == expected

    def _read_until(self, marker: bytes) -> bytes:
        while marker not in self.buffer:
            self._fill()
        head, _, self.buffer = self.buffer.partition(marker)
        return head

    def _read_exact(self, size: int) -> bytes:
        while len(self.buffer) < size:
            self._fill()
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise WebSocketClosed(None)
        self.buffer += chunk

    def _send_frame(self, opcode: int, payload: bytes) -> None:
        header = bytes([0x80 | opcode])
        length = len(payload)
        if length < 126:
            header += bytes([0x80 | length])
        elif length < 1 << 16:
            header += bytes([0x80 | 126]) + struct.pack("!H", length)
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", length)
        mask = os.urandom(4)
        self.sock.sendall(header + mask + bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload)))

    def send_json(self, data) -> None:
        self._send_frame(0x1, json.dumps(data).encode())

    def receive_json(self):
        message = b""
        while True:
            first, second = self._read_exact(2)
            fin, opcode, length = first & 0x80, first & 0x0F, second & 0x7F
            if length == 126:
                (length,) = struct.unpack("!H", self._read_exact(2))
            elif length == 127:
                (length,) = struct.unpack("!Q", self._read_exact(8))
            mask = self._read_exact(4) if second & 0x80 else None
            payload = self._read_exact(length)
            if mask:
                payload = bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))
            if opcode == 0x8:
                raise WebSocketClosed(struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None)
            if opcode == 0x9:
                self._send_frame(0xA, payload)
                continue
            if opcode in (0x1, 0x0):
                message += payload
                if fin:
                    return json.loads(message)

    def close(self) -> None:
        with contextlib.suppress(OSError):  # the server may have closed first
            self._send_frame(0x8, struct.pack("!H", 1000))
        self.sock.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DaphneServer:
    """A daphne process serving ``config.asgi:application`` from the test database, stoppable and restartable
    on the same port (to cut every open WebSocket, as a deploy or a network failure would)."""

    def __init__(self, log_path: Path):
        params = connection.get_connection_params()  # the effective ones: HOST may also come from OPTIONS
        database_url = "postgres://{user}@{host}:{port}/{name}".format(
            user=quote(params.get("user") or "", safe=""),
            host=quote(str(params.get("host") or ""), safe=""),
            port=params.get("port") or "",
            name=quote(params["dbname"], safe=""),
        )
        self.env = {
            **os.environ,  # PYTEST_XDIST_WORKER included: the server uses this worker's Redis key prefixes
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": database_url,
            "REDIS_URL": settings.REDIS_URL,
            "PYTHONUNBUFFERED": "1",
        }
        self.port = _free_port()
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log_path.open("a") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), "config.asgi:application"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"daphne did not start:\n{self.log_path.read_text()[-3000:]}") from None
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process is None:
            return
        end_process(self.process)
        self.process = None


@pytest.fixture
def daphne(transactional_db, tmp_path):
    server = DaphneServer(tmp_path / "daphne.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()
        sys.stderr.write(f"--- daphne log ---\n{server.log_path.read_text()[-5000:]}")  # shown when a test fails


def open_live(server: DaphneServer, client: Client | None = None) -> RawWebSocket:
    headers = {"Origin": server.url}
    if client is not None:
        headers["Cookie"] = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    ws = RawWebSocket("127.0.0.1", server.port, "/ws/live/", headers)
    assert ws.status == 101
    return ws


def test_a_signed_in_page_receives_live_events_from_a_real_server(daphne, organization, member_of):
    client = Client()
    client.force_login(member_of(organization))
    stream = f"org:{organization.pk}"

    ws = open_live(daphne, client)
    try:
        assert ws.receive_json() == {
            "type": "hello",
            "streams": [{"stream": stream, "name": organization.name, "seq": 0}],
        }
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}

        publish(organization, "demo.greeting", {"message": "Платёж получен"})

        event = ws.receive_json()
        assert (event["stream"], event["seq"], event["type"]) == (stream, 1, "demo.greeting")
        assert event["data"] == {"message": "Платёж получен"}
    finally:
        ws.close()

    publish(organization, "demo.greeting", {"message": "while away"})  # the page reconnects and catches up
    ws = open_live(daphne, client)
    try:
        assert ws.receive_json()["streams"][0]["seq"] == 2
        ws.send_json({"type": "resume", "stream": stream, "after": 1})
        assert ws.receive_json()["data"] == {"message": "while away"}
    finally:
        ws.close()


def test_an_anonymous_page_is_closed_with_4401_by_a_real_server(daphne):
    ws = open_live(daphne)
    try:
        with pytest.raises(WebSocketClosed) as closed:
            ws.receive_json()
        assert closed.value.code == 4401
    finally:
        ws.close()


# --- the page side (static/js/live.js) in a real browser ------------------------------------------------

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def chromium_page(monkeypatch):
    """A Chromium page driven by Playwright (the system browser; skipped without one, unless required)."""
    if not CHROMIUM:
        if os.environ.get("KONTORA_REQUIRE_BROWSER") == "1":
            pytest.fail("Chromium is required (KONTORA_REQUIRE_BROWSER=1)")
        pytest.skip("Chromium not found: install Debian's `chromium` to run browser tests")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the test's own ORM calls are still sync.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu", "--no-first-run"]
        )
        context = browser.new_context(locale="en-US")
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()
            # Under Playwright the test body runs in a greenlet with its own context variables, hence its own
            # database connection, which the test database teardown would otherwise find still open.
            connections.close_all()


@pytest.mark.browser
def test_the_live_panel_shows_events_and_catches_up_after_the_server_comes_back(
    daphne, chromium_page, organization, member_of
):
    from playwright.sync_api import expect

    client = Client()
    client.force_login(member_of(organization))
    page = chromium_page
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": daphne.url}])
    page.goto(f"{daphne.url}/en/account/")

    status = page.locator("[data-live-status]")
    items = page.locator("[data-live-events] li")
    expect(status).to_have_attribute("data-state", "online")
    expect(status).to_have_text(status.get_attribute("data-text-online"))
    expect(page.locator("[data-live-empty]")).to_be_visible()
    page.evaluate(
        """() => {
            window.viaSubscribe = [];
            window.viaDomEvent = [];
            window.KontoraLive.subscribe((event) => window.viaSubscribe.push(event.seq));
            document.addEventListener("kontora:live", (event) => window.viaDomEvent.push(event.detail.seq));
        }"""
    )

    publish(organization, "ledger.balance_changed", {"message": "Платёж получен: 1 500,00 ₽"})
    expect(items.first).to_contain_text("Платёж получен: 1 500,00 ₽")
    expect(items.first).to_contain_text("ledger.balance_changed")
    expect(page.locator("[data-live-empty]")).to_be_hidden()
    publish(organization, "analytics.import_progress", {"rows": 10})
    expect(items.first.locator(".live-event-text")).to_have_text('{"rows":10}')  # no message: the data as JSON

    daphne.stop()  # every connection is cut; the page retries with backoff
    expect(status).to_have_attribute("data-state", "offline")
    expect(status).to_have_text(status.get_attribute("data-text-offline"))
    publish(organization, "demo.greeting", {"message": "missed 1"})
    publish(organization, "demo.greeting", {"message": "missed 2"})
    daphne.start()

    expect(status).to_have_attribute("data-state", "online", timeout=30_000)
    expect(items).to_have_count(4)
    assert items.locator(".live-event-text").all_text_contents() == [
        "missed 2",
        "missed 1",
        '{"rows":10}',
        "Платёж получен: 1 500,00 ₽",
    ]
    assert page.evaluate("window.viaSubscribe") == [1, 2, 3, 4]
    assert page.evaluate("window.viaDomEvent") == [1, 2, 3, 4]

    for number in range(52):
        publish(organization, "demo.tick", {"message": f"tick {number}"})
    expect(items.first).to_contain_text("tick 51")
    expect(items).to_have_count(50)


def test_an_idle_page_stays_connected_and_still_receives_events(daphne, organization, member_of):
    # The channel layer waits for a page's messages with a blocking Redis pop of BLOCKING_POP_SECONDS; the
    # socket timeout of its Redis connections must outlast that wait, or an idle connection dies with 1011.
    from channels_redis.core import RedisChannelLayer

    client = Client()
    client.force_login(member_of(organization))
    ws = open_live(daphne, client)
    try:
        assert ws.receive_json()["type"] == "hello"
        ws.sock.settimeout(RedisChannelLayer.brpop_timeout + 10)
        time.sleep(RedisChannelLayer.brpop_timeout + 2)  # idle: nothing sent either way

        publish(organization, "demo.greeting", {"message": "still here"})

        assert ws.receive_json()["data"] == {"message": "still here"}
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}
    finally:
        ws.close()
