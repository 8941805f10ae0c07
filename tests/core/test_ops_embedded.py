"""The embedded PostgreSQL and Redis keep running after a command (so the next one starts fast), `make stop`
stops those of one var dir, and the PostgreSQL runs with Kontora's settings from its first start: in a temporary
var dir, never the servers this test run uses."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.core.throwaway import ROOT, clean_env, stop_embedded

START_BOTH = "from config import embedded; embedded.ensure_postgres(); embedded.ensure_redis()"


def python(var_dir, *arguments: str) -> str:
    """The output of ``python *arguments`` run in a fresh process with ``var_dir`` as its var dir."""
    done = subprocess.run(
        [sys.executable, *arguments],
        cwd=ROOT,
        env=clean_env(KONTORA_VAR_DIR=str(var_dir)),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def status(var_dir) -> str:
    return " ".join(python(var_dir, "-m", "config.embedded", "status").split())


@pytest.fixture
def var_dir(tmp_path):
    path = tmp_path / "var"
    yield path
    stop_embedded(path)  # whatever the test left running


def test_make_stop_stops_the_embedded_servers_that_a_command_left_running(var_dir):
    python(var_dir, "-c", START_BOTH)
    # The command has exited; its servers have not.
    assert f"postgres running ({var_dir}) redis running ({var_dir})" == status(var_dir)

    stopped = stop_embedded(var_dir)

    assert stopped.returncode == 0, stopped.stderr
    assert f"Stopped redis, postgres under {var_dir}." in stopped.stdout
    assert f"postgres stopped ({var_dir}) redis stopped ({var_dir})" == status(var_dir)
    assert f"Nothing was running under {var_dir}." in stop_embedded(var_dir).stdout


def test_status_and_stop_never_start_a_server(var_dir):
    assert f"postgres stopped ({var_dir}) redis stopped ({var_dir})" == status(var_dir)
    assert f"Nothing was running under {var_dir}." in stop_embedded(var_dir).stdout
    assert not (var_dir / "postgres").exists()


SHOW_WAL_BUFFERS = (
    "import psycopg; from config import embedded; server = embedded.ensure_postgres(); "
    "connection = psycopg.connect(dbname='postgres', user=embedded.SUPERUSER, host=server.socket_dir, "
    "port=server.port); print(connection.execute('SHOW wal_buffers').fetchone()[0])"
)


def wal_buffers(var_dir) -> str:
    return python(var_dir, "-c", SHOW_WAL_BUFFERS).strip()


def test_the_embedded_postgres_runs_with_its_settings_from_the_first_start_on(var_dir):
    from config.embedded import SERVER_SETTINGS

    assert wal_buffers(var_dir) == SERVER_SETTINGS["wal_buffers"] != "4MB"  # 4 MB: PostgreSQL's own default here

    # A cluster made before the settings existed gets them at its next start.
    stop_embedded(var_dir)
    (var_dir / "postgres" / "kontora.conf").unlink()
    assert wal_buffers(var_dir) == SERVER_SETTINGS["wal_buffers"]
