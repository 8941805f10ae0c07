"""Browser tests: a real daphne serving the test database, driven by Debian's Chromium through Playwright.

Nothing downloads a browser: Playwright launches the system Chromium (``CHROMIUM_PATH`` or ``chromium`` on
PATH). Without one the tests are skipped with a notice, unless ``KONTORA_REQUIRE_BROWSER=1`` (as in CI),
which turns a missing browser into a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, connections

from config.embedded import var_dir

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = next(
    (
        path
        for path in (os.environ.get("CHROMIUM_PATH"), shutil.which("chromium"), shutil.which("chromium-browser"))
        if path and os.path.exists(path)
    ),
    None,
)
REQUIRED = os.environ.get("KONTORA_REQUIRE_BROWSER") == "1"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(config, items):
    if CHROMIUM:
        return
    browser_tests = [item for item in items if "browser" in item.keywords]
    if browser_tests and REQUIRED:
        raise pytest.UsageError(
            "Chromium is required (KONTORA_REQUIRE_BROWSER=1) but was not found: install Debian's `chromium` "
            "or set CHROMIUM_PATH"
        )
    for item in browser_tests:
        item.add_marker(pytest.mark.skip(reason="Chromium not found: install Debian's `chromium` to run browser tests"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def live_server_url(transactional_db):
    """A daphne process serving HTTP and WebSockets from the test database, for one test."""
    if not CHROMIUM:
        pytest.fail("Chromium is required for this test") if REQUIRED else pytest.skip("Chromium not found")
    db = settings.DATABASES["default"]
    database_url = f"postgres://{db['USER']}@/{connection.settings_dict['NAME']}?host={db['HOST']}&port={db['PORT']}"
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url,
        "REDIS_URL": settings.REDIS_URL,
        "PYTHONUNBUFFERED": "1",
    }
    log = open(var_dir() / f"browser-daphne-{port}.log", "w")  # noqa: SIM115
    server = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    raise RuntimeError(f"daphne did not start: {Path(log.name).read_text()[-2000:]}") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture
def browser_page():
    """A fresh Chromium page (Playwright's sync API, with the system browser)."""
    # Playwright's sync API keeps an event loop in this thread; the test's own ORM calls are still sync.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="en-US", viewport={"width": 1200, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()
            # Playwright's loop ran in this thread: close what Django opened meanwhile, or the test database
            # cannot be dropped at the end ("being accessed by other users").
            connections.close_all()
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
