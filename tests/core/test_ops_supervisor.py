"""`make run`'s supervisor (apps.core.operations.supervisor): a child that dies is started again with a growing delay,
and the embedded Redis is started again when it stops answering, instead of the product stopping."""

from __future__ import annotations

import sys
import threading
import time

import pytest

from apps.core.management.commands.serve import embedded_watches
from apps.core.operations.supervisor import Backoff, Supervisor
from config import embedded

# Exits with code 1 on its first two runs, then stays up: a worker that dies on errors until they pass.
FLAKY_CHILD = """
import sys, time
from pathlib import Path
runs = Path(sys.argv[1])
runs.write_text(runs.read_text() + "run\\n" if runs.exists() else "run\\n")
if runs.read_text().count("run") <= 2:
    sys.exit(1)
time.sleep(600)
"""


def wait_for(condition, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting: {what}")
        time.sleep(0.02)


@pytest.fixture
def running():
    """Runs a supervisor in a thread; stops it (and its children) after the test."""
    started: list[tuple[Supervisor, threading.Event, threading.Thread]] = []

    def run(supervisor: Supervisor) -> Supervisor:
        stopping = threading.Event()
        thread = threading.Thread(target=supervisor.run, args=(stopping,), kwargs={"poll": 0.01}, daemon=True)
        thread.start()
        started.append((supervisor, stopping, thread))
        return supervisor

    yield run
    for _, stopping, thread in started:
        stopping.set()
        thread.join(30)


def test_a_child_that_dies_is_restarted_with_a_growing_delay_and_the_rest_keeps_running(running, tmp_path):
    runs = tmp_path / "runs"
    supervisor = running(
        Supervisor(
            {
                "flaky": [sys.executable, "-c", FLAKY_CHILD, str(runs)],
                "steady": [sys.executable, "-c", "import time; time.sleep(600)"],
            },
            backoff=lambda: Backoff(base=0.05, ceiling=1, stable_after=60),
        )
    )
    flaky, steady = supervisor.children

    wait_for(lambda: runs.exists() and runs.read_text().count("run") == 3, "the third run of the flaky child")
    wait_for(lambda: flaky.process is not None and flaky.process.poll() is None, "the flaky child to stay up")

    assert supervisor.restarts == [("flaky", 0.05), ("flaky", 0.1)]
    first_steady = steady.process
    assert first_steady.poll() is None  # never restarted: one child's death does not stop the others


def test_the_delay_grows_up_to_its_ceiling_and_starts_over_after_a_stable_run():
    backoff = Backoff(base=1, ceiling=8, stable_after=30)

    assert [backoff.next_delay(ran_for=0.5) for _ in range(6)] == [1, 2, 4, 8, 8, 8]
    assert backoff.next_delay(ran_for=45) == 1


def test_stopping_the_supervisor_stops_its_children(tmp_path):
    supervisor = Supervisor({"child": [sys.executable, "-c", "import time; time.sleep(600)"]})
    stopping = threading.Event()
    thread = threading.Thread(target=supervisor.run, args=(stopping,), kwargs={"poll": 0.01})
    thread.start()
    wait_for(lambda: supervisor.children[0].process is not None, "the child to start")

    stopping.set()
    thread.join(30)

    assert supervisor.children[0].process.poll() is not None


def test_the_embedded_redis_is_started_again_when_it_stops(running, tmp_path, monkeypatch):
    # A var dir of its own: this embedded Redis is a throwaway one, never the test run's.
    monkeypatch.setenv("KONTORA_VAR_DIR", str(tmp_path / "var"))
    embedded.ensure_redis()
    try:
        watches = [w for w in embedded_watches({"DATABASE_URL": "postgres://elsewhere/db"}) if w.name == "redis"]
        for watch in watches:
            watch.interval = 0.05
            watch.backoff = Backoff(base=0.05)
        embedded.stop_redis()  # as a crash or `make stop` would
        assert not embedded.redis_running()

        supervisor = running(Supervisor({}, watches=watches))

        wait_for(embedded.redis_running, "the embedded Redis to be started again")
        assert supervisor.restarts == [("redis", 0.05)]
    finally:
        embedded.stop_redis()
