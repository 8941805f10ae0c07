"""The API against its own OpenAPI schema, fuzzed by schemathesis: ``make fuzz`` (a CI gate).

Every operation of the schema gets generated requests, valid and invalid, sent in-process to the real
Django app on the real PostgreSQL, authenticated as the owner of the demo organization (so lists, details
and reports return rows). Each answer must not be a server error and must conform to the schema: status
code, content type, headers and body. Runs are bounded (``FUZZ_EXAMPLES`` requests per operation, no
shrinking) and deterministic (derandomized: the same code generates the same requests).
"""

from __future__ import annotations

import json
import os
import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def _load_schema():
    from django.core.wsgi import get_wsgi_application
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    document = SchemaGenerator().get_schema(request=None, public=True)
    loaded = schemathesis.openapi.from_dict(json.loads(OpenApiJsonRenderer().render(document)))
    loaded.app = get_wsgi_application()
    return loaded


schema = _load_schema()


@pytest.fixture(scope="session")
def demo_owner(django_db_setup, django_db_blocker):
    """The demo organization with a month of books, created once for the run."""
    from apps.core.models import User
    from apps.core.operations.demo import MEMBER_EMAIL, seed_demo

    with django_db_blocker.unblock():
        seed_demo()
        return User.objects.get(email=MEMBER_EMAIL)


@pytest.fixture
def auth_headers(demo_owner, monkeypatch):
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections
    from rest_framework.throttling import SimpleRateThrottle

    # As Django's test client does: the WSGI handler must not close the connection that holds the test's
    # transaction at the end of each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)

    from apps.core.accounts.tokens import access_token_issue

    # The fuzzer sends thousands of requests a minute; throttling is tested elsewhere.
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"user": None, "anon": None, "token": None})
    yield {"Authorization": f"Bearer {access_token_issue(user=demo_owner, family=uuid.uuid4())}"}
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@hypothesis_settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_operation_conforms_and_never_fails(case, auth_headers):
    case.call_and_validate(headers=auth_headers, checks=CHECKS)
