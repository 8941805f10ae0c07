"""Signing in to the API: access tokens, rotating refresh tokens, two-factor codes, the lockout."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.conf import settings
from django.test import override_settings
from rest_framework.test import APIClient

from apps.core.accounts import tokens
from apps.core.accounts.roles import Role
from apps.core.models import AuditLog, RefreshToken
from tests.core.factories import DEFAULT_PASSWORD, UserFactory
from tests.helpers import run_in_threads

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
REFRESH_URL = "/api/v1/auth/token/refresh/"
REVOKE_URL = "/api/v1/auth/token/revoke/"
ME_URL = "/api/v1/users/me/"


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def member(organization, member_of):
    return member_of(organization, role=Role.BOOKKEEPER)


def sign_in(api, user, **extra):
    return api.post(TOKEN_URL, {"email": user.email, "password": DEFAULT_PASSWORD, **extra}, format="json")


def as_bearer(api, access: str) -> APIClient:
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return api


def current_totp(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def error_code(response) -> str:
    return response.json()["error"]["code"]


# --- signing in -------------------------------------------------------------------------------------------


def test_sign_in_returns_a_bearer_pair_that_opens_the_api(api, member):
    response = sign_in(api, member)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["access_expires_in"] == int(settings.API_ACCESS_TOKEN_LIFETIME.total_seconds())
    assert response["Cache-Control"] == "no-store"
    me = as_bearer(APIClient(), body["access"]).get(ME_URL)
    assert me.status_code == 200
    assert me.json()["email"] == member.email


def test_only_the_hash_of_a_refresh_token_is_stored(api, member):
    refresh = sign_in(api, member).json()["refresh"]

    stored = RefreshToken.objects.get(user=member)
    assert stored.token_hash == tokens.hash_secret(refresh)
    assert refresh not in stored.token_hash


def test_sign_in_is_audited_and_updates_last_login(api, member):
    sign_in(api, member)

    member.refresh_from_db()
    assert member.last_login is not None
    assert AuditLog.objects.filter(action="auth.token_obtain", actor=member).exists()


def test_the_email_is_matched_whatever_its_case(api, member):
    response = api.post(TOKEN_URL, {"email": member.email.upper(), "password": DEFAULT_PASSWORD}, format="json")

    assert response.status_code == 200


def test_a_wrong_password_is_refused(api, member):
    response = api.post(TOKEN_URL, {"email": member.email, "password": "wrong password"}, format="json")

    assert response.status_code == 401
    assert error_code(response) == "invalid_credentials"


def test_missing_fields_are_named(api):
    response = api.post(TOKEN_URL, {"email": "not an address"}, format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert set(error["fields"]) == {"email", "password"}


def test_an_unverified_email_is_refused(api, organization, member_of):
    user = member_of(organization, verified=False)

    response = sign_in(api, user)

    assert response.status_code == 403
    assert error_code(response) == "email_unverified"


def test_an_inactive_user_is_refused(api, member):
    member.is_active = False
    member.save()

    assert error_code(sign_in(api, member)) == "invalid_credentials"


def test_the_lockout_answers_429_after_too_many_failures(api, member):
    # Counted and decided by django-axes through authenticate(); the 429 JSON comes from the lockout handler.
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        response = api.post(TOKEN_URL, {"email": member.email, "password": "wrong password"}, format="json")
        assert response.status_code == 401

    api.post(TOKEN_URL, {"email": member.email, "password": "wrong password"}, format="json")
    response = sign_in(api, member)  # even the right password, now

    assert response.status_code == 429
    assert error_code(response) == "locked_out"
    assert not RefreshToken.objects.filter(user=member).exists()


# --- two-factor authentication ----------------------------------------------------------------------------


@pytest.fixture
def totp_secret(member):
    secret = generate_totp_secret()
    TOTP.activate(member, secret)
    return secret


def test_with_an_authenticator_the_code_is_required(api, member, totp_secret):
    response = sign_in(api, member)

    assert response.status_code == 401
    assert error_code(response) == "otp_required"


def test_with_an_authenticator_a_current_code_signs_in(api, member, totp_secret):
    response = sign_in(api, member, otp=current_totp(totp_secret))

    assert response.status_code == 200, response.content


def test_a_code_works_once(api, member, totp_secret):
    code = current_totp(totp_secret)
    assert sign_in(api, member, otp=code).status_code == 200

    response = sign_in(api, member, otp=code)

    assert error_code(response) == "otp_invalid"


def test_a_wrong_code_is_refused_and_counts_towards_the_lockout(api, member, totp_secret):
    from axes.models import AccessAttempt

    response = sign_in(api, member, otp="000000" if current_totp(totp_secret) != "000000" else "111111")

    assert response.status_code == 401
    assert error_code(response) == "otp_invalid"
    assert AccessAttempt.objects.filter(username=member.email).exists()


def test_a_recovery_code_signs_in_once(api, member, totp_secret):
    code = RecoveryCodes.activate(member).generate_codes()[0]

    assert sign_in(api, member, otp=code).status_code == 200
    assert error_code(sign_in(api, member, otp=code)) == "otp_invalid"


def test_an_organization_requiring_mfa_refuses_members_without_an_authenticator(api, organization, member):
    organization.require_mfa = True
    organization.save()

    response = sign_in(api, member)

    assert response.status_code == 403
    assert error_code(response) == "mfa_required"
    assert organization.name in response.json()["error"]["message"]


def test_an_organization_requiring_mfa_admits_members_with_an_authenticator(api, organization, member, totp_secret):
    organization.require_mfa = True
    organization.save()

    assert sign_in(api, member, otp=current_totp(totp_secret)).status_code == 200


def test_a_login_cannot_be_refreshed_past_a_new_mfa_requirement(api, organization, member):
    refresh = sign_in(api, member).json()["refresh"]
    organization.require_mfa = True
    organization.save()

    response = api.post(REFRESH_URL, {"refresh": refresh}, format="json")

    assert response.status_code == 403
    assert error_code(response) == "mfa_required"


# --- refresh rotation -------------------------------------------------------------------------------------


def test_refresh_rotates_the_pair(api, member):
    first = sign_in(api, member).json()

    response = api.post(REFRESH_URL, {"refresh": first["refresh"]}, format="json")

    assert response.status_code == 200
    second = response.json()
    assert second["refresh"] != first["refresh"]
    assert as_bearer(APIClient(), second["access"]).get(ME_URL).status_code == 200
    old = RefreshToken.objects.get(token_hash=tokens.hash_secret(first["refresh"]))
    new = RefreshToken.objects.get(token_hash=tokens.hash_secret(second["refresh"]))
    assert old.used_at is not None
    assert new.family == old.family


def test_reusing_a_refresh_token_revokes_the_whole_login(api, member):
    first = sign_in(api, member).json()
    second = api.post(REFRESH_URL, {"refresh": first["refresh"]}, format="json").json()

    replay = api.post(REFRESH_URL, {"refresh": first["refresh"]}, format="json")

    assert replay.status_code == 401
    assert error_code(replay) == "token_reused"
    # The thief's and the owner's tokens of that login all stop working.
    assert error_code(api.post(REFRESH_URL, {"refresh": second["refresh"]}, format="json")) == "token_revoked"
    for access in (first["access"], second["access"]):
        response = as_bearer(APIClient(), access).get(ME_URL)
        assert response.status_code == 401
        assert error_code(response) == "token_revoked"
    assert AuditLog.objects.filter(action="auth.token_reuse", actor=member).exists()


def test_reuse_revokes_only_that_login(api, member):
    other_login = sign_in(api, member).json()
    first = sign_in(api, member).json()
    api.post(REFRESH_URL, {"refresh": first["refresh"]}, format="json")

    api.post(REFRESH_URL, {"refresh": first["refresh"]}, format="json")

    assert as_bearer(APIClient(), other_login["access"]).get(ME_URL).status_code == 200
    assert api.post(REFRESH_URL, {"refresh": other_login["refresh"]}, format="json").status_code == 200


def test_an_unknown_refresh_token_is_refused(api):
    response = api.post(REFRESH_URL, {"refresh": "made-up"}, format="json")

    assert response.status_code == 401
    assert error_code(response) == "token_invalid"


def test_an_expired_refresh_token_is_refused(api, member):
    refresh = sign_in(api, member).json()["refresh"]
    RefreshToken.objects.update(expires_at=RefreshToken.objects.get().created_at - timedelta(seconds=1))

    response = api.post(REFRESH_URL, {"refresh": refresh}, format="json")

    assert response.status_code == 401
    assert error_code(response) == "token_expired"


# Real parallel connections need committed rows (the suite's conftest restores the seeded currencies).
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_refreshes_of_one_token_do_not_both_succeed(organization, member_of):
    user = member_of(organization)
    pair = tokens.token_pair_issue(user=user)
    family = RefreshToken.objects.get(token_hash=tokens.hash_secret(pair.refresh)).family

    def refresh(_worker):
        try:
            tokens.token_refresh(refresh=pair.refresh)
        except tokens.AuthError as error:
            return error.code
        return "ok"

    outcomes = run_in_threads(refresh, 2)

    assert sorted(outcomes) == ["ok", "token_reused"]
    # The loser's reuse alarm revoked the login, including the winner's new refresh token.
    assert not RefreshToken.objects.filter(family=family, revoked_at__isnull=True).exists()


# --- logout -----------------------------------------------------------------------------------------------


def test_revoke_logs_out_the_refresh_and_access_tokens(api, member):
    pair = sign_in(api, member).json()

    response = api.post(REVOKE_URL, {"refresh": pair["refresh"]}, format="json")

    assert response.status_code == 204
    assert error_code(api.post(REFRESH_URL, {"refresh": pair["refresh"]}, format="json")) == "token_revoked"
    assert error_code(as_bearer(APIClient(), pair["access"]).get(ME_URL)) == "token_revoked"
    assert api.post(REVOKE_URL, {"refresh": pair["refresh"]}, format="json").status_code == 204


def test_a_revocation_is_seen_even_after_the_family_was_cached_as_live(api, member, django_capture_on_commit_callbacks):
    pair = sign_in(api, member).json()
    assert as_bearer(APIClient(), pair["access"]).get(ME_URL).status_code == 200  # caches "not revoked"

    with django_capture_on_commit_callbacks(execute=True):  # the cache learns of it on commit
        api.post(REVOKE_URL, {"refresh": pair["refresh"]}, format="json")

    assert as_bearer(APIClient(), pair["access"]).get(ME_URL).status_code == 401


# --- access tokens ----------------------------------------------------------------------------------------


def test_an_access_token_expires(member):
    with override_settings(API_ACCESS_TOKEN_LIFETIME=timedelta(seconds=-1)):
        access = tokens.access_token_issue(user=member, family=uuid.uuid4())

    response = as_bearer(APIClient(), access).get(ME_URL)

    assert response.status_code == 401
    assert error_code(response) == "token_expired"


def test_a_tampered_access_token_is_refused(member):
    access = tokens.access_token_issue(user=member, family=uuid.uuid4())
    _payload, signature = access.rsplit(":", 1)
    other = tokens.access_token_issue(user=UserFactory(), family=uuid.uuid4())

    response = as_bearer(APIClient(), f"{other.rsplit(':', 1)[0]}:{signature}").get(ME_URL)

    assert response.status_code == 401
    assert error_code(response) == "token_invalid"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_an_access_token_of_a_deactivated_user_is_refused(member):
    access = tokens.access_token_issue(user=member, family=uuid.uuid4())
    member.is_active = False
    member.save()

    assert error_code(as_bearer(APIClient(), access).get(ME_URL)) == "token_invalid"


def test_checking_an_access_token_reads_no_token_row(member, django_assert_num_queries):
    access = tokens.access_token_issue(user=member, family=uuid.uuid4())
    client = as_bearer(APIClient(), access)
    client.get(ME_URL)  # the first use looks the family up once, then the cache answers

    # The user, and the user with their memberships for the answer.
    with django_assert_num_queries(3):
        assert client.get(ME_URL).status_code == 200


def test_a_malformed_authorization_header_is_refused(api):
    api.credentials(HTTP_AUTHORIZATION="Bearer")

    response = api.get(ME_URL)

    assert response.status_code == 401
    assert error_code(response) == "credentials_malformed"


def test_no_credentials_answer_401(api):
    response = api.get(ME_URL)

    assert response.status_code == 401
    assert error_code(response) == "not_authenticated"
    assert "message" in response.json()["error"]


# --- ending logins when the account changes ---------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_new_password_ends_every_api_login(api, member):
    pair = sign_in(api, member).json()

    member.set_password("a brand new passphrase 2026")
    member.save()

    assert error_code(api.post(REFRESH_URL, {"refresh": pair["refresh"]}, format="json")) in {
        "token_revoked",
        "token_invalid",
    }
    assert as_bearer(APIClient(), pair["access"]).get(ME_URL).status_code == 401


@pytest.mark.django_db(transaction=True)
def test_deactivating_a_user_ends_their_api_logins(api, member):
    pair = sign_in(api, member).json()

    member.is_active = False
    member.save()

    assert api.post(REFRESH_URL, {"refresh": pair["refresh"]}, format="json").status_code == 401


def test_saving_a_user_without_credential_changes_keeps_their_login(api, member):
    pair = sign_in(api, member).json()

    member.first_name = "Renamed"
    member.save()

    assert api.post(REFRESH_URL, {"refresh": pair["refresh"]}, format="json").status_code == 200
