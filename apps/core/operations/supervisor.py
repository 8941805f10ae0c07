"""Keeps `make run`'s processes up: a child that dies is started again after a backoff, a watched server
(the embedded Redis and PostgreSQL) that stops answering is started again the same way; nothing stops the
product but Ctrl-C.

Backoff: the first restart waits ``base`` seconds, each further one twice as long, up to ``ceiling``; a
child that then stays up for ``stable_after`` seconds starts from ``base`` again next time. A crash loop
therefore costs a restart every ``ceiling`` seconds at most, and a single crash is repaired at once.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Backoff:
    base: float = 1.0
    ceiling: float = 30.0
    stable_after: float = 30.0
    failures: int = 0

    def next_delay(self, *, ran_for: float) -> float:
        if ran_for >= self.stable_after:
            self.failures = 0
        delay = min(self.ceiling, self.base * 2**self.failures)
        self.failures += 1
        return delay


@dataclass
class Child:
    name: str
    command: list[str]
    backoff: Backoff
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    restart_at: float | None = None


@dataclass
class Watch:
    """A server the supervisor does not own as a child but keeps running: ``healthy()`` is asked every
    ``interval`` seconds; when it says no, ``restart()`` is called (after the backoff)."""

    name: str
    healthy: Callable[[], bool]
    restart: Callable[[], object]
    backoff: Backoff
    interval: float = 1.0
    checked_at: float = 0.0
    down_since: float | None = None
    restart_at: float | None = None
    up_since: float = field(default_factory=time.monotonic)


class Supervisor:
    def __init__(
        self,
        commands: dict[str, list[str]],
        *,
        env: dict[str, str] | None = None,
        watches: list[Watch] = (),
        say: Callable[[str], None] = lambda line: None,
        relay: Callable[[str, str], None] | None = None,
        backoff: Callable[[], Backoff] = Backoff,
    ):
        self.children = [Child(name, command, backoff()) for name, command in commands.items()]
        self.watches = list(watches)
        self.env = env
        self.say = say
        self.relay = relay
        self.restarts: list[tuple[str, float]] = []  # (name, delay) of every restart scheduled, in order

    # --- children ---------------------------------------------------------------------------------------

    def _spawn(self, child: Child) -> None:
        child.process = subprocess.Popen(
            child.command,
            env=self.env,
            stdout=subprocess.PIPE if self.relay else None,
            stderr=subprocess.STDOUT if self.relay else None,
            text=True,
            start_new_session=True,  # Ctrl-C reaches the supervisor only; it stops the children in order
        )
        child.started_at = time.monotonic()
        child.restart_at = None
        if self.relay:
            threading.Thread(target=self._relay, args=(child.name, child.process), daemon=True).start()

    def _relay(self, name: str, process: subprocess.Popen) -> None:
        for line in process.stdout:
            self.relay(name, line.rstrip())

    def start(self) -> None:
        for child in self.children:
            self._spawn(child)

    def tick(self) -> None:
        now = time.monotonic()
        for child in self.children:
            if child.restart_at is not None:
                if now >= child.restart_at:
                    self.say(f"{child.name}: starting again")
                    self._spawn(child)
            elif child.process is not None and child.process.poll() is not None:
                delay = child.backoff.next_delay(ran_for=now - child.started_at)
                child.restart_at = now + delay
                self.restarts.append((child.name, delay))
                self.say(f"{child.name} exited with code {child.process.returncode}; restarting in {delay:g} s")
        for watch in self.watches:
            self._check(watch, now)

    def _check(self, watch: Watch, now: float) -> None:
        if watch.restart_at is not None:
            if now < watch.restart_at:
                return
            watch.restart_at = None
            self.say(f"{watch.name}: starting again")
            try:
                watch.restart()
            except Exception as error:  # reported, and tried again after the next backoff
                self.say(f"{watch.name} did not start: {error}")
            watch.checked_at = 0.0  # look again at once
            return
        if now - watch.checked_at < watch.interval:
            return
        watch.checked_at = now
        if watch.healthy():
            if watch.down_since is not None:
                watch.down_since = None
                watch.up_since = now
            return
        if watch.down_since is None:
            watch.down_since = now
        delay = watch.backoff.next_delay(ran_for=now - watch.up_since)
        watch.restart_at = now + delay
        self.restarts.append((watch.name, delay))
        self.say(f"{watch.name} does not answer; starting it again in {delay:g} s")

    def keep_up(self, stopping: threading.Event, *, poll: float = 0.2) -> None:
        """Restart what dies, until ``stopping`` is set."""
        while not stopping.is_set():
            self.tick()
            stopping.wait(poll)

    def run(self, stopping: threading.Event, *, poll: float = 0.2) -> None:
        """Start every child, keep them (and the watched servers) up until ``stopping`` is set, then stop."""
        try:
            self.start()
            self.keep_up(stopping, poll=poll)
        finally:
            self.stop()

    def stop(self, timeout: float = 15) -> None:
        for child in self.children:
            if child.process is not None and child.process.poll() is None:
                child.process.terminate()
        deadline = time.monotonic() + timeout
        for child in self.children:
            if child.process is None:
                continue
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()
