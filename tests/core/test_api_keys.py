"""Per-organization API keys: created once and shown once, scoped to their organization, revocable."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from rest_framework.test import APIClient

from apps.core.accounts import tokens
from apps.core.accounts.roles import Role
from apps.core.accounts.tenancy import has_power, memberships
from apps.core.models import ApiKey, AuditLog
from tests.core.factories import MembershipFactory

pytestmark = pytest.mark.django_db

KEYS_URL = "/api/v1/api-keys/"


def as_user(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.access_token_issue(user=user, family=uuid.uuid4())}")
    return client


def with_key(plain: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {plain}")
    return client


def make_key(organization, **fields):
    fields = {"name": "Script", "scopes": ["read"], "role": Role.VIEWER, "by": None, **fields}
    return tokens.api_key_create(organization=organization, **fields)


def error_code(response) -> str:
    return response.json()["error"]["code"]


# --- creating and listing ---------------------------------------------------------------------------------


def test_an_admin_creates_a_key_and_sees_it_once(organization, member_of):
    admin = member_of(organization, role=Role.ADMIN)

    response = as_user(admin).post(
        KEYS_URL,
        {"organization": organization.slug, "name": "Nightly import", "scopes": ["write"], "role": Role.BOOKKEEPER},
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["key"].startswith(f"kon_{body['prefix']}_")
    assert body["scopes"] == ["read", "write"]  # writing implies reading
    assert body["created_by"] == admin.email
    assert response["Cache-Control"] == "no-store"
    stored = ApiKey.objects.get(pk=body["id"])
    assert stored.key_hash == tokens.hash_secret(body["key"])
    assert AuditLog.objects.filter(action="api_key.create", organization=organization, actor=admin).exists()

    listed = as_user(admin).get(KEYS_URL).json()["results"]
    detail = as_user(admin).get(f"{KEYS_URL}{body['id']}/").json()
    assert [item["id"] for item in listed] == [body["id"]]
    assert "key" not in listed[0]
    assert "key" not in detail
    assert "key_hash" not in detail


def test_a_member_without_the_power_cannot_create_keys(organization, member_of):
    bookkeeper = member_of(organization, role=Role.BOOKKEEPER)

    response = as_user(bookkeeper).post(KEYS_URL, {"organization": organization.slug, "name": "x"}, format="json")

    assert response.status_code == 403
    assert not ApiKey.objects.exists()


def test_keys_are_created_only_where_the_user_manages_them(organization, other_organization, member_of):
    admin = member_of(organization, role=Role.ADMIN)
    MembershipFactory(user=admin, organization=other_organization, role=Role.VIEWER)

    response = as_user(admin).post(KEYS_URL, {"organization": other_organization.slug, "name": "x"}, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["organization"]


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"scopes": ["delete"]}, {"scopes.0"}),
        ({"scopes": []}, {"scopes"}),
        ({"name": "  "}, {"name"}),
        ({"expires_at": "yesterday"}, {"expires_at"}),
        ({"expires_at": "2001-01-01T00:00:00Z"}, {"expires_at"}),
    ],
)
def test_invalid_key_fields_are_named(organization, member_of, fields, named):
    admin = member_of(organization, role=Role.ADMIN)

    response = as_user(admin).post(KEYS_URL, {"organization": organization.slug, "name": "x", **fields}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert set(response.json()["error"]["fields"]) == named
    assert not ApiKey.objects.exists()


def test_only_an_owner_creates_a_key_acting_as_owner(organization, member_of):
    admin = member_of(organization, role=Role.ADMIN)

    response = as_user(admin).post(
        KEYS_URL, {"organization": organization.slug, "name": "x", "role": Role.OWNER}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["role"]


def test_an_api_key_cannot_create_keys(organization):
    _key, plain = make_key(organization, scopes=["read", "write"], role=Role.ADMIN)

    response = with_key(plain).post(KEYS_URL, {"organization": organization.slug, "name": "x"}, format="json")

    assert response.status_code == 403
    assert ApiKey.objects.count() == 1
    with pytest.raises(PermissionDenied):
        make_key(organization, by=tokens.api_key_authenticate(plain))


# --- revoking ---------------------------------------------------------------------------------------------


def test_an_admin_revokes_a_key_and_it_stops_working(organization, member_of):
    admin = member_of(organization, role=Role.ADMIN)
    api_key, plain = make_key(organization)
    assert with_key(plain).get("/api/v1/organizations/").status_code == 200

    response = as_user(admin).post(f"{KEYS_URL}{api_key.pk}/revoke/")

    assert response.status_code == 200
    assert response.json()["revoked_at"] is not None
    assert response.json()["is_active"] is False
    refused = with_key(plain).get("/api/v1/organizations/")
    assert refused.status_code == 401
    assert error_code(refused) == "api_key_revoked"
    assert AuditLog.objects.filter(action="api_key.revoke", object_id=str(api_key.pk)).count() == 1
    # Revoking again changes nothing.
    assert as_user(admin).post(f"{KEYS_URL}{api_key.pk}/revoke/").status_code == 200
    assert AuditLog.objects.filter(action="api_key.revoke", object_id=str(api_key.pk)).count() == 1


def test_a_viewer_cannot_revoke_keys(organization, member_of):
    viewer = member_of(organization, role=Role.VIEWER)
    api_key, _plain = make_key(organization)

    response = as_user(viewer).post(f"{KEYS_URL}{api_key.pk}/revoke/")

    assert response.status_code == 403
    api_key.refresh_from_db()
    assert api_key.revoked_at is None


def test_another_organizations_key_is_not_found(organization, other_organization, member_of):
    admin = member_of(organization, role=Role.ADMIN)
    foreign, _plain = make_key(other_organization)

    assert as_user(admin).get(f"{KEYS_URL}{foreign.pk}/").status_code == 404
    assert as_user(admin).post(f"{KEYS_URL}{foreign.pk}/revoke/").status_code == 404
    foreign.refresh_from_db()
    assert foreign.revoked_at is None


def test_keys_filter_by_revoked(organization, member_of):
    admin = member_of(organization, role=Role.ADMIN)
    live, _ = make_key(organization, name="live")
    dead, _ = make_key(organization, name="dead")
    tokens.api_key_revoke(api_key=dead, by=admin)

    revoked = as_user(admin).get(KEYS_URL, {"revoked": "true"}).json()["results"]
    active = as_user(admin).get(KEYS_URL, {"revoked": "false"}).json()["results"]

    assert [item["id"] for item in revoked] == [dead.pk]
    assert [item["id"] for item in active] == [live.pk]


# --- authenticating with a key ----------------------------------------------------------------------------


def test_a_key_sees_only_its_organization(organization, other_organization, member_of):
    member_of(other_organization)
    _key, plain = make_key(organization)

    response = with_key(plain).get("/api/v1/organizations/")

    assert response.status_code == 200
    assert [item["slug"] for item in response.json()["results"]] == [organization.slug]


def test_a_read_only_key_acts_as_a_viewer_whatever_its_role(organization):
    api_key, plain = make_key(organization, scopes=["read"], role=Role.BOOKKEEPER)
    principal = tokens.api_key_authenticate(plain)

    assert memberships(principal) == {organization.pk: Role.VIEWER}
    assert not has_power(principal, "write:ledger", organization.pk)
    assert principal.is_authenticated
    assert principal.is_active
    assert not principal.is_superuser
    assert principal.pk is None
    assert principal.throttle_ident == f"apikey:{api_key.pk}"


def test_a_write_key_has_the_powers_of_its_role_in_its_organization_only(organization, other_organization):
    _key, plain = make_key(organization, scopes=["read", "write"], role=Role.BOOKKEEPER)
    principal = tokens.api_key_authenticate(plain)

    assert has_power(principal, "write:ledger", organization.pk)
    assert not has_power(principal, "write:analytics", organization.pk)
    assert not has_power(principal, "write:ledger", other_organization.pk)


def test_a_key_cannot_change_members_whatever_its_role(organization, member_of):
    member = member_of(organization, role=Role.VIEWER)
    _key, plain = make_key(organization, scopes=["read", "write"], role=Role.ADMIN)
    membership = member.memberships.get()

    response = with_key(plain).patch(f"/api/v1/memberships/{membership.pk}/", {"role": "admin"}, format="json")

    assert response.status_code == 403
    membership.refresh_from_db()
    assert membership.role == Role.VIEWER


def test_a_key_is_not_a_person(organization):
    _key, plain = make_key(organization)

    response = with_key(plain).get("/api/v1/users/me/")

    assert response.status_code == 403


def test_an_expired_key_is_refused(organization):
    api_key, plain = make_key(organization, expires_at=timezone.now() + timedelta(hours=1))
    ApiKey.objects.filter(pk=api_key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = with_key(plain).get("/api/v1/organizations/")

    assert response.status_code == 401
    assert error_code(response) == "api_key_expired"


@pytest.mark.parametrize("raw", ["kon_nope_nope", "not-a-key", "kon_" + "0" * 12 + "_guess"])
def test_an_unknown_key_is_refused(organization, raw):
    make_key(organization)

    response = with_key(raw).get("/api/v1/organizations/")

    assert response.status_code == 401
    assert error_code(response) == "api_key_invalid"


def test_last_used_is_written_at_most_once_a_minute(organization, django_assert_num_queries):
    api_key, plain = make_key(organization)

    tokens.api_key_authenticate(plain)
    api_key.refresh_from_db()
    first = api_key.last_used_at
    with django_assert_num_queries(1):  # the lookup only, no write
        tokens.api_key_authenticate(plain)
    api_key.refresh_from_db()
    assert api_key.last_used_at == first

    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=timezone.now() - timedelta(minutes=2))
    tokens.api_key_authenticate(plain)
    api_key.refresh_from_db()
    assert api_key.last_used_at > first - timedelta(seconds=1)
    assert api_key.last_used_at > timezone.now() - timedelta(seconds=30)
