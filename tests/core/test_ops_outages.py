"""Redis goes away and comes back: the product answers sensibly meanwhile and recovers without a person.

Every test here runs against a Redis of its own (``ThrowawayRedis``), which it stops and starts; the Redis
that the rest of the suite shares is never touched.
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
import uuid

import pytest

from apps.core import tokens
from apps.core.models import ApiKey
from apps.core.roles import Role
from tests.core.test_realtime_server import DaphneServer
from tests.core.throwaway import ThrowawayRedis

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
