import pytest

from apps.core.accounts.roles import Role
from apps.core.accounts.tenancy import has_power, organization_id_of, scope
from apps.core.models import AuditLog, Membership, Organization, User
from tests.core.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_member_sees_only_their_organizations(organization, other_organization, member_of):
    user = member_of(organization)

    assert list(scope(Organization.objects.all(), user)) == [organization]
    assert set(scope(Membership.objects.all(), user).values_list("organization", flat=True)) == {organization.pk}


def test_a_superuser_sees_every_organization(organization, other_organization):
    admin = UserFactory(is_superuser=True)

    assert set(scope(Organization.objects.all(), admin)) == {organization, other_organization}


def test_a_user_without_membership_sees_nothing(organization):
    assert not scope(Organization.objects.all(), UserFactory()).exists()


def test_users_are_visible_only_to_people_sharing_an_organization(organization, other_organization, member_of):
    alice = member_of(organization)
    colleague = member_of(organization)
    stranger = member_of(other_organization)

    visible = set(scope(User.objects.all(), alice))

    assert colleague in visible
    assert stranger not in visible


def test_roles_grant_their_written_powers(organization, member_of):
    bookkeeper = member_of(organization, role=Role.BOOKKEEPER)
    viewer = member_of(organization, role=Role.VIEWER)

    assert has_power(bookkeeper, "write:ledger", organization.pk)
    assert not has_power(bookkeeper, "write:analytics", organization.pk)
    assert not has_power(viewer, "write:ledger", organization.pk)
    assert not has_power(bookkeeper, "write:ledger", organization.pk + 1000)


def test_organization_id_of_follows_the_tenant_path(organization, member_of):
    member_of(organization)
    record = AuditLog.objects.create(organization=organization, action="test")

    assert organization_id_of(record) == organization.pk
    assert organization_id_of(organization) == organization.pk
