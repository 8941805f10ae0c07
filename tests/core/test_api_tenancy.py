"""Every API route keeps organizations apart, whatever app registered it.

The routes are discovered from the URL resolver, so a new viewset is covered the moment it is routed. For
each one, organization A gets one sample row of every tenant model (``tests.tenancy_samples``) and a member
(or an API key) of organization B then asks every list route and every detail route of A's rows: A's rows
must not be listed, must answer 404 (never 403) and must not change.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from apps.core.accounts import tokens
from apps.core.accounts.roles import Role
from apps.core.accounts.tenancy import is_tenant_model
from apps.core.api.permissions import PeopleOnlyForWrites
from tests.core.factories import OrganizationFactory
from tests.tenancy_samples import TENANT_SAMPLES

API_PREFIX = "api/v1/"


@dataclass(frozen=True)
class Route:
    path: str  # "/api/v1/memberships/{pk}/"
    viewset: type
    actions: dict  # {"get": "retrieve", "patch": "partial_update", …}

    @property
    def kwargs(self) -> list[str]:
        return re.findall(r"{(\w+)}", self.path)

    @property
    def model(self):
        queryset = getattr(self.viewset, "queryset", None)
        return getattr(queryset, "model", None)

    @property
    def lookup_kwarg(self) -> str:
        return self.viewset.lookup_url_kwarg or self.viewset.lookup_field

    def __str__(self) -> str:
        return f"{self.path} ({self.viewset.__name__})"


def _walk(patterns, prefix: str = ""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def _as_path(raw: str) -> str:
    path = raw.replace("^", "").replace("$", "")
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", path)  # regex routes (DRF routers)
    path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", path)  # path() routes
    return "/" + path


def api_routes() -> list[Route]:
    routes = []
    for raw, pattern in _walk(get_resolver().url_patterns):
        actions = getattr(pattern.callback, "actions", None)
        if not raw.startswith(API_PREFIX) or not actions or "(?P<format>" in raw:
            continue  # not the API, not a viewset, or a format-suffix duplicate
        routes.append(Route(path=_as_path(raw), viewset=pattern.callback.cls, actions=dict(actions)))
    return routes


ROUTES = api_routes()


def list_routes() -> list[Route]:
    return [route for route in ROUTES if route.actions.get("get") == "list" and not route.kwargs]


def object_routes() -> list[Route]:
    return [route for route in ROUTES if route.kwargs == [route.lookup_kwarg]]


def _lookup_value(route: Route, obj) -> str:
    return str(getattr(obj, route.viewset.lookup_field))


def _people_only(route: Route) -> bool:
    return PeopleOnlyForWrites in route.viewset.permission_classes


def _snapshot(obj) -> dict:
    fresh = type(obj)._default_manager.filter(pk=obj.pk).first()
    if fresh is None:
        return {}
    return {field.attname: getattr(fresh, field.attname) for field in fresh._meta.concrete_fields}


def _items(data) -> list:
    if isinstance(data, dict) and "results" in data:
        return data["results"]
    return data if isinstance(data, list) else []


# --- fixtures ---------------------------------------------------------------------------------------------


@pytest.fixture
def tenant_a(db):
    marker = uuid.uuid4().hex[:12]
    return OrganizationFactory(name=f"Tenant A {marker}", slug=f"tenant-a-{marker}")


@pytest.fixture
def samples_of_a(tenant_a):
    """One row of every tenant model, all in organization A."""
    return {model: make(tenant_a) for model, make in TENANT_SAMPLES.items()}


@pytest.fixture(params=["owner", "api_key"])
def client_of_b(request, other_organization, member_of):
    """A client acting in organization B: its owner (access token), or its strongest API key."""
    client = APIClient()
    if request.param == "owner":
        owner = member_of(other_organization, role=Role.OWNER)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.access_token_issue(user=owner, family=uuid.uuid4())}")
    else:
        _key, plain = tokens.api_key_create(
            organization=other_organization, name="B's key", scopes=["read", "write"], role=Role.ADMIN, by=None
        )
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {plain}")
    client.kind = request.param
    return client


# --- the registry covers the API --------------------------------------------------------------------------


def test_routes_are_discovered():
    paths = {route.path for route in ROUTES}

    assert "/api/v1/memberships/" in paths
    assert "/api/v1/memberships/{pk}/" in paths
    assert "/api/v1/api-keys/{pk}/revoke/" in paths
    assert list_routes()
    assert object_routes()


def test_every_viewset_declares_its_model():
    # The tenancy checks need to know what a viewset serves; the router needs it too (basename).
    unknown = sorted({str(route) for route in ROUTES if route.model is None})

    assert not unknown, f"Give these viewsets a `queryset`: {unknown}"


def test_every_tenant_model_behind_the_api_has_a_sample():
    missing = sorted(
        {
            f"{route.model._meta.label} (served by {route.viewset.__name__})"
            for route in ROUTES
            if route.model is not None and is_tenant_model(route.model) and route.model not in TENANT_SAMPLES
        }
    )

    assert not missing, f"Add these models to TENANT_SAMPLES in tests/tenancy_samples.py: {missing}"


# --- nothing of A reaches B -------------------------------------------------------------------------------


def test_list_routes_never_show_another_organizations_rows(client_of_b, tenant_a, samples_of_a):
    leaks = []
    for route in list_routes():
        sample = samples_of_a.get(route.model)
        for query in ({}, {"organization": tenant_a.slug}, {"search": tenant_a.name}):
            response = client_of_b.get(route.path, query)
            if response.status_code != 200:
                leaks.append(f"{route} {query}: answered {response.status_code} to a member of B")
                continue
            listed = {str(item.get(route.viewset.lookup_field, item.get("id"))) for item in _items(response.json())}
            if sample is not None and _lookup_value(route, sample) in listed:
                leaks.append(f"{route} {query}: lists A's {route.model._meta.label} {sample.pk}")
            if tenant_a.slug.encode() in response.content or tenant_a.name.encode() in response.content:
                leaks.append(f"{route} {query}: mentions organization A")

    assert not leaks, "\n".join(leaks)


def test_object_routes_answer_404_for_another_organizations_rows(client_of_b, samples_of_a):
    before = {model: _snapshot(sample) for model, sample in samples_of_a.items()}
    wrong = []
    for route in object_routes():
        sample = samples_of_a.get(route.model)
        if sample is None:
            continue  # a global model (currencies): nothing of A's to find
        path = route.path.format(**{route.lookup_kwarg: _lookup_value(route, sample)})
        for method in route.actions:
            if client_of_b.kind == "api_key" and method != "get" and _people_only(route):
                continue  # an API key is refused these changes (403) before any lookup, whatever the object
            response = getattr(client_of_b, method)(path, {}, format="json")
            if response.status_code != 404:
                wrong.append(f"{method.upper()} {path} ({route.viewset.__name__}): {response.status_code}")

    assert not wrong, "\n".join(wrong)
    assert {model: _snapshot(sample) for model, sample in samples_of_a.items()} == before
