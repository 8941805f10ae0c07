import pytest
from django.urls import reverse
from django.utils import translation

from apps.core.accounts.roles import Role
from apps.core.models import AuditLog, Membership, Organization
from tests.core.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "heading"), [("ru", "Ведите бизнес в одном месте"), ("en", "Run your business in one place")]
)
def test_home_page_speaks_the_language_of_its_prefix(client, language, heading):
    response = client.get(f"/{language}/")

    assert response.status_code == 200
    assert f'<html lang="{language}">' in response.content.decode()
    assert heading in response.content.decode()


def test_the_bare_root_redirects_to_a_language(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 302
    assert response["Location"] == "/en/"


def test_switching_language_keeps_the_page(client, organization, member_of):
    client.force_login(member_of(organization))
    page = client.get("/en/account/").content.decode()
    # The switcher sends the page's path without its language prefix, whatever language the browser prefers.
    assert '<input name="next" type="hidden" value="/account/">' in page

    response = client.post(
        reverse("set_language"), {"language": "ru", "next": "/account/"}, HTTP_ACCEPT_LANGUAGE="en", follow=True
    )

    assert response.redirect_chain[-1][0] == "/ru/account/"
    assert "Ваш аккаунт" in response.content.decode()


def test_account_requires_sign_in(client):
    response = client.get("/en/account/")

    assert response.status_code == 302
    assert response["Location"].startswith("/en/accounts/login/")


def test_account_lists_the_users_organizations_only(client, organization, other_organization, member_of):
    client.force_login(member_of(organization, role=Role.BOOKKEEPER))

    page = client.get("/en/account/").content.decode()

    assert organization.name in page
    assert other_organization.name not in page


def test_creating_an_organization_makes_the_user_its_owner(client):
    user = UserFactory()
    client.force_login(user)

    response = client.post(
        "/en/account/",
        {
            "name": "Acme Trading",
            "slug": "",
            "time_zone": "Europe/Berlin",
            "reporting_currency": "EUR",
            "language": "en",
        },
    )

    assert response.status_code == 302
    organization = Organization.objects.get(slug="acme-trading")
    assert organization.reporting_currency_id == "EUR"
    assert Membership.objects.get(user=user, organization=organization).role == Role.OWNER
    assert AuditLog.objects.filter(action="organization.create", organization=organization, actor=user).exists()


def test_an_invalid_time_zone_is_refused_with_the_reason_and_nothing_is_created(client):
    client.force_login(UserFactory())

    with translation.override("en"):
        response = client.post(
            "/en/account/",
            {"name": "Acme", "time_zone": "Mars/Olympus", "reporting_currency": "RUB", "language": "ru"},
        )

    assert response.status_code == 200
    assert "Mars/Olympus" in response.content.decode()
    assert not Organization.objects.filter(name="Acme").exists()
