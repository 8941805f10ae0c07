"""The OpenAPI schema generates without a single warning and validates, in both languages."""

from __future__ import annotations

import pytest
import yaml
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS
from rest_framework.test import APIClient


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_schema_has_no_warnings_and_validates(tmp_path, language):
    GENERATOR_STATS.reset()  # the counter is process-wide; start from zero
    target = tmp_path / "schema.yaml"

    # --fail-on-warn raises on any warning or error; --validate checks it against the OpenAPI specification.
    call_command("spectacular", "--validate", "--fail-on-warn", "--lang", language, "--file", str(target))

    schema = yaml.safe_load(target.read_text())
    assert {"accessToken", "apiKey"} <= set(schema["components"]["securitySchemes"])
    assert "/api/v1/auth/token/" in schema["paths"]
    assert "/api/v1/memberships/{id}/" in schema["paths"]


@pytest.mark.django_db
def test_the_schema_and_the_docs_are_served():
    client = APIClient()

    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200
