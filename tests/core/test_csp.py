"""Every page and API answer carries the Content-Security-Policy, and no page needs an inline script: no
``<script>`` without ``src`` (``application/json`` data tags excepted: they are never executed) and no
``on…=`` handler attribute."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.urls import reverse

from apps.core.accounts.roles import Role
from tests.core.factories import UserFactory
from tests.tenancy_samples import TENANT_SAMPLES

pytestmark = pytest.mark.django_db

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self' ws://testserver wss://testserver; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
HANDLER_ATTRIBUTE = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)
REGISTERED = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def inline_scripts(html: str) -> list[str]:
    """The script tags a policy without 'unsafe-inline' would block."""
    found = []
    for match in SCRIPT_TAG.finditer(html):
        attributes = match.group(1)
        if re.search(r"\ssrc=", attributes) or re.search(r"type=\"application/json\"", attributes):
            continue
        found.append(match.group(0))
    found += [match.group(0) for match in HANDLER_ATTRIBUTE.finditer(html)]
    return found


def assert_protected(response, *, html: bool) -> None:
    assert response["Content-Security-Policy"] == POLICY, response.request["PATH_INFO"]
    if html:
        assert "text/html" in response["Content-Type"]
        assert inline_scripts(response.content.decode()) == [], response.request["PATH_INFO"]


@pytest.fixture
def superuser_client(client, organization, member_of):
    member_of(organization)
    for make in TENANT_SAMPLES.values():
        make(organization)
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    return client


def test_site_pages_carry_the_policy_and_no_inline_script(client, organization, member_of):
    for path in ("/en/", "/ru/", "/en/accounts/login/", "/en/accounts/signup/", "/en/no-such-page/"):
        assert_protected(client.get(path), html=True)

    client.force_login(member_of(organization, role=Role.OWNER))
    for path in ("/en/", "/en/account/", reverse("ledger:dashboard")):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_protected(response, html=True)


def test_admin_pages_carry_the_policy_and_no_inline_script(superuser_client):
    assert_protected(superuser_client.get(reverse("admin:index")), html=True)
    for model, _ in REGISTERED:
        for view in ("changelist", "add"):
            url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}")
            response = superuser_client.get(url)
            if response.status_code == 200:
                assert_protected(response, html=True)
        obj = model._default_manager.first()
        if obj is not None:
            url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[obj.pk])
            assert_protected(superuser_client.get(url), html=True)


def test_api_answers_the_browsable_api_and_the_docs_carry_the_policy(client, organization, member_of):
    assert_protected(client.get("/api/v1/currencies/"), html=False)  # 401/403 JSON: still protected
    assert_protected(client.get("/healthz"), html=False)
    docs = client.get("/api/docs/")
    assert_protected(docs, html=True)
    # Swagger UI comes from this site (drf-spectacular-sidecar), never from a CDN.
    assert re.findall(r"<(?:script|link)[^>]+(?:src|href)=\"https?://", docs.content.decode()) == []
    assert_protected(client.get("/api/docs/?script"), html=False)
    assert_protected(client.get("/api/schema/"), html=False)

    client.force_login(member_of(organization))
    assert_protected(client.get("/api/v1/currencies/"), html=False)
    browsable = client.get("/api/v1/currencies/", HTTP_ACCEPT="text/html")
    assert browsable.status_code == 200
    assert_protected(browsable, html=True)
