"""Every admin changelist and add page opens for a superuser, and for a member where the role allows it."""

import pytest
from django.contrib import admin
from django.urls import reverse

from apps.core.accounts.roles import Role
from tests.core.factories import UserFactory
from tests.tenancy_samples import TENANT_SAMPLES

pytestmark = pytest.mark.django_db

REGISTERED = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def _url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    return client


@pytest.fixture
def with_rows(organization, member_of):
    member_of(organization)
    for make in TENANT_SAMPLES.values():
        make(organization)


@pytest.mark.parametrize(("model", "model_admin"), REGISTERED, ids=[m._meta.label for m, _ in REGISTERED])
def test_superuser_opens_changelist_and_add_page(model, model_admin, superuser_client, with_rows):
    assert superuser_client.get(_url(model, "changelist")).status_code == 200
    add = superuser_client.get(_url(model, "add"))
    assert add.status_code == (200 if model_admin.has_add_permission(add.wsgi_request) else 403)


SEARCHABLE = [(model, model_admin) for model, model_admin in REGISTERED if model_admin.search_fields]


@pytest.mark.parametrize(("model", "model_admin"), SEARCHABLE, ids=[m._meta.label for m, _ in SEARCHABLE])
def test_changelist_search_works(model, model_admin, superuser_client, with_rows):
    assert superuser_client.get(_url(model, "changelist"), {"q": "a"}).status_code == 200


def test_admin_index_shows_the_members_organizations_and_dashboard(client, organization, member_of):
    client.force_login(member_of(organization, role=Role.BOOKKEEPER))

    response = client.get(reverse("admin:index"))

    assert response.status_code == 200
    assert organization.name in response.content.decode()
    assert [panel["dashboard"].app_label for panel in response.context["dashboard_panels"]][0] == "core"


def test_admin_login_goes_through_the_site_login(client):
    response = client.get(reverse("admin:login") + "?next=/admin/")

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert "next=%2Fadmin%2F" in response["Location"]


def test_a_signed_in_user_without_organization_is_told_so(client):
    client.force_login(UserFactory())

    response = client.get(reverse("admin:login"), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 403
    assert "not a member of any organization" in response.content.decode()


def test_a_viewer_reads_but_cannot_change(client, organization, member_of):
    client.force_login(member_of(organization, role=Role.VIEWER))

    assert client.get(_url(type(organization), "change", organization.pk)).status_code == 200
    response = client.post(_url(type(organization), "change", organization.pk), {"name": "Hijacked"})

    assert response.status_code == 403
    organization.refresh_from_db()
    assert organization.name != "Hijacked"
