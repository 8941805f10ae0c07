"""Names a person tells apart only by letter case are one name: a counterparty, a project (name and code) and
a category (within its kind) are unique per organization in the database; the admin and the API refuse a
duplicate with an error on the field; the migration renames duplicates that already exist; and the demo
loader runs again whatever users did to the demo rows."""

from __future__ import annotations

import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from rest_framework.test import APIClient

from apps.core.accounts import tokens
from apps.core.accounts.roles import Role
from apps.core.models import Organization
from apps.core.operations.database_roles import application_role_grant
from apps.core.operations.demo import seed_demo
from apps.ledger.models import Category, Counterparty, Project, Transaction
from apps.ledger.services import books as book_services
from tests.ledger.factories import CounterpartyFactory, ProjectFactory

pytestmark = pytest.mark.django_db


# --- the database ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "first", "second"),
    [
        (Counterparty, {"name": "ООО «Ромашка»"}, {"name": "ооо «ромашка»"}),
        (Project, {"name": "Shop", "code": "A"}, {"name": "SHOP", "code": "B"}),
        (Project, {"name": "Shop", "code": "shop"}, {"name": "Store", "code": "SHOP"}),
        (Category, {"name": "Rent", "kind": "expense"}, {"name": "rent", "kind": "expense"}),
    ],
)
def test_the_database_refuses_a_name_that_differs_only_by_case(organization, model, first, second):
    model.objects.create(organization=organization, **first)

    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.create(organization=organization, **second)


def test_the_same_name_is_fine_in_another_organization_or_category_kind(organization, other_organization):
    Counterparty.objects.create(organization=organization, name="Acme")
    Counterparty.objects.create(organization=other_organization, name="Acme")
    Category.objects.create(organization=organization, name="Other", kind="income")
    Category.objects.create(organization=organization, name="Other", kind="expense")
    Project.objects.create(organization=organization, name="One", code="")
    Project.objects.create(organization=organization, name="Two", code="")  # no code is not a code

    assert Counterparty.objects.filter(name="Acme").count() == 2


# --- the services, the admin, the API -------------------------------------------------------------------


def test_renaming_a_counterparty_to_another_ones_name_is_refused_on_the_name_field(organization):
    CounterpartyFactory(organization=organization, name="ООО «Ромашка»")
    other = CounterpartyFactory(organization=organization, name="ООО «Вектор»")

    other.name = "ООО «РОМАШКА»"
    with pytest.raises(ValidationError) as refused:
        book_services.tag_save(instance=other, user=None)

    assert list(refused.value.message_dict) == ["name"]
    assert "already has a counterparty of this name" in refused.value.message_dict["name"][0]
    assert Counterparty.objects.get(pk=other.pk).name == "ООО «Вектор»"


def test_the_admin_shows_the_duplicate_name_on_the_field(client, organization, member_of):
    CounterpartyFactory(organization=organization, name="Acme")
    other = CounterpartyFactory(organization=organization, name="Globex")
    client.force_login(member_of(organization, role=Role.BOOKKEEPER))

    response = client.post(
        reverse("admin:ledger_counterparty_change", args=[other.pk]),
        {"name": "ACME", "kind": "customer", "tax_id": "", "email": "", "phone": "", "notes": "", "is_active": "on"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 200
    assert "already has a counterparty of this name" in str(response.context["adminform"].form.errors["name"])
    assert Counterparty.objects.get(pk=other.pk).name == "Globex"


def test_the_api_answers_a_duplicate_project_code_with_an_error_on_the_code(organization, member_of):
    ProjectFactory(organization=organization, name="Shop", code="SHOP")
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    user = member_of(organization, role=Role.BOOKKEEPER)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.access_token_issue(user=user, family=uuid.uuid4())}")

    response = client.post(
        "/api/v1/ledger/projects/", {"organization": organization.slug, "name": "Store", "code": "shop"}, format="json"
    )

    assert response.status_code == 400, response.json()
    assert list(response.json()["error"]["fields"]) == ["code"]
    assert Project.objects.count() == 1


# --- the migration --------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.database_owner  # migrating is the owner's, as `manage.py migrate` is
def test_the_migration_renames_existing_duplicates_and_applies():
    executor = MigrationExecutor(connection)
    executor.migrate([("ledger", "0001_initial")])
    old = executor.loader.project_state([("ledger", "0001_initial")]).apps
    organization = old.get_model("core", "Organization").objects.create(name="Dev", slug="dev-db")
    counterparty = old.get_model("ledger", "Counterparty")
    project = old.get_model("ledger", "Project")
    for name in ("Acme", "ACME", "acme", "Acme (2)"):
        counterparty.objects.create(organization_id=organization.pk, name=name)
    project.objects.create(organization_id=organization.pk, name="Shop", code="SHOP")
    project.objects.create(organization_id=organization.pk, name="Store", code="shop")

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    application_role_grant()  # the tables made again are the application's to use, as after `migrate`

    names = list(
        Counterparty.objects.filter(organization_id=organization.pk).order_by("pk").values_list("name", flat=True)
    )
    assert names == ["Acme", "ACME (3)", "acme (4)", "Acme (2)"]
    codes = list(Project.objects.filter(organization_id=organization.pk).order_by("pk").values_list("code", flat=True))
    assert codes == ["SHOP", "shop-2"]


# --- the demo loader ------------------------------------------------------------------------------------


@pytest.fixture
def demo():
    seed_demo()
    return Organization.objects.get(slug="demo")


def test_renaming_a_demo_counterparty_to_anothers_name_is_refused_and_the_demo_still_loads(demo):
    vector = Counterparty.objects.get(organization=demo, name="ООО «Вектор»")
    vector.name = "ООО «Ромашка»"

    with pytest.raises(ValidationError) as refused:
        book_services.tag_save(instance=vector, user=None)

    assert "name" in refused.value.message_dict
    seed_demo()
    assert Counterparty.objects.filter(organization=demo, name__iexact="ООО «Ромашка»").count() == 1


def test_the_demo_loads_again_after_users_renamed_and_deleted_demo_rows(demo):
    before = Transaction.objects.filter(organization=demo).count()
    romashka = Counterparty.objects.get(organization=demo, name="ООО «Ромашка»")
    book_services.tag_save(instance=_renamed(romashka, "Ромашка (старое название)"), user=None)
    shop = Project.objects.get(organization=demo, code="SHOP")
    book_services.tag_save(instance=_renamed(shop, "Магазин"), user=None)  # its code stays SHOP
    Counterparty.objects.filter(organization=demo, name="ИП Васильев").update(name="ип васильев")
    unused = Category.objects.create(organization=demo, name="Временная", kind="expense")
    unused.delete()

    seed_demo()

    assert Transaction.objects.filter(organization=demo).count() == before  # nothing posted twice
    assert Counterparty.objects.filter(organization=demo, name="ООО «Ромашка»").exists()  # made again
    assert Project.objects.filter(organization=demo, code__iexact="shop").count() == 1  # found by its code
    assert Counterparty.objects.filter(organization=demo, name__iexact="ип васильев").count() == 1


def _renamed(row, name):
    row.name = name
    return row
