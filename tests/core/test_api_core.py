"""The core endpoints: organizations, memberships, the current user, currencies and the audit log, with the
API's error shape, query budgets and throttling."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.settings import api_settings
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from apps.core.accounts import tokens
from apps.core.accounts.roles import Role
from apps.core.mechanisms.audit import audit_record
from apps.core.models import AuditLog, Membership
from tests.core.factories import MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def as_user(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.access_token_issue(user=user, family=uuid.uuid4())}")
    return client


def error_of(response) -> dict:
    return response.json()["error"]


# --- organizations ----------------------------------------------------------------------------------------


def test_members_list_their_organizations_with_their_role(organization, other_organization, member_of):
    analyst = member_of(organization, role=Role.ANALYST)

    response = as_user(analyst).get("/api/v1/organizations/")

    assert response.status_code == 200
    results = response.json()["results"]
    assert [(item["slug"], item["role"]) for item in results] == [(organization.slug, Role.ANALYST)]


def test_an_owner_changes_the_settings_through_the_service(organization, member_of):
    owner = member_of(organization, role=Role.OWNER)

    response = as_user(owner).patch(
        f"/api/v1/organizations/{organization.pk}/",
        {"name": "Renamed", "time_zone": "Asia/Yekaterinburg", "reporting_currency": "USD", "slug": "ignored"},
        format="json",
    )

    assert response.status_code == 200, response.content
    organization.refresh_from_db()
    assert (organization.name, organization.time_zone, organization.reporting_currency_id) == (
        "Renamed",
        "Asia/Yekaterinburg",
        "USD",
    )
    assert organization.slug != "ignored"  # read-only: integrations name organizations by it
    record = AuditLog.objects.get(action="organization.update", organization=organization)
    assert record.actor == owner
    assert record.changes["name"][1] == "Renamed"


def test_a_bookkeeper_cannot_change_the_settings(organization, member_of):
    bookkeeper = member_of(organization, role=Role.BOOKKEEPER)

    response = as_user(bookkeeper).patch(f"/api/v1/organizations/{organization.pk}/", {"name": "x"}, format="json")

    assert response.status_code == 403
    assert error_of(response)["code"] == "permission_denied"


def test_a_bad_setting_is_named(organization, member_of):
    owner = member_of(organization)

    response = as_user(owner).patch(
        f"/api/v1/organizations/{organization.pk}/",
        {"time_zone": "Mars/Olympus", "reporting_currency": "XXX"},
        format="json",
    )

    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert set(error["fields"]) == {"time_zone", "reporting_currency"}


def test_another_organization_is_not_found_even_for_writes(organization, other_organization, member_of):
    owner = member_of(organization)

    for method in ("get", "patch", "put"):
        response = getattr(as_user(owner), method)(
            f"/api/v1/organizations/{other_organization.pk}/", {"name": "x"}, format="json"
        )
        assert response.status_code == 404, method
        assert error_of(response)["code"] == "not_found"


def test_organizations_are_not_created_through_the_api(member_of, organization):
    response = as_user(member_of(organization)).post("/api/v1/organizations/", {"name": "x"}, format="json")

    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


# --- memberships ------------------------------------------------------------------------------------------


def test_an_owner_adds_an_existing_user_by_email(organization, member_of):
    owner = member_of(organization)
    newcomer = UserFactory(email="newcomer@example.com")

    response = as_user(owner).post(
        "/api/v1/memberships/",
        {"organization": organization.slug, "email": "Newcomer@Example.com", "role": Role.ANALYST},
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["user"]["email"] == newcomer.email
    assert body["role"] == Role.ANALYST
    assert body["organization"] == organization.slug
    assert AuditLog.objects.filter(action="membership.add", organization=organization, actor=owner).exists()


def test_adding_an_unknown_email_names_the_field(organization, member_of):
    owner = member_of(organization)

    response = as_user(owner).post(
        "/api/v1/memberships/", {"organization": organization.slug, "email": "nobody@example.com"}, format="json"
    )

    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["email"]


def test_adding_an_existing_member_names_the_field(organization, member_of):
    owner = member_of(organization)
    member = member_of(organization, role=Role.VIEWER)

    response = as_user(owner).post(
        "/api/v1/memberships/", {"organization": organization.slug, "email": member.email}, format="json"
    )

    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["email"]
    assert "already a member" in error_of(response)["fields"]["email"][0]


def test_members_are_added_only_where_the_user_manages_them(organization, other_organization, member_of):
    owner = member_of(organization)
    MembershipFactory(user=owner, organization=other_organization, role=Role.VIEWER)
    newcomer = UserFactory()

    response = as_user(owner).post(
        "/api/v1/memberships/", {"organization": other_organization.slug, "email": newcomer.email}, format="json"
    )

    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["organization"]
    assert not Membership.objects.filter(user=newcomer).exists()


def test_a_viewer_cannot_add_members(organization, member_of):
    viewer = member_of(organization, role=Role.VIEWER)

    response = as_user(viewer).post(
        "/api/v1/memberships/", {"organization": organization.slug, "email": UserFactory().email}, format="json"
    )

    assert response.status_code == 403


def test_an_owner_changes_a_role(organization, member_of):
    owner = member_of(organization)
    member = member_of(organization, role=Role.VIEWER)
    membership = member.memberships.get()

    response = as_user(owner).patch(f"/api/v1/memberships/{membership.pk}/", {"role": Role.BOOKKEEPER}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["role"] == Role.BOOKKEEPER
    assert response.json()["user"]["email"] == member.email
    membership.refresh_from_db()
    assert membership.role == Role.BOOKKEEPER


def test_an_unknown_role_is_named(organization, member_of):
    owner = member_of(organization)
    membership = member_of(organization, role=Role.VIEWER).memberships.get()

    response = as_user(owner).patch(f"/api/v1/memberships/{membership.pk}/", {"role": "emperor"}, format="json")

    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["role"]


def test_the_last_owner_cannot_be_removed(organization, member_of):
    owner = member_of(organization)
    membership = owner.memberships.get()

    response = as_user(owner).delete(f"/api/v1/memberships/{membership.pk}/")

    assert response.status_code == 400
    assert "owner" in error_of(response)["message"]
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_an_owner_removes_a_member(organization, member_of):
    owner = member_of(organization)
    membership = member_of(organization, role=Role.VIEWER).memberships.get()

    response = as_user(owner).delete(f"/api/v1/memberships/{membership.pk}/")

    assert response.status_code == 204
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert AuditLog.objects.filter(action="membership.remove", organization=organization).exists()


def test_memberships_filter_by_organization_and_role(organization, other_organization, member_of):
    owner = member_of(organization)
    MembershipFactory(user=owner, organization=other_organization, role=Role.OWNER)
    member_of(organization, role=Role.ANALYST)
    member_of(other_organization, role=Role.ANALYST)

    response = as_user(owner).get("/api/v1/memberships/", {"organization": organization.slug, "role": "analyst"})

    results = response.json()["results"]
    assert [(item["organization"], item["role"]) for item in results] == [(organization.slug, Role.ANALYST)]


def test_the_memberships_list_runs_a_fixed_number_of_queries(django_assert_num_queries):
    small, large = OrganizationFactory(), OrganizationFactory()
    reader_of_small, reader_of_large = UserFactory(), UserFactory()
    MembershipFactory(organization=small, user=reader_of_small)
    MembershipFactory(organization=large, user=reader_of_large)
    MembershipFactory.create_batch(19, organization=large, role=Role.VIEWER)

    # The user, the revocation check of a fresh login, the user's memberships, the count and the page.
    with django_assert_num_queries(5):
        response = as_user(reader_of_small).get("/api/v1/memberships/")
    assert response.json()["count"] == 1
    with django_assert_num_queries(5):
        response = as_user(reader_of_large).get("/api/v1/memberships/")
    assert response.json()["count"] == 20


def test_a_user_ordering_still_ends_with_a_unique_key(organization, member_of):
    owner = member_of(organization)
    for _index in range(3):
        member_of(organization, role=Role.VIEWER)

    with CaptureQueriesContext(connection) as queries:
        as_user(owner).get("/api/v1/memberships/", {"ordering": "role"})

    page_query = queries.captured_queries[-1]["sql"]
    assert page_query.rstrip().split("ORDER BY")[1].strip().startswith('"core_membership"."role" ASC')
    assert '"core_membership"."id" ASC' in page_query.split("ORDER BY")[1]


# --- the current user -------------------------------------------------------------------------------------


def test_me_shows_the_user_and_their_memberships(organization, other_organization, member_of):
    user = member_of(organization, role=Role.BOOKKEEPER)
    MembershipFactory(user=user, organization=other_organization, role=Role.VIEWER)

    response = as_user(user).get("/api/v1/users/me/")

    assert response.status_code == 200
    body = response.json()
    assert body["email"] == user.email
    assert {(item["organization"]["slug"], item["role"]) for item in body["memberships"]} == {
        (organization.slug, Role.BOOKKEEPER),
        (other_organization.slug, Role.VIEWER),
    }


def test_me_works_for_a_user_without_organizations():
    user = UserFactory()

    response = as_user(user).get("/api/v1/users/me/")

    assert response.status_code == 200
    assert response.json()["memberships"] == []


# --- currencies -------------------------------------------------------------------------------------------


def test_currencies_are_listed_for_members(organization, member_of):
    response = as_user(member_of(organization, role=Role.VIEWER)).get("/api/v1/currencies/", {"page_size": 500})

    codes = [item["code"] for item in response.json()["results"]]
    assert {"RUB", "USD", "BTC"} <= set(codes)
    assert codes == sorted(codes)


def test_a_currency_is_read_by_its_code(organization, member_of):
    response = as_user(member_of(organization)).get("/api/v1/currencies/BTC/")

    assert response.status_code == 200
    assert response.json()["precision"] == 8


def test_currencies_are_read_only(organization, member_of):
    response = as_user(member_of(organization)).post("/api/v1/currencies/", {"code": "ABC"}, format="json")

    assert response.status_code == 405


# --- the audit log ----------------------------------------------------------------------------------------


def test_the_audit_log_shows_only_the_users_organizations(organization, other_organization, member_of):
    viewer = member_of(organization, role=Role.VIEWER)
    mine = audit_record(action="test.mine", organization=organization)
    audit_record(action="test.theirs", organization=other_organization)
    audit_record(action="test.global")

    response = as_user(viewer).get("/api/v1/audit-log/")

    ids = [item["id"] for item in response.json()["results"]]
    assert ids == [mine.pk]
    assert as_user(viewer).get(f"/api/v1/audit-log/{mine.pk + 1}/").status_code == 404


def test_the_audit_log_filters_by_action_organization_and_time(organization, other_organization, member_of):
    owner = member_of(organization)
    MembershipFactory(user=owner, organization=other_organization, role=Role.OWNER)
    old = audit_record(action="membership.add", organization=organization)
    AuditLog.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=10))
    recent = audit_record(action="membership.add", organization=organization)
    audit_record(action="membership.remove", organization=organization)
    audit_record(action="membership.add", organization=other_organization)
    client = as_user(owner)

    def ids(**query):
        return [item["id"] for item in client.get("/api/v1/audit-log/", query).json()["results"]]

    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert ids(action="membership.add", organization=organization.slug, created_after=since) == [recent.pk]
    assert ids(action="membership.add", organization=organization.slug, created_before=since) == [old.pk]
    assert len(ids(action_prefix="membership.", organization=organization.slug)) == 3


def test_a_bad_date_filter_is_named(organization, member_of):
    response = as_user(member_of(organization)).get("/api/v1/audit-log/", {"created_after": "last tuesday"})

    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["created_after"]


def test_the_audit_log_is_read_only(organization, member_of):
    response = as_user(member_of(organization)).post("/api/v1/audit-log/", {"action": "x"}, format="json")

    assert response.status_code == 405


# --- errors and throttling --------------------------------------------------------------------------------


def test_without_credentials_every_endpoint_answers_401():
    for path in ("/api/v1/organizations/", "/api/v1/memberships/", "/api/v1/audit-log/", "/api/v1/api-keys/"):
        response = APIClient().get(path)
        assert response.status_code == 401, path
        assert error_of(response)["code"] == "not_authenticated"
        assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_user_without_organizations_is_refused_the_data():
    response = as_user(UserFactory()).get("/api/v1/memberships/")

    assert response.status_code == 403
    assert error_of(response)["code"] == "permission_denied"


def test_session_requests_need_the_csrf_token_for_writes(organization, member_of):
    owner = member_of(organization)
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(owner)

    assert client.get("/api/v1/organizations/").status_code == 200
    response = client.patch(f"/api/v1/organizations/{organization.pk}/", {"name": "x"}, format="json")
    assert response.status_code == 403
    assert "CSRF" in error_of(response)["message"]


def test_too_many_requests_answer_429_with_retry_after(organization, member_of, monkeypatch):
    # DRF reads the rates once, into a class attribute: patch it there (the counting itself is real Redis).
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {**api_settings.DEFAULT_THROTTLE_RATES, "user": "2/min"})
    client = as_user(member_of(organization))

    statuses = [client.get("/api/v1/organizations/").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    response = client.get("/api/v1/organizations/")
    error = error_of(response)
    assert error["code"] == "throttled"
    assert 0 < error["retry_after"] <= 60
    assert int(response["Retry-After"]) == error["retry_after"]


def test_api_keys_are_throttled_apart_from_their_creator(organization, member_of, monkeypatch):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {**api_settings.DEFAULT_THROTTLE_RATES, "user": "1/min"})
    admin = member_of(organization, role=Role.ADMIN)
    _key, plain = tokens.api_key_create(organization=organization, name="x", scopes=["read"], by=admin)
    key_client = APIClient()
    key_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {plain}")

    assert as_user(admin).get("/api/v1/organizations/").status_code == 200
    assert key_client.get("/api/v1/organizations/").status_code == 200
    assert key_client.get("/api/v1/organizations/").status_code == 429


def test_the_token_endpoint_is_throttled_per_address(monkeypatch):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {**api_settings.DEFAULT_THROTTLE_RATES, "token": "2/min"})
    client = APIClient()

    statuses = [
        client.post("/api/v1/auth/token/refresh/", {"refresh": "x"}, format="json").status_code for _ in range(3)
    ]

    assert statuses == [401, 401, 429]


def test_service_permission_errors_keep_the_shape(organization, member_of):
    # A rule enforced only in the service still answers in the API's shape.
    admin = member_of(organization, role=Role.ADMIN)
    owner_membership = member_of(organization, role=Role.OWNER).memberships.get()

    response = as_user(admin).patch(f"/api/v1/memberships/{owner_membership.pk}/", {"role": Role.VIEWER}, format="json")

    assert response.status_code == 403
    assert error_of(response)["code"] == "permission_denied"
    assert "owner" in error_of(response)["message"]
