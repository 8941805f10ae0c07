"""The invoices, payments, recurring payments and aging endpoints under /api/v1/ledger/."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from rest_framework.test import APIClient

from apps.core.accounts.roles import Role
from apps.core.models import Membership
from apps.ledger.models import Invoice, InvoicePayment, RecurringPayment, Transaction
from tests.ledger.factories import CounterpartyFactory, InvoiceFactory, RecurringPaymentFactory

pytestmark = pytest.mark.django_db

BASE = "/api/v1/ledger"


@pytest.fixture(autouse=True)
def _clock_and_language():
    with time_machine.travel(dt.datetime(2026, 3, 10, 9, tzinfo=dt.UTC), tick=False), translation.override("en"):
        yield


@pytest.fixture
def api(organization, member_of):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(member_of(organization, role=Role.BOOKKEEPER))
    return client


@pytest.fixture
def customer(organization):
    return CounterpartyFactory(organization=organization, name="Romashka")


def _fields(response) -> dict:
    return response.json()["error"]["fields"]


def _draft_body(customer, books, **overrides):
    body = {
        "kind": "receivable",
        "counterparty": customer.pk,
        "currency": "RUB",
        "issue_date": "2026-03-02",
        "due_date": "2026-03-16",
        "lines": [
            {"description": "Consulting", "quantity": "3", "unit_price": "1000", "account": books.sales.pk},
            {"description": "Travel", "unit_price": "250.5"},
        ],
    }
    body.update(overrides)
    return body


# --- invoices ---------------------------------------------------------------------------------------------


def test_a_draft_is_created_with_money_as_strings(api, organization, books, customer):
    response = api.post(f"{BASE}/invoices/", _draft_body(customer, books), format="json")

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["organization"] == organization.slug
    assert (data["status"], data["number"], data["total"], data["outstanding"]) == ("draft", "", "3250.50", "3250.50")
    assert [(line["quantity"], line["unit_price"], line["amount"]) for line in data["lines"]] == [
        ("3", "1000.00", "3000.00"),
        ("1", "250.50", "250.50"),
    ]


def test_bad_input_names_the_line_and_field_in_the_shared_error_shape(api, other_organization, books, customer):
    foreign = CounterpartyFactory(organization=other_organization)
    body = _draft_body(customer, books)
    body["lines"][1]["unit_price"] = 10.5

    float_price = api.post(f"{BASE}/invoices/", body, format="json")
    stranger = api.post(f"{BASE}/invoices/", _draft_body(foreign, books), format="json")

    assert float_price.status_code == 400
    assert float_price.json()["error"]["code"] == "validation_error"
    assert "not floating-point" in _fields(float_price)["lines.1.unit_price"][0]
    assert stranger.status_code == 400
    assert "counterparty" in _fields(stranger)
    assert not Invoice.objects.exists()


def test_a_draft_never_moves_to_another_organization(books, customer, other_organization, member_of):
    keeper = member_of(books.organization, role=Role.BOOKKEEPER)
    Membership.objects.create(user=keeper, organization=other_organization, role=Role.BOOKKEEPER)
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(keeper)
    body = _draft_body(customer, books, organization=books.organization.slug)
    created = client.post(f"{BASE}/invoices/", body, format="json").json()

    moved = client.patch(f"{BASE}/invoices/{created['id']}/", {"organization": other_organization.slug}, format="json")

    assert moved.status_code == 400
    assert _fields(moved) == {"organization": ["A record cannot move to another organization."]}
    assert Invoice.objects.get(pk=created["id"]).organization_id == books.organization.pk


def test_a_draft_is_edited_then_issued_then_read_only(api, books, customer):
    created = api.post(f"{BASE}/invoices/", _draft_body(customer, books), format="json").json()
    url = f"{BASE}/invoices/{created['id']}/"

    edited = api.patch(url, {"lines": [{"description": "One", "unit_price": "99.99"}]}, format="json")
    issued = api.post(f"{url}issue/")
    refused = api.patch(url, {"notes": "late edit"}, format="json")
    not_deleted = api.delete(url)

    assert edited.status_code == 200
    assert edited.json()["total"] == "99.99"
    assert issued.status_code == 200
    assert (issued.json()["status"], issued.json()["number"]) == ("issued", "INV-2026-000001")
    assert issued.json()["issue_transaction"] == Transaction.objects.get(kind="invoice").pk
    assert refused.status_code == 400
    assert "only a draft can be changed" in refused.json()["error"]["message"]
    assert not_deleted.status_code == 400
    assert "void it instead" in not_deleted.json()["error"]["message"]


def test_a_draft_is_deleted(api, organization):
    invoice = InvoiceFactory(organization=organization)

    assert api.delete(f"{BASE}/invoices/{invoice.pk}/").status_code == 204
    assert not Invoice.objects.exists()


def test_a_payment_with_the_same_key_pays_once(api, organization, books):
    invoice = InvoiceFactory(organization=organization, issued=True)
    body = {"amount": "400.00", "date": "2026-03-05", "account": books.bank.pk}

    first = api.post(f"{BASE}/invoices/{invoice.pk}/pay/", body, format="json", HTTP_IDEMPOTENCY_KEY="form-1")
    again = api.post(f"{BASE}/invoices/{invoice.pk}/pay/", body, format="json", HTTP_IDEMPOTENCY_KEY="form-1")

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["payment"]["id"] == again.json()["payment"]["id"]
    assert first.json()["payment"]["amount"] == "400.00"
    assert (first.json()["invoice"]["status"], first.json()["invoice"]["outstanding"]) == ("partially_paid", "600.00")
    assert InvoicePayment.objects.count() == 1


def test_the_same_payment_key_with_another_amount_is_refused_with_409(api, organization, books):
    invoice = InvoiceFactory(organization=organization, issued=True)
    url = f"{BASE}/invoices/{invoice.pk}/pay/"
    body = {"amount": "400.00", "date": "2026-03-05", "account": books.bank.pk}
    api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="form-1")

    again = api.post(url, {**body, "amount": "500.00"}, format="json", HTTP_IDEMPOTENCY_KEY="form-1")

    assert again.status_code == 409
    assert again.json()["error"]["code"] == "idempotency_conflict"
    assert "form-1" in again.json()["error"]["fields"]["idempotency_key"][0]
    assert InvoicePayment.objects.get().amount == Decimal("400.00")


def test_payment_refusals(api, organization, books):
    invoice = InvoiceFactory(organization=organization, issued=True)
    url = f"{BASE}/invoices/{invoice.pk}/pay/"

    no_key = api.post(url, {"amount": "1", "date": "2026-03-05", "account": books.bank.pk}, format="json")
    too_much = api.post(url, {"amount": "1000.01", "date": "2026-03-05", "account": books.bank.pk,
                              "idempotency_key": "a"}, format="json")  # fmt: skip
    usd = api.post(url, {"amount": "1", "date": "2026-03-05", "account": books.usd.pk, "idempotency_key": "b"},
                   format="json")  # fmt: skip

    assert "idempotency_key" in _fields(no_key)
    assert "more than the 1,000.00\u00a0RUB still due" in _fields(too_much)["amount"][0]
    assert "holds USD" in _fields(usd)["account"][0]
    assert not InvoicePayment.objects.exists()


def test_void_is_refused_while_payments_stand_then_allowed_after_the_reversal(api, organization, books):
    invoice = InvoiceFactory(organization=organization, issued=True)
    payment = api.post(
        f"{BASE}/invoices/{invoice.pk}/pay/",
        {"amount": "100", "date": "2026-03-05", "account": books.bank.pk, "idempotency_key": "p"},
        format="json",
    ).json()["payment"]

    refused = api.post(f"{BASE}/invoices/{invoice.pk}/void/", {"reason": "wrong"}, format="json")
    reversed_payment = api.post(f"{BASE}/invoice-payments/{payment['id']}/reverse/", {}, format="json")
    voided = api.post(f"{BASE}/invoices/{invoice.pk}/void/", {"reason": "wrong"}, format="json")

    assert refused.status_code == 400
    assert "Reverse the payment first" in refused.json()["error"]["message"]
    assert reversed_payment.status_code == 200
    assert reversed_payment.json()["reversed"] is True
    assert voided.status_code == 200
    assert voided.json()["status"] == "void"
    assert voided.json()["void_transaction"]


def test_a_viewer_reads_but_cannot_issue(organization, member_of):
    invoice = InvoiceFactory(organization=organization)
    client = APIClient()
    client.force_authenticate(member_of(organization, role=Role.VIEWER))

    assert client.get(f"{BASE}/invoices/{invoice.pk}/").status_code == 200
    assert client.post(f"{BASE}/invoices/{invoice.pk}/issue/").status_code == 403
    assert Invoice.objects.get(pk=invoice.pk).status == "draft"


def test_the_invoice_list_runs_the_same_queries_for_1_and_20_invoices(api, organization, books):
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = api.get(f"{BASE}/invoices/", {"page_size": 50})
        assert response.status_code == 200
        return len(queries), response.json()["count"]

    api.get(f"{BASE}/invoices/")  # warm up: the user's memberships are read once per user object
    invoice = InvoiceFactory(organization=organization, issued=True)
    from apps.ledger.services import invoice_payment_record

    invoice_payment_record(
        invoice=invoice, user=None, amount="1", date=dt.date(2026, 3, 3), account=books.bank, idempotency_key="x"
    )
    one, count_one = count_queries()
    for n in range(19):
        other = InvoiceFactory(organization=organization, issued=n % 2 == 0, lines=[
            {"description": "a", "unit_price": "1"}, {"description": "b", "unit_price": "2"}])  # fmt: skip
        if n % 2 == 0:
            invoice_payment_record(
                invoice=other, user=None, amount="1", date=dt.date(2026, 3, 3), account=books.bank,
                idempotency_key=f"x{n}",
            )  # fmt: skip
    twenty, count_twenty = count_queries()

    assert (count_one, count_twenty) == (1, 20)
    assert one == twenty == 4  # count, invoices (+ organization, counterparty, currency), lines, payments


def test_filters(api, organization):
    draft = InvoiceFactory(organization=organization)
    issued = InvoiceFactory(organization=organization, issued=True)

    drafts = api.get(f"{BASE}/invoices/", {"status": "draft"}).json()["results"]
    found = api.get(f"{BASE}/invoices/", {"search": "INV-2026-000001"}).json()["results"]

    assert [i["id"] for i in drafts] == [draft.pk]
    assert [i["id"] for i in found] == [issued.pk]


# --- recurring payments -----------------------------------------------------------------------------------


def test_recurring_payments_are_created_paused_resumed_and_posted(api, organization, books):
    created = api.post(
        f"{BASE}/recurring-payments/",
        {"name": "Rent", "start_date": "2026-01-31", "interval_unit": "months", "from_account": books.bank.pk,
         "to_account": books.rent.pk, "amount": "85000.00"},
        format="json",
    )  # fmt: skip
    assert created.status_code == 201, created.content
    url = f"{BASE}/recurring-payments/{created.json()['id']}/"
    assert created.json()["next_due_date"] == "2026-01-31"
    assert sorted(leg["amount"] for leg in created.json()["legs"]) == ["-85000", "85000"]

    posted = api.post(f"{url}post-due/")
    paused = api.post(f"{url}pause/")
    resumed = api.post(f"{url}resume/", {"catch_up": True}, format="json")

    assert posted.status_code == 200
    assert posted.json()["posted"] == ["2026-01-31", "2026-02-28"]
    assert paused.json()["paused"] is True
    assert resumed.json()["paused"] is False
    assert resumed.json()["next_due_date"] == "2026-03-31"
    assert Transaction.objects.filter(kind="recurring").count() == 2


def test_a_recurring_template_that_does_not_balance_is_refused(api, books):
    response = api.post(
        f"{BASE}/recurring-payments/",
        {"name": "Broken", "start_date": "2026-01-01", "legs": [{"account": books.rent.pk, "amount": "10"},
                                                               {"account": books.bank.pk, "amount": "-9"}]},
        format="json",
    )  # fmt: skip

    assert response.status_code == 400
    assert "do not balance in RUB" in _fields(response)["legs"][0]
    assert not RecurringPayment.objects.exists()


def test_a_recurring_payment_is_changed_and_deleted(api, organization):
    recurring = RecurringPaymentFactory(organization=organization)
    url = f"{BASE}/recurring-payments/{recurring.pk}/"

    changed = api.patch(url, {"interval_count": 3, "day_of_month": 15}, format="json")
    deleted = api.delete(url)

    assert changed.status_code == 200, changed.content
    assert changed.json()["schedule"] == "every 3 months on day 15"
    assert deleted.status_code == 204
    assert not RecurringPayment.objects.exists()


# --- aging ------------------------------------------------------------------------------------------------


def test_the_aging_report(api, organization, other_organization, customer):
    InvoiceFactory(organization=organization, counterparty=customer, issued=True, due_date=dt.date(2026, 1, 31),
                   issue_date=dt.date(2026, 1, 1))  # fmt: skip
    InvoiceFactory(organization=organization, counterparty=customer, issued=True, currency_id="USD")

    response = api.get(f"{BASE}/aging/", {"as_of": "2026-03-10"})
    foreign = api.get(f"{BASE}/aging/", {"organization": other_organization.slug})

    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["organization"], data["kind"], data["as_of"]) == (organization.slug, "receivable", "2026-03-10")
    assert [b["key"] for b in data["buckets"]] == ["current", "days_1_30", "days_31_60", "days_61_90", "days_over_90"]
    assert data["rows"] == [
        {"counterparty": {"id": customer.pk, "name": "Romashka"}, "currency": "RUB", "current": "0.00",
         "days_1_30": "0.00", "days_31_60": "1000.00", "days_61_90": "0.00", "days_over_90": "0.00",
         "total": "1000.00", "invoices": 1},
        {"counterparty": {"id": customer.pk, "name": "Romashka"}, "currency": "USD", "current": "1000.00",
         "days_1_30": "0.00", "days_31_60": "0.00", "days_61_90": "0.00", "days_over_90": "0.00",
         "total": "1000.00", "invoices": 1},
    ]  # fmt: skip
    assert [t["currency"] for t in data["totals"]] == ["RUB", "USD"]
    assert foreign.status_code == 404
