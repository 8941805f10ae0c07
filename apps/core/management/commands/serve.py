"""Runs the whole product in the foreground: daphne (HTTP + WebSocket), one Celery worker and Celery beat.

`make run` calls this after installing. It migrates, loads the demo data, starts the three processes with
their output prefixed, prints the address and the demo logins, and on Ctrl-C stops every process it started,
including the embedded PostgreSQL and Redis when this run started them. Data stays under var/.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from apps.core import demo
from config import embedded


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
            "worker": [
                python,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-l",
                "info",
                "--concurrency",
                "2",
                "-Q",
                settings.CELERY_TASK_DEFAULT_QUEUE,
            ],
            "beat": [python, "-m", "celery", "-A", "config", "beat", "-l", "info"],
        }
        processes: dict[str, subprocess.Popen] = {}
        stopping = threading.Event()

        def stop(*_):
            stopping.set()

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            for name, command in commands.items():
                processes[name] = subprocess.Popen(
                    command,
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                    start_new_session=True,  # Ctrl-C reaches us only; we stop the children in order
                )
                threading.Thread(target=self._relay, args=(name, processes[name]), daemon=True).start()
            self._announce(host, port, demo_logins)
            while not stopping.is_set():
                for name, process in processes.items():
                    if process.poll() is not None:
                        self.stderr.write(self.style.ERROR(f"{name} exited with code {process.returncode}; stopping."))
                        stopping.set()
                stopping.wait(0.5)
        finally:
            self.stdout.write("Stopping…")
            for process in processes.values():
                if process.poll() is None:
                    process.terminate()
            deadline = time.monotonic() + 15
            for process in processes.values():
                try:
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    process.kill()
            if "redis" in embedded.started_here:
                embedded.stop_redis()
            if "postgres" in embedded.started_here:
                from django.db import connections

                connections.close_all()
                embedded.stop_postgres()
            self.stdout.write("Stopped. Data is kept under var/; `make run` starts again where you left off.")

    def _relay(self, name: str, process: subprocess.Popen) -> None:
        width = 6
        for line in process.stdout:
            self.stdout.write(f"{name:<{width}}| {line.rstrip()}")

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
