"""An organization's short name (slug) is made from its name in any script a customer uses, is unique, and
an organization's creation and changes are audited with the real before and after, from every surface."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.core.accounts.roles import Role
from apps.core.language.text import slug_from, transliterate
from apps.core.models import AuditLog, Membership, Organization
from tests.core.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def _create(client, name: str, slug: str = ""):
    return client.post(
        "/en/account/",
        {"name": name, "slug": slug, "time_zone": "Europe/Moscow", "reporting_currency": "RUB", "language": "ru"},
    )


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("ИП Петров", "ip-petrov"),
        ("ООО «Щука и Ёж»", "ooo-shchuka-i-yozh"),
        ("Café Müller", "cafe-muller"),
        ("Объединённая компания №1", "obedinyonnaya-kompaniya-no1"),
    ],
)
def test_a_name_in_any_script_gives_a_latin_slug(name, slug):
    assert slug_from(name) == slug


def test_transliteration_keeps_capitals_and_other_characters():
    assert transliterate("Жук-2 Ltd") == "Zhuk-2 Ltd"


def test_an_organization_named_in_cyrillic_is_created_from_the_account_page(client):
    user = UserFactory()
    client.force_login(user)

    response = _create(client, "ИП Петров")

    assert response.status_code == 302, response.context["form"].errors
    organization = Organization.objects.get(name="ИП Петров")
    assert organization.slug == "ip-petrov"
    assert Membership.objects.get(user=user, organization=organization).role == Role.OWNER


def test_a_taken_slug_gets_the_next_free_number(client):
    OrganizationFactory(name="Petrov", slug="ip-petrov")
    OrganizationFactory(name="Petrov 2", slug="ip-petrov-2")
    client.force_login(UserFactory())

    response = _create(client, "ИП Петров")

    assert response.status_code == 302
    assert Organization.objects.get(name="ИП Петров").slug == "ip-petrov-3"


def test_a_name_without_letters_or_digits_falls_back_to_a_generic_slug(client):
    client.force_login(UserFactory())

    assert _create(client, "«—»").status_code == 302
    assert _create(client, "!!!").status_code == 302

    assert sorted(Organization.objects.values_list("slug", flat=True)) == ["organization", "organization-2"]


def test_creating_records_every_field_as_after(client):
    user = UserFactory()
    client.force_login(user)

    _create(client, "ИП Петров")

    record = AuditLog.objects.get(action="organization.create")
    assert record.actor == user
    assert record.changes["name"] == [None, "ИП Петров"]
    assert record.changes["slug"] == [None, "ip-petrov"]


# --- the admin --------------------------------------------------------------------------------------------


def _admin_data(organization: Organization, **changes) -> dict:
    data = {
        "name": organization.name,
        "slug": organization.slug,
        "time_zone": organization.time_zone,
        "reporting_currency": organization.reporting_currency_id,
        "language": organization.language,
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    return {**data, **changes}


def test_editing_an_organization_in_the_admin_records_what_changed_from_what(client, organization, member_of):
    owner = member_of(organization, role=Role.OWNER)
    client.force_login(owner)
    old_name = organization.name
    data = _admin_data(organization, name="Renamed Ltd", time_zone="Asia/Yekaterinburg")

    response = client.post(reverse("admin:core_organization_change", args=[organization.pk]), data)

    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    record = AuditLog.objects.get(action="organization.update")
    assert record.actor == owner
    assert record.changes == {
        "name": [old_name, "Renamed Ltd"],
        "time_zone": ["Europe/Moscow", "Asia/Yekaterinburg"],
    }


def test_adding_an_organization_in_the_admin_is_audited_as_the_superuser(client):
    superuser = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(superuser)
    data = _admin_data(Organization(name="ИП Петров", slug="ip-petrov", reporting_currency_id="RUB"))

    response = client.post(reverse("admin:core_organization_add"), data)

    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    organization = Organization.objects.get(slug="ip-petrov")
    record = AuditLog.objects.get(action="organization.create")
    assert (record.actor, record.organization, record.changes["name"]) == (superuser, organization, [None, "ИП Петров"])
