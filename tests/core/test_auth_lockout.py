"""Brute-force protection (django-axes) on every login path: the allauth form, the admin that signs in
through it, and the API token endpoint; unlocking by time and by an administrator."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import path, reverse
from django.utils import timezone, translation
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.accounts.lockout import login_succeeded, username_from_request
from config.urls import urlpatterns as project_urlpatterns
from tests.core.factories import DEFAULT_PASSWORD, UserFactory

LIMIT = settings.AXES_FAILURE_LIMIT
WRONG = "not the password at all"


class TokenLoginStandIn(APIView):
    """What the API token endpoint does with a password (the real one lives in apps.core.api): it calls
    ``authenticate`` with the DRF request and the client's ``email``, and reports a success to axes."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    def post(self, request):
        user = authenticate(request=request, email=request.data.get("email"), password=request.data.get("password"))
        if user is None:
            return Response({"error": {"code": "invalid_credentials", "message": "No."}}, status=400)
        login_succeeded(request, user)
        return Response({"access": "token"})


# Used by the tests marked @pytest.mark.urls(__name__): the project's URLs plus the stand-in above.
urlpatterns = [path("api/v1/test-auth/token/", TokenLoginStandIn.as_view()), *project_urlpatterns]
api_urls = pytest.mark.urls(__name__)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def user(db):
    return UserFactory(email="ann@example.com")


def login(client, email, password, **extra):
    return client.post(reverse("account_login"), {"login": email, "password": password}, **extra)


def fail_until_locked(client, email, **extra):
    responses = [login(client, email, WRONG, **extra) for _ in range(LIMIT)]
    return responses[-1]


def api_login(client, email, password, **extra):
    url = "/api/v1/test-auth/token/"
    return client.post(url, {"email": email, "password": password}, content_type="application/json", **extra)


def test_username_comes_from_allauth_and_api_credentials_lowercased():
    request = RequestFactory().post("/", {"login": "Form@Example.com"})
    assert username_from_request(request, {"email": " Ann@Example.COM "}) == "ann@example.com"
    assert username_from_request(request, {"login": "Bob@Example.com"}) == "bob@example.com"
    assert username_from_request(request, {"login": None, "email": "api@example.com"}) == "api@example.com"
    assert username_from_request(request, None) == "form@example.com"


def test_failures_below_the_limit_keep_the_login_form(client, user):
    for _ in range(LIMIT - 1):
        response = login(client, user.email, WRONG)
    assert response.status_code == 200
    assert "account/login.html" in [t.name for t in response.templates]


def test_reaching_the_limit_shows_the_lockout_page(client, user):
    response = fail_until_locked(client, user.email)

    assert response.status_code == 429
    assert "account/lockout.html" in [t.name for t in response.templates]
    page = response.content.decode()
    assert "too many failed sign-in attempts" in page
    assert f"It unlocks automatically in {settings.AXES_COOLOFF_TIME.seconds // 60} minutes." in page
    assert "A Kontora administrator can unlock the account." in page
    assert 'class="site-header"' in page  # rendered inside the site layout
    assert 0 < int(response["Retry-After"]) <= settings.AXES_COOLOFF_TIME.total_seconds()


def test_a_locked_account_refuses_even_the_right_password(client, user):
    fail_until_locked(client, user.email)

    response = login(client, user.email, DEFAULT_PASSWORD)

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_lockout_is_per_user_and_address(client, user):
    fail_until_locked(client, user.email, REMOTE_ADDR="10.0.0.1")
    other = UserFactory()

    from_elsewhere = login(client, user.email, DEFAULT_PASSWORD, REMOTE_ADDR="10.0.0.2")
    assert from_elsewhere.status_code == 302
    client.logout()
    other_user_same_address = login(client, other.email, DEFAULT_PASSWORD, REMOTE_ADDR="10.0.0.1")
    assert other_user_same_address.status_code == 302


def test_changing_the_case_of_the_address_does_not_buy_more_attempts(client, user):
    variants = ["ann@example.com", "ANN@example.com", "Ann@Example.com", "ann@EXAMPLE.com", "aNN@example.COM"]
    responses = [login(client, variant, WRONG) for variant in (variants * LIMIT)[:LIMIT]]

    assert responses[-1].status_code == 429
    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {"ann@example.com"}


def test_a_successful_login_resets_the_counter(client, user):
    for _ in range(LIMIT - 1):
        login(client, user.email, WRONG)
    assert login(client, user.email, DEFAULT_PASSWORD).status_code == 302
    client.logout()

    for _ in range(LIMIT - 1):
        response = login(client, user.email, WRONG)

    assert response.status_code == 200
    assert login(client, user.email, DEFAULT_PASSWORD).status_code == 302


def test_the_lock_ends_after_the_cool_off(client, user):
    fail_until_locked(client, user.email)

    with time_machine.travel(timezone.now() + settings.AXES_COOLOFF_TIME + timedelta(seconds=5), tick=False):
        response = login(client, user.email, DEFAULT_PASSWORD)

    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_the_lock_is_still_on_just_before_the_cool_off_ends(client, user):
    fail_until_locked(client, user.email)

    with time_machine.travel(timezone.now() + settings.AXES_COOLOFF_TIME - timedelta(seconds=30), tick=False):
        response = login(client, user.email, DEFAULT_PASSWORD)

    assert response.status_code == 429


def test_an_administrator_unlocks_with_the_management_command(client, user):
    fail_until_locked(client, user.email)

    call_command("axes_reset_username", user.email, stdout=None)

    assert login(client, user.email, DEFAULT_PASSWORD).status_code == 302


def test_an_administrator_unlocks_by_deleting_the_access_attempt_in_the_admin(client, user):
    fail_until_locked(client, user.email)
    attempt = AccessAttempt.objects.get(username=user.email)
    admin_client = client.__class__()
    admin_client.force_login(UserFactory(is_staff=True, is_superuser=True))

    response = admin_client.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    assert login(client, user.email, DEFAULT_PASSWORD).status_code == 302


def test_signing_in_to_the_admin_goes_through_the_same_lockout(client, user):
    to_login = client.get("/admin/", follow=True).redirect_chain[-1][0]
    assert to_login.startswith(reverse("account_login"))

    for _ in range(LIMIT):
        response = client.post(to_login, {"login": user.email, "password": WRONG})
    assert response.status_code == 429
    assert "account/lockout.html" in [t.name for t in response.templates]
    assert client.post(to_login, {"login": user.email, "password": DEFAULT_PASSWORD}).status_code == 429


@api_urls
def test_api_password_logins_lock_with_a_json_429(client, user):
    for _ in range(LIMIT - 1):
        assert api_login(client, user.email, WRONG).status_code == 400

    response = api_login(client, user.email, WRONG)

    assert response.status_code == 429
    error = response.json()["error"]
    assert error["code"] == "locked_out"
    assert error["message"]
    assert 0 < error["retry_after"] <= settings.AXES_COOLOFF_TIME.total_seconds()
    assert response["Retry-After"] == str(error["retry_after"])
    assert api_login(client, user.email, DEFAULT_PASSWORD).status_code == 429


@api_urls
def test_api_and_web_failures_count_together(client, user):
    for _ in range(LIMIT - 1):
        api_login(client, user.email.upper(), WRONG)

    assert login(client, user.email, WRONG).status_code == 429


@api_urls
def test_a_successful_api_login_resets_the_counter(client, user):
    for _ in range(LIMIT - 1):
        api_login(client, user.email, WRONG)
    assert api_login(client, user.email, DEFAULT_PASSWORD).status_code == 200

    assert api_login(client, user.email, WRONG).status_code == 400
