"""Two-factor authentication: setting up an authenticator app, the sign-in code step, and the organization
rule that holds members to setting it up (OrganizationMfaMiddleware)."""

from __future__ import annotations

import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, modify_settings
from django.urls import reverse
from django.utils import translation

from tests.core.factories import DEFAULT_PASSWORD, UserFactory

MIDDLEWARE = "apps.core.operations.middleware.OrganizationMfaMiddleware"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def code_for(secret: str, *, offset: int = 0) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30 + offset))


def add_totp(user) -> str:
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def sign_in(client, user, secret: str | None = None):
    """Sign in through the forms (so allauth records a fresh authentication), with the code if asked."""
    response = client.post(reverse("account_login"), {"login": user.email, "password": DEFAULT_PASSWORD})
    if secret is not None:
        assert response["Location"] == reverse("mfa_authenticate")
        response = client.post(reverse("mfa_authenticate"), {"code": code_for(secret)})
    assert "_auth_user_id" in client.session
    return response


def confirm_password(client):
    """Setting up or removing an authenticator asks for the password again (allauth's reauthentication)."""
    response = client.post(reverse("account_reauthenticate"), {"password": DEFAULT_PASSWORD})
    assert response.status_code == 302


@pytest.fixture
def strict_organization(organization):
    organization.name = "Acme Books"
    organization.require_mfa = True
    organization.save()
    return organization


def query_count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return len(queries)


# --- Setting it up and signing in with it ------------------------------------------------------------


def test_activation_asks_for_the_password_first(client):
    sign_in(client, UserFactory())

    response = client.get(reverse("mfa_activate_totp"))

    assert response["Location"].startswith(reverse("account_reauthenticate"))


def test_activation_page_shows_a_qr_code_and_the_secret(client):
    sign_in(client, UserFactory())
    confirm_password(client)

    response = client.get(reverse("mfa_activate_totp"))

    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="qr-code" src="data:image/svg+xml;base64,' in page
    assert client.session["mfa.totp.secret"] in page
    assert 'name="code"' in page


def test_activating_the_app_leads_to_the_recovery_codes(client):
    user = UserFactory()
    sign_in(client, user)
    confirm_password(client)
    client.get(reverse("mfa_activate_totp"))
    secret = client.session["mfa.totp.secret"]

    response = client.post(reverse("mfa_activate_totp"), {"code": code_for(secret)}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("mfa_view_recovery_codes")
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    assert 'id="recovery_codes"' in response.content.decode()


def test_a_wrong_code_does_not_activate_the_app(client):
    user = UserFactory()
    sign_in(client, user)
    confirm_password(client)
    client.get(reverse("mfa_activate_totp"))

    response = client.post(reverse("mfa_activate_totp"), {"code": "000000"})

    assert response.status_code == 200
    assert "Incorrect code." in response.content.decode()
    assert not Authenticator.objects.filter(user=user).exists()


def test_signing_in_asks_for_the_code_when_the_app_is_active(client):
    user = UserFactory()
    secret = add_totp(user)

    response = client.post(reverse("account_login"), {"login": user.email, "password": DEFAULT_PASSWORD})

    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    page = client.get(reverse("mfa_authenticate")).content.decode()
    assert 'name="code"' in page
    assert 'class="form narrow"' in page
    client.post(reverse("mfa_authenticate"), {"code": code_for(secret)})
    assert client.session["_auth_user_id"] == str(user.pk)


def test_wrong_sign_in_codes_lock_the_account_like_wrong_passwords(client):
    user = UserFactory()
    secret = add_totp(user)
    client.post(reverse("account_login"), {"login": user.email, "password": DEFAULT_PASSWORD})

    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert response.status_code == 429
    assert "account/lockout.html" in [t.name for t in response.templates]

    # Guessing on is pointless: even the right code is refused now, and so is the password.
    assert client.post(reverse("mfa_authenticate"), {"code": code_for(secret)}).status_code == 429
    assert "_auth_user_id" not in client.session
    fresh = Client()
    assert fresh.post(reverse("account_login"), {"login": user.email, "password": DEFAULT_PASSWORD}).status_code == 429


def test_deactivating_the_app_is_allowed_without_an_organization_rule(client):
    user = UserFactory()
    sign_in(client, user, add_totp(user))
    confirm_password(client)

    response = client.post(reverse("mfa_deactivate_totp"))

    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def test_deactivating_the_app_is_refused_while_an_organization_requires_it(client, strict_organization, member_of):
    user = member_of(strict_organization, role="viewer")
    sign_in(client, user, add_totp(user))
    confirm_password(client)

    page = client.get(reverse("mfa_deactivate_totp")).content.decode()
    response = client.post(reverse("mfa_deactivate_totp"))

    assert "requires two-factor authentication" in page
    assert response.status_code == 200
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


# --- The organization rule ---------------------------------------------------------------------------


def test_member_without_the_app_is_sent_to_set_it_up_and_told_why(client, strict_organization, member_of):
    sign_in(client, member_of(strict_organization, role="bookkeeper"))

    response = client.get(reverse("pages:account"), follow=True)

    assert response.redirect_chain[0][0] == reverse("mfa_activate_totp")
    assert response.status_code == 200
    assert "The organization “Acme Books” requires two-factor authentication." in response.content.decode()


def test_a_member_who_complies_gets_back_to_work(client, strict_organization, member_of):
    user = member_of(strict_organization, role="bookkeeper")
    sign_in(client, user)
    assert client.get(reverse("pages:account"))["Location"] == reverse("mfa_activate_totp")

    confirm_password(client)
    client.get(reverse("mfa_activate_totp"))
    activated = client.post(reverse("mfa_activate_totp"), {"code": code_for(client.session["mfa.totp.secret"])})

    assert activated["Location"] == reverse("mfa_view_recovery_codes")
    assert client.get(reverse("mfa_view_recovery_codes")).status_code == 200
    assert client.get(reverse("pages:account")).status_code == 200


def test_the_admin_is_held_back_too(client, strict_organization, member_of):
    client.force_login(member_of(strict_organization, role="owner"))

    response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_api_requests_with_a_session_get_403_mfa_required(client, strict_organization, member_of):
    client.force_login(member_of(strict_organization))

    response = client.get("/api/v1/")

    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "mfa_required"
    assert "Acme Books" in error["message"]


def test_member_with_the_app_works_normally(client, strict_organization, member_of):
    user = member_of(strict_organization)
    add_totp(user)
    client.force_login(user)

    assert client.get(reverse("pages:account")).status_code == 200
    assert client.get("/api/v1/").status_code == 200


def test_members_of_organizations_without_the_rule_are_not_affected(client, organization, member_of):
    client.force_login(member_of(organization))

    assert client.get(reverse("pages:account")).status_code == 200


def test_a_superuser_who_is_not_a_member_is_not_affected(client, strict_organization):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    assert client.get(reverse("admin:index")).status_code == 200


@pytest.mark.parametrize(
    ("method", "url_name"),
    [
        ("get", "mfa_index"),
        ("get", "mfa_activate_totp"),
        ("get", "account_reauthenticate"),
        ("post", "account_logout"),
        ("post", "set_language"),
        ("get", "healthz"),
    ],
)
def test_pages_needed_to_comply_stay_open(client, strict_organization, member_of, method, url_name):
    client.force_login(member_of(strict_organization))

    response = getattr(client, method)(reverse(url_name), {"language": "ru"} if url_name == "set_language" else {})

    assert response.get("Location") != reverse("mfa_activate_totp")
    assert response.status_code in (200, 302, 503)


def test_static_files_stay_open(client, strict_organization, member_of):
    client.force_login(member_of(strict_organization))

    response = client.get(settings.STATIC_URL + "css/kontora.css")

    assert response.status_code == 200


def test_the_rule_costs_anonymous_requests_no_query(client, db):
    url = reverse("pages:home")
    with_rule = query_count(client, url)
    with modify_settings(MIDDLEWARE={"remove": [MIDDLEWARE]}):
        without_rule = query_count(client, url)

    assert with_rule == without_rule


def test_the_rule_costs_members_at_most_one_query(client, organization, member_of):
    client.force_login(member_of(organization))
    url = reverse("pages:home")
    with_rule = query_count(client, url)
    with modify_settings(MIDDLEWARE={"remove": [MIDDLEWARE]}):
        without_rule = query_count(client, url)

    assert with_rule - without_rule <= 1
