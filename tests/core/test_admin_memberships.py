"""Membership changes in the admin go through the services, and their refusals read as form errors."""

import pytest
from django.urls import reverse

from apps.core.accounts.roles import Role
from apps.core.models import Membership

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client):
    """The admin follows the browser's language; these tests read English."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_the_last_owner_cannot_be_demoted_and_is_told_why(client, organization, member_of):
    owner = member_of(organization, role=Role.OWNER)
    client.force_login(owner)
    membership = Membership.objects.get(user=owner, organization=organization)

    response = client.post(
        reverse("admin:core_membership_change", args=[membership.pk]),
        {"user": owner.pk, "organization": organization.pk, "role": Role.VIEWER},
        follow=True,
    )

    assert response.status_code == 200
    assert "must keep at least one owner" in response.content.decode()
    membership.refresh_from_db()
    assert membership.role == Role.OWNER


def test_the_last_owner_cannot_be_deleted(client, organization, member_of):
    owner = member_of(organization, role=Role.OWNER)
    client.force_login(owner)
    membership = Membership.objects.get(user=owner, organization=organization)

    response = client.post(reverse("admin:core_membership_delete", args=[membership.pk]), {"post": "yes"}, follow=True)

    assert "must keep at least one owner" in response.content.decode()
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_an_admin_changes_a_role_through_the_service_and_it_is_audited(client, organization, member_of):
    client.force_login(member_of(organization, role=Role.ADMIN))
    member_of(organization, role=Role.OWNER)
    bookkeeper = member_of(organization, role=Role.VIEWER)
    membership = Membership.objects.get(user=bookkeeper)

    response = client.post(
        reverse("admin:core_membership_change", args=[membership.pk]),
        {"user": bookkeeper.pk, "organization": organization.pk, "role": Role.BOOKKEEPER},
    )

    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.role == Role.BOOKKEEPER
    from apps.core.models import AuditLog

    assert AuditLog.objects.filter(action="membership.change_role", object_id=str(membership.pk)).exists()
