"""The README's API examples work, as written, against the demo data that ``make run`` loads: the shell
blocks are taken from the README and run with bash and curl against a live server of the test database."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from apps.core.operations.demo import seed_demo
from apps.ledger.models import Transaction

pytestmark = pytest.mark.django_db(transaction=True)

README = Path(settings.BASE_DIR) / "README.md"
SHELL_BLOCKS = re.findall(r"```sh\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.DOTALL)


def _block(containing: str) -> str:
    [block] = [block for block in SHELL_BLOCKS if containing in block]
    return block


@pytest.fixture
def demo_server(live_server, monkeypatch):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)  # the README shows the default password
    seed_demo()
    return live_server.url


@pytest.mark.skipif(shutil.which("curl") is None, reason="the README's examples use curl")
def test_the_readme_api_examples_run_against_the_demo_data(demo_server):
    script = "set -euo pipefail\n" + _block("/auth/token/") + _block("operations/income/")
    script = script.replace("http://localhost:8000", demo_server)

    result = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60, check=False)

    assert result.returncode == 0, result.stderr
    me, posted = (json.loads(line) for line in result.stdout.replace("}{", "}\n{").splitlines() if line.strip())
    assert me["email"] == "bookkeeper@kontora.local"
    assert posted["kind"] == "income", posted
    transaction = Transaction.objects.get(pk=posted["id"])
    assert transaction.idempotency_key.endswith("invoice-2026-017")  # the key the README sends
    assert {entry.account.code for entry in transaction.entries.select_related("account")} == {"51.1", "90.2"}


def test_the_readme_names_the_download_parameters_each_surface_takes():
    text = README.read_text(encoding="utf-8")
    admin_buttons = Path(settings.BASE_DIR, "templates/admin/ledger/reports/report.html").read_text(encoding="utf-8")

    assert "download=csv" in admin_buttons
    assert "`&download=csv`" in text
    assert "in the API, `?format=csv`" in text
