"""The account pages (allauth) in the site's layout: sign-up with e-mail verification, sign-in and out,
password reset and change, e-mail addresses; and the adapter that keeps addresses lowercase."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import translation

from tests.core.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "a brand new passphrase 42"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def sign_in(client, email, password=DEFAULT_PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def link_in(message) -> str:
    return re.search(r"https?://testserver(\S+)", message.body).group(1)


def assert_in_site_layout(response) -> None:
    page = response.content.decode()
    assert response.status_code == 200
    assert 'class="site-header"' in page
    assert 'class="site-footer"' in page
    assert "<title>" in page
    assert "· Kontora</title>" in page


@pytest.mark.parametrize(
    "url_name",
    ["account_login", "account_signup", "account_reset_password", "account_reset_password_done"],
)
def test_signed_out_pages_render_in_the_site_layout(client, url_name):
    response = client.get(reverse(url_name))

    assert_in_site_layout(response)
    assert 'class="form narrow"' in response.content.decode() or url_name == "account_reset_password_done"


@pytest.mark.parametrize("url_name", ["account_email", "account_change_password", "account_logout", "mfa_index"])
def test_signed_in_pages_render_in_the_site_layout_with_a_way_back(client, url_name):
    client.force_login(UserFactory())

    response = client.get(reverse(url_name))

    assert_in_site_layout(response)
    assert f'<a href="{reverse("pages:account")}">Your account</a>' in response.content.decode()


def test_the_login_form_labels_its_fields_and_links_to_password_reset(client):
    page = client.get(reverse("account_login")).content.decode()

    assert '<label for="id_login">Email</label>' in page
    assert '<label for="id_password">Password</label>' in page
    assert f'href="{reverse("account_reset_password")}"' in page
    assert '<button class="button" type="submit">' in page


def test_form_errors_show_in_the_errorlist(client):
    response = sign_in(client, "nobody@example.com", "wrong password 1")

    assert response.status_code == 200
    assert 'class="errorlist nonfield"' in response.content.decode()


def test_signing_up_sends_a_verification_email_and_does_not_sign_in(client):
    response = client.post(
        reverse("account_signup"),
        {"email": "Newcomer@Example.COM", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response["Location"] == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["newcomer@example.com"]
    assert mail.outbox[0].subject.startswith("[Kontora] ")
    assert "Hello from Kontora!" in mail.outbox[0].body
    assert_in_site_layout(client.get(response["Location"]))


def test_sign_up_stores_the_address_lowercase(client):
    client.post(
        reverse("account_signup"),
        {"email": "  MiXeD@Example.COM ", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    user = get_user_model().objects.get()
    assert user.email == "mixed@example.com"
    assert EmailAddress.objects.get(user=user).email == "mixed@example.com"


def test_an_unverified_address_cannot_sign_in(client):
    UserFactory(email="pending@example.com", verified=False)

    response = sign_in(client, "pending@example.com")

    assert response["Location"] == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session


def test_following_the_verification_link_verifies_the_address_and_signs_in(client):
    client.post(
        reverse("account_signup"),
        {"email": "newcomer@example.com", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    link = link_in(mail.outbox[0])

    confirm_page = client.get(link)
    assert_in_site_layout(confirm_page)
    assert "newcomer@example.com" in confirm_page.content.decode()
    client.post(link)

    assert EmailAddress.objects.get(email="newcomer@example.com").verified
    assert "_auth_user_id" in client.session
    client.logout()
    assert sign_in(client, "newcomer@example.com", NEW_PASSWORD)["Location"] == reverse("pages:account")


def test_signing_in_and_out(client):
    user = UserFactory()

    assert sign_in(client, user.email.upper())["Location"] == reverse("pages:account")
    assert client.session["_auth_user_id"] == str(user.pk)

    client.post(reverse("account_logout"))
    assert "_auth_user_id" not in client.session


def test_password_reset_by_email(client):
    user = UserFactory()

    response = client.post(reverse("account_reset_password"), {"email": user.email})
    assert response["Location"] == reverse("account_reset_password_done")
    key_link = link_in(mail.outbox[0])

    form_url = client.get(key_link)["Location"]  # allauth moves the key out of the URL into the session
    assert_in_site_layout(client.get(form_url))
    done = client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert done["Location"] == reverse("account_reset_password_from_key_done")
    assert sign_in(client, user.email, NEW_PASSWORD)["Location"] == reverse("pages:account")


def test_changing_the_password(client):
    user = UserFactory()
    client.force_login(user)

    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": DEFAULT_PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_adding_an_email_address_sends_a_verification(client):
    user = UserFactory()
    client.force_login(user)

    client.post(reverse("account_email"), {"action_add": "", "email": "Second@Example.com"})

    assert EmailAddress.objects.filter(user=user, email="second@example.com", verified=False).exists()
    assert mail.outbox[-1].to == ["second@example.com"]
    page = client.get(reverse("account_email")).content.decode()
    assert 'class="badge badge-warning"' in page
    assert "second@example.com" in page
