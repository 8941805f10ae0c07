"""Redis goes away and comes back: the product answers sensibly meanwhile and recovers without a person.

Every test here runs against a Redis of its own (``ThrowawayRedis``), which it stops and starts; the Redis
that the rest of the suite shares is never touched.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid

import pytest
from django.test import Client

from apps.core.accounts import tokens
from apps.core.accounts.roles import Role
from apps.core.management.commands.serve import worker_command
from apps.core.models import ApiKey
from apps.core.realtime import publish
from config.settings.base import _kombu_url
from tests.core.test_realtime_server import DaphneServer, WebSocketClosed, open_live
from tests.core.throwaway import ROOT, ThrowawayRedis, clean_env, database_url

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def redis_server():
    server = ThrowawayRedis()
    server.start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def web(transactional_db, tmp_path, redis_server):
    """daphne serving the test database, with the throwaway Redis as its cache, channel layer and broker."""
    server = DaphneServer(tmp_path / "daphne.log")
    server.env["REDIS_URL"] = redis_server.url
    server.start()
    try:
        yield server
    finally:
        server.stop()
        sys.stderr.write(f"--- daphne log ---\n{server.log_path.read_text()[-5000:]}")


def call(server, method: str, path: str, token: str, body: dict | None = None):
    request = urllib.request.Request(
        server.url + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Accept-Language": "en"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def test_the_api_answers_a_json_503_while_redis_is_away_and_recovers_by_itself(
    web, redis_server, organization, member_of
):
    admin = member_of(organization, role=Role.ADMIN)
    token = tokens.access_token_issue(user=admin, family=uuid.uuid4())

    def create_key(name: str):
        body = {"organization": organization.slug, "name": name, "scopes": ["read"], "role": Role.VIEWER}
        return call(web, "POST", "/api/v1/api-keys/", token, body)

    assert create_key("Before")[0] == 201

    redis_server.stop()
    status, headers, text = create_key("During")
    listed = call(web, "GET", "/api/v1/api-keys/", token)

    assert (status, headers["Content-Type"], headers["Retry-After"]) == (503, "application/json", "5"), text
    assert json.loads(text) == {
        "error": {
            "code": "service_unavailable",
            "message": "The service is briefly unavailable and nothing was changed. Try again shortly.",
            "retry_after": 5,
        }
    }
    assert listed[0] == 503
    assert not ApiKey.objects.filter(name="During").exists()

    redis_server.start()  # the same daphne process, nobody restarts it

    status, _, text = create_key("After")
    assert status == 201, text
    assert sorted(ApiKey.objects.values_list("name", flat=True)) == ["After", "Before"]


class Worker:
    """The Celery worker exactly as `make run` starts it, on a queue of its own, logging to a file."""

    def __init__(self, redis_server: ThrowawayRedis, log_path):
        self.queue = f"outage-{uuid.uuid4().hex[:8]}"
        self.log_path = log_path
        env = clean_env(
            DJANGO_SETTINGS_MODULE="config.settings.test",
            DATABASE_URL=database_url(),
            REDIS_URL=redis_server.url,
        )
        with log_path.open("w") as log:
            self.process = subprocess.Popen(
                worker_command(self.queue), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )

    def log(self) -> str:
        return self.log_path.read_text()

    def wait_for(self, text: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.log():
            if self.process.poll() is not None:
                pytest.fail(f"the worker exited with code {self.process.returncode}:\n{self.log()[-5000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"the worker never logged {text!r}:\n{self.log()[-5000:]}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def send(redis_server: ThrowawayRedis, queue: str, **options) -> str:
    """Queue Celery's built-in ``celery.accumulate`` (it touches nothing) on the throwaway Redis."""
    from config.celery import app

    with app.connection_for_write(_kombu_url(redis_server.url)) as connection:
        result = app.send_task("celery.accumulate", args=(1, 2), queue=queue, connection=connection, **options)
    return result.id


def test_the_celery_worker_survives_redis_going_away_with_tasks_in_hand_and_reconnects(redis_server, tmp_path):
    worker = Worker(redis_server, tmp_path / "worker.log")
    try:
        worker.wait_for("ready.")
        held = send(redis_server, worker.queue, countdown=600)  # the worker holds it, unacknowledged
        worker.wait_for(f"Task celery.accumulate[{held}] received")

        redis_server.stop()
        worker.wait_for("Connection to broker lost")
        redis_server.start()

        after = send(redis_server, worker.queue)
        worker.wait_for(f"Task celery.accumulate[{after}] succeeded")
        assert worker.process.poll() is None
        assert "Unrecoverable error" not in worker.log()
    finally:
        worker.stop()


@pytest.fixture
def publishing_to(settings):
    """Points this test process's live events (``publish``) at another Redis, as the web process's are."""
    from apps.core.realtime import streams

    def point(redis_server: ThrowawayRedis) -> None:
        settings.REDIS_URL = redis_server.url
        layer = copy.deepcopy(settings.CHANNEL_LAYERS)
        layer["default"]["CONFIG"]["hosts"][0]["address"] = redis_server.url
        settings.CHANNEL_LAYERS = layer  # channels drops its cached layer when this setting changes
        streams.client.cache_clear()
        streams._append_script.cache_clear()

    yield point
    streams.client.cache_clear()
    streams._append_script.cache_clear()


def test_live_pages_connect_again_and_receive_events_once_redis_is_back(
    web, redis_server, publishing_to, organization, member_of
):
    publishing_to(redis_server)
    client = Client()
    client.force_login(member_of(organization))
    ws = open_live(web, client)
    assert ws.receive_json()["type"] == "hello"

    redis_server.stop()
    with pytest.raises(WebSocketClosed):  # the page's cue to connect again, with backoff (static/js/live.js)
        ws.receive_json()
    ws.close()
    redis_server.start()  # empty: this throwaway Redis keeps nothing on disk

    ws = open_live(web, client)  # the same daphne process
    try:
        assert ws.receive_json() == {
            "type": "hello",
            "streams": [{"stream": f"org:{organization.pk}", "name": organization.name, "seq": 0}],
        }
        publish(organization, "demo.greeting", {"message": "back"})
        assert ws.receive_json()["data"] == {"message": "back"}
    finally:
        ws.close()
