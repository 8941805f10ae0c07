"""Runs the whole product in the foreground: daphne (HTTP + WebSocket), one Celery worker and Celery beat.

`make run` calls this after installing. It migrates, loads the demo data, starts the three processes with
their output prefixed, prints the address and the demo logins, keeps them up (apps.core.operations.supervisor: a child
that dies, or an embedded server that stops answering, is started again with backoff), and on Ctrl-C stops
every process it started, including the embedded PostgreSQL and Redis when this run started them. Data
stays under var/.
"""

from __future__ import annotations

import os
import signal
import sys
import threading

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from apps.core.operations import demo
from apps.core.operations.supervisor import Backoff, Supervisor, Watch
from config import embedded


def worker_command(queue: str) -> list[str]:
    """The Celery worker as `make run` starts it (the outage tests start the same one)."""
    return [sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "info", "--concurrency", "2", "-Q", queue]


def embedded_watches(env: dict[str, str]) -> list[Watch]:
    """The embedded servers in use (no DATABASE_URL / REDIS_URL), to be started again if they stop."""
    watches = []
    if not env.get("REDIS_URL"):
        watches.append(Watch("redis", healthy=embedded.redis_running, restart=embedded.ensure_redis, backoff=Backoff()))
    if not env.get("DATABASE_URL"):
        watches.append(
            Watch("postgres", healthy=embedded.postgres_running, restart=embedded.ensure_postgres, backoff=Backoff())
        )
    return watches


class Command(BaseCommand):
    help = "Run the web server (daphne), a Celery worker and Celery beat together, until Ctrl-C."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--no-demo", action="store_true", help="Do not load the demo data.")

    def handle(self, *args, host: str, port: int, no_demo: bool, **options):
        call_command("compile_translations", verbosity=0)
        call_command("migrate", interactive=False, verbosity=1)
        demo_logins = [] if no_demo else demo.seed_demo()
        python = sys.executable
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.dev")}
        env.setdefault("PYTHONUNBUFFERED", "1")
        commands = {
            "web": [python, "-m", "daphne", "-b", host, "-p", str(port), "config.asgi:application"],
            "worker": worker_command(settings.CELERY_TASK_DEFAULT_QUEUE),
            "beat": [python, "-m", "celery", "-A", "config", "beat", "-l", "info"],
        }
        supervisor = Supervisor(
            commands,
            env=env,
            watches=embedded_watches(env),
            say=lambda line: self.stderr.write(self.style.WARNING(f"{'run':<6}| {line}")),
            relay=lambda name, line: self.stdout.write(f"{name:<6}| {line}"),
        )
        stopping = threading.Event()

        def stop(*_):
            stopping.set()

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            supervisor.start()
            self._announce(host, port, demo_logins)
            # A child that dies (the worker on a broker error, daphne) is started again with backoff, and so
            # is the embedded Redis or PostgreSQL when it stops answering: only Ctrl-C stops the product.
            supervisor.keep_up(stopping)
        finally:
            self.stdout.write("Stopping…")
            supervisor.stop()
            if "redis" in embedded.started_here:
                embedded.stop_redis()
            if "postgres" in embedded.started_here:
                from django.db import connections

                connections.close_all()
                embedded.stop_postgres()
            self.stdout.write("Stopped. Data is kept under var/; `make run` starts again where you left off.")

    def _announce(self, host: str, port: int, logins: list[tuple[str, str, str]]) -> None:
        shown_host = "localhost" if host in ("127.0.0.1", "0.0.0.0", "::") else host
        base = f"http://{shown_host}:{port}"
        lines = [
            "",
            self.style.SUCCESS(f"Kontora is running at {base}/"),
            f"  site     {base}/ru/   ·   {base}/en/",
            f"  admin    {base}/admin/",
            f"  API      {base}/api/v1/   (docs: {base}/api/docs/)",
            f"  health   {base}/healthz",
        ]
        if logins:
            lines.append("  demo logins:")
            lines += [f"    {who:<11} {email}  /  {password}" for who, email, password in logins]
        lines += ["  Ctrl-C stops everything.", ""]
        self.stdout.write("\n".join(lines))
