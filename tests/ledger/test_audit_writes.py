"""Every write to the books leaves an audit record naming who made it (a person, or the API key a script
used) and what really changed: the admin's invoice, invoice line and recurring-payment pages save through
the services, and an API key's writes are recorded as that key's."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from rest_framework.test import APIClient

from apps.core.accounts import tokens
from apps.core.accounts.roles import Role
from apps.core.models import ApiKey, AuditLog
from apps.ledger.models import Counterparty, Invoice, RecurringPayment
from tests.ledger.factories import CounterpartyFactory, InvoiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(dt.datetime(2026, 3, 10, 9, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def bookkeeper(organization, member_of):
    return member_of(organization, role=Role.BOOKKEEPER)


@pytest.fixture
def admin_client(client, bookkeeper):
    client.force_login(bookkeeper)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _inline(prefix: str, rows: list[dict], initial: int = 0) -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{name}": value for name, value in row.items()})
    return data


def _only_record(action: str) -> AuditLog:
    [record] = AuditLog.objects.filter(action=action)
    return record


# --- invoices and their lines in the admin ----------------------------------------------------------------


def test_adding_an_invoice_in_the_admin_records_its_author_header_and_lines(admin_client, organization, bookkeeper):
    customer = CounterpartyFactory(organization=organization, name="Acme")
    data = {
        "organization": organization.pk,
        "kind": "receivable",
        "counterparty": customer.pk,
        "currency": "RUB",
        "issue_date": "2026-03-02",
        "due_date": "2026-03-16",
        "reference": "PO-7",
        "notes": "",
        **_inline("lines", [{"position": "1", "description": "Consulting", "quantity": "3", "unit_price": "1000"}]),
        **_inline("payments", []),
    }

    response = admin_client.post(reverse("admin:ledger_invoice_add"), data)

    assert response.status_code == 302
    invoice = Invoice.objects.get()
    assert response["Location"].endswith(reverse("admin:ledger_invoice_changelist"))
    record = _only_record("ledger.invoice.create")
    assert (record.actor, record.organization, record.object_id) == (bookkeeper, organization, str(invoice.pk))
    assert record.changes["reference"] == [None, "PO-7"]
    assert record.changes["total"] == [None, "3000.00"]
    [line] = record.changes["lines"][1]
    assert line.startswith("Consulting: 3 × 1000 = 3000")


def test_editing_a_draft_and_its_lines_in_the_admin_records_the_real_before_and_after(
    admin_client, organization, bookkeeper
):
    invoice = InvoiceFactory(
        organization=organization,
        reference="PO-1",
        lines=[{"description": "Consulting", "quantity": "2", "unit_price": "500"}],
    )
    line = invoice.lines.get()
    AuditLog.objects.all().delete()
    data = {
        "kind": "receivable",
        "counterparty": invoice.counterparty_id,
        "currency": "RUB",
        "issue_date": "2026-03-02",
        "due_date": "2026-03-16",
        "reference": "PO-2",
        "notes": "",
        **_inline(
            "lines",
            [
                {
                    "id": line.pk,
                    "invoice": invoice.pk,
                    "position": "1",
                    "description": "Consulting",
                    "quantity": "2",
                    "unit_price": "750",
                }
            ],
            initial=1,
        ),
        **_inline("payments", []),
    }

    response = admin_client.post(reverse("admin:ledger_invoice_change", args=[invoice.pk]), data)

    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    record = _only_record("ledger.invoice.update")
    assert record.actor == bookkeeper
    assert record.changes["reference"] == ["PO-1", "PO-2"]
    assert record.changes["total"] == ["1000.00", "1500.00"]
    before, after = record.changes["lines"]
    assert before[0].startswith("Consulting: 2 × 500 = 1000")
    assert after[0].startswith("Consulting: 2 × 750 = 1500")
    assert "counterparty" not in record.changes  # only what changed


# --- recurring payments in the admin ----------------------------------------------------------------------


def test_adding_and_editing_a_recurring_payment_in_the_admin_is_audited(admin_client, organization, bookkeeper, books):
    schedule = {
        "organization": organization.pk,
        "name": "Office rent",
        "description": "",
        "interval_unit": "months",
        "interval_count": "1",
        "day_of_month": "31",
        "start_date": "2026-01-31",
        "end_date": "",
    }
    legs = [{"account": books.rent.pk, "amount": "85000"}, {"account": books.bank.pk, "amount": "-85000"}]

    added = admin_client.post(reverse("admin:ledger_recurringpayment_add"), {**schedule, **_inline("legs", legs)})

    assert added.status_code == 302
    recurring = RecurringPayment.objects.get()
    created = _only_record("ledger.recurring.create")
    assert (created.actor, created.object_id) == (bookkeeper, str(recurring.pk))
    assert created.changes["name"] == [None, "Office rent"]
    assert len(created.changes["legs"][1]) == 2

    stored = list(recurring.legs.order_by("pk"))
    changed = [
        {"id": stored[0].pk, "recurring_payment": recurring.pk, "account": books.rent.pk, "amount": "90000"},
        {"id": stored[1].pk, "recurring_payment": recurring.pk, "account": books.bank.pk, "amount": "-90000"},
    ]
    del schedule["organization"]  # read-only once saved
    edited = admin_client.post(
        reverse("admin:ledger_recurringpayment_change", args=[recurring.pk]),
        {**schedule, "name": "Office rent, new lease", **_inline("legs", changed, initial=2)},
    )

    assert edited.status_code == 302, edited.context and edited.context["adminform"].form.errors
    updated = _only_record("ledger.recurring.update")
    assert updated.actor == bookkeeper
    assert updated.changes["name"] == ["Office rent", "Office rent, new lease"]
    before, after = updated.changes["legs"]
    assert any("85000" in leg for leg in before)
    assert any("90000" in leg for leg in after)


# --- API keys ---------------------------------------------------------------------------------------------


def test_a_write_through_an_api_key_records_the_key_as_the_actor(organization):
    key, plain = tokens.api_key_create(
        organization=organization, name="Importer", scopes=["read", "write"], role=Role.BOOKKEEPER, by=None
    )
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {plain}")

    created = client.post(
        "/api/v1/ledger/counterparties/", {"organization": organization.slug, "name": "Acme"}, format="json"
    )
    assert created.status_code == 201, created.json()
    renamed = client.patch(
        f"/api/v1/ledger/counterparties/{created.json()['id']}/", {"name": "Acme Ltd"}, format="json"
    )
    assert renamed.status_code == 200, renamed.json()

    counterparty = Counterparty.objects.get()
    create = _only_record("ledger.counterparty.create")
    update = _only_record("ledger.counterparty.update")
    for record in (create, update):
        assert (record.api_key_id, record.actor_id) == (key.pk, None)
        assert record.actor_display.startswith("API key Importer (")
        assert record.object_id == str(counterparty.pk)
    assert create.changes["name"] == [None, "Acme"]
    assert update.changes == {"name": ["Acme", "Acme Ltd"]}

    owner = APIClient()
    owner.force_authenticate(_owner(organization))
    rows = owner.get("/api/v1/audit-log/").json()["results"]
    assert {(row["action"], row["actor"], row["api_key"]) for row in rows} >= {
        ("ledger.counterparty.create", None, "Importer"),
        ("ledger.counterparty.update", None, "Importer"),
    }


def _owner(organization):
    from tests.core.factories import MembershipFactory, UserFactory

    user = UserFactory()
    MembershipFactory(user=user, organization=organization, role=Role.OWNER)
    return user


def test_an_api_key_deleted_later_leaves_its_records(organization):
    key, plain = tokens.api_key_create(
        organization=organization, name="Importer", scopes=["read", "write"], role=Role.BOOKKEEPER, by=None
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {plain}")
    client.post("/api/v1/ledger/counterparties/", {"organization": organization.slug, "name": "Acme"}, format="json")

    ApiKey.objects.filter(pk=key.pk).delete()

    assert AuditLog.objects.filter(action="ledger.counterparty.create").exists()
