"""Bad input never answers 500: every refusal is a 400 in the API's JSON error shape naming the field, and
requests that would cost unbounded work are refused up front."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from apps.core.accounts.roles import Role
from apps.ledger.models import Counterparty, Project, Transaction
from tests.ledger import conftest as ledger_fixtures
from tests.ledger.factories import CounterpartyFactory

pytestmark = pytest.mark.django_db

LEDGER = "/api/v1/ledger"
books = ledger_fixtures.books  # the ledger's small chart of accounts, in RUB and USD


@pytest.fixture
def api(organization, member_of):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(member_of(organization, role=Role.OWNER))
    return client


def _fields(response) -> dict:
    assert response["Content-Type"].startswith("application/json"), response.content
    return response.json()["error"]["fields"]


def _income(books, **overrides):
    body = {
        "date": "2026-03-02",
        "account": books.cash.pk,
        "income_account": books.sales.pk,
        "amount": "100.00",
        "idempotency_key": "k-1",
    }
    body.update(overrides)
    return body


# --- valid requests that used to fail ----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["accounts", "balances"])
def test_lists_filter_by_currency_in_any_case(api, books, path):
    response = api.get(f"{LEDGER}/{path}/", {"currency": "usd"})
    assert response.status_code == 200, response.content
    assert {row["currency"] for row in response.json()["results"]} == {"USD"}


def test_an_invoice_without_kind_is_a_receivable(api, books):
    customer = CounterpartyFactory(organization=books.organization)
    body = {
        "counterparty": customer.pk,
        "currency": "RUB",
        "issue_date": "2026-03-02",
        "due_date": "2026-03-16",
        "lines": [{"description": "Consulting", "unit_price": "1000"}],
    }
    response = api.post(f"{LEDGER}/invoices/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["kind"] == "receivable"


# --- bad values: a 400 naming the field -------------------------------------------------------------------


def test_a_nul_character_in_a_slug_is_refused_on_every_write(api, books):
    response = api.post(f"{LEDGER}/projects/", {"organization": "a\x00b", "name": "Site"}, format="json")
    assert response.status_code == 400
    assert "NUL" in _fields(response)["organization"][0]
    response = api.post(f"{LEDGER}/operations/income/", _income(books, organization="\x00"), format="json")
    assert "organization" in _fields(response)


def test_a_nul_character_in_a_form_body_or_a_query_parameter_is_refused(api, books):
    response = api.post(f"{LEDGER}/projects/", {"organization": "x\x00", "name": "Site"})  # multipart
    assert response.status_code == 400
    assert "organization" in _fields(response)
    response = api.get(f"{LEDGER}/transactions/", {"q": "rent\x00"})
    assert response.status_code == 400
    assert "q" in _fields(response)


def test_a_nul_in_a_nested_field_names_its_path(api, books):
    body = {
        "date": "2026-03-02",
        "idempotency_key": "k",
        "entries": [
            {"account": books.cash.pk, "amount": "1"},
            {"account": books.sales.pk, "amount": "-1", "memo": "a\x00"},
        ],
    }
    response = api.post(f"{LEDGER}/transactions/", body, format="json")
    assert response.status_code == 400
    assert "entries.1.memo" in _fields(response)


@pytest.mark.parametrize("amount", ["1e30", "100000000000000000000", "-100000000000000000000.5"])
def test_an_amount_past_the_column_is_refused(api, books, amount):
    response = api.post(f"{LEDGER}/operations/income/", _income(books, amount=amount), format="json")
    assert response.status_code == 400
    assert "amount" in _fields(response)
    assert not Transaction.objects.exists()


@pytest.mark.parametrize("amount", ["١٠٠", "1_000", "1E+2", "+5", "5.", " .5", "0x10", "Infinity"])
def test_only_the_documented_spelling_of_an_amount_is_accepted(api, books, amount):
    response = api.post(f"{LEDGER}/operations/income/", _income(books, amount=amount), format="json")
    assert response.status_code == 400, amount
    assert "amount" in _fields(response)
    assert not Transaction.objects.exists()


def test_an_integer_amount_beyond_the_column_is_refused(api, books):
    response = api.post(f"{LEDGER}/operations/income/", _income(books, amount=10**25), format="json")
    assert "amount" in _fields(response)


def test_an_id_beyond_bigint_is_refused(api, books):
    response = api.post(f"{LEDGER}/operations/income/", _income(books, account=2**70), format="json")
    assert response.status_code == 400
    assert "account" in _fields(response)


def test_an_invoice_line_whose_amount_overflows_is_refused(api, books):
    customer = CounterpartyFactory(organization=books.organization)
    body = {
        "counterparty": customer.pk,
        "currency": "RUB",
        "issue_date": "2026-03-02",
        "due_date": "2026-03-16",
        "lines": [{"description": "A lot", "quantity": "99999999999999", "unit_price": "99999999999999999999"}],
    }
    response = api.post(f"{LEDGER}/invoices/", body, format="json")
    assert response.status_code == 400, response.content
    assert "lines.0.unit_price" in _fields(response)


@pytest.mark.parametrize("date", ["2200-01-01", "9999-12-31", "0001-01-01", "1899-12-31"])
def test_dates_outside_the_accepted_range_are_refused(api, books, date):
    response = api.post(f"{LEDGER}/operations/income/", _income(books, date=date), format="json")
    assert response.status_code == 400
    assert "2100-12-31" in _fields(response)["date"][0]


def test_report_and_filter_dates_are_bounded_too(api, books):
    response = api.get(f"{LEDGER}/reports/profit-and-loss/", {"date_from": "2026-01-01", "date_to": "9999-12-31"})
    assert response.status_code == 400
    assert "date_to" in _fields(response)
    response = api.get(f"{LEDGER}/transactions/", {"date_from": "0001-01-01"})
    assert response.status_code == 400
    assert "date_from" in _fields(response)


def test_json_nested_thousands_of_levels_is_a_400(api, books):
    body = "[" * 5000 + "]" * 5000
    response = api.post(f"{LEDGER}/projects/", body, content_type="application/json")
    assert response.status_code == 400
    assert "nests deeper" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("body", "language", "message"),
    [
        ('{"name": "Q",\n "code": }', "en", "The body is not valid JSON: reading stopped at line 2, column 10."),
        (
            '{"name": "Q",\n "code": }',
            "ru",
            "Тело запроса не является корректным JSON: разбор остановился в строке 2, столбце 10.",
        ),
        (b'{"name": "\xff"}', "en", "The body is not UTF-8 text (byte 11)."),
        (b'{"name": "\xff"}', "ru", "Тело запроса не является текстом в кодировке UTF-8 (байт 11)."),
    ],
)
def test_a_body_that_is_not_json_is_refused_in_the_users_language_saying_where(api, books, body, language, message):
    before = Project.objects.count()
    response = api.post(
        f"{LEDGER}/projects/", body, content_type="application/json", headers={"Accept-Language": language}
    )

    assert response.status_code == 400
    assert response.json()["error"]["message"] == message
    assert Project.objects.count() == before


# --- bounded work -----------------------------------------------------------------------------------------


def test_a_profit_and_loss_with_too_many_columns_is_refused(api, books):
    response = api.get(
        f"{LEDGER}/reports/profit-and-loss/", {"date_from": "1900-01-01", "date_to": "2100-12-31", "period": "month"}
    )
    assert response.status_code == 400
    assert "At most 120 columns" in _fields(response)["period"][0]
    ten_years = api.get(
        f"{LEDGER}/reports/profit-and-loss/", {"date_from": "2016-04-01", "date_to": "2026-03-31", "period": "month"}
    )
    assert ten_years.status_code == 200
    assert len(ten_years.json()["periods"]) == 120


def test_a_posting_with_too_many_legs_is_refused_before_any_work(api, books):
    legs = [{"account": books.cash.pk, "amount": "1"}, {"account": books.sales.pk, "amount": "-1"}] * 300
    body = {"date": "2026-03-02", "idempotency_key": "big", "entries": legs}
    response = api.post(f"{LEDGER}/transactions/", body, format="json")
    assert response.status_code == 400
    assert "500" in _fields(response)["entries"][0]


def test_a_megabyte_of_notes_is_refused_naming_the_field_and_the_limit(api, books):
    body = {"name": "Romashka", "notes": "x" * 1_000_000}
    response = api.post(f"{LEDGER}/counterparties/", body, format="json")
    assert response.status_code == 400
    assert "5000" in _fields(response)["notes"][0]
    assert not Counterparty.objects.exists()


# --- every 4xx has a JSON body ----------------------------------------------------------------------------


def test_an_empty_multipart_body_answers_json(api, books):
    response = api.generic("POST", f"{LEDGER}/projects/", b"", content_type="multipart/form-data; boundary=x")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"]


def test_an_unknown_api_path_answers_json(api):
    response = api.get(f"{LEDGER}/accounts/not-a-number/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_the_schema_declares_report_amounts_as_strings_and_every_error_answer():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    section = schema["components"]["schemas"]["ProfitAndLossSection"]["properties"]
    assert section["total"]["type"] == "string"
    operation = schema["paths"]["/api/v1/ledger/accounts/"]["get"]
    assert {"400", "401", "403", "404", "429"} <= set(operation["responses"])
    assert json.dumps(operation["responses"]["404"]).count("#/components/schemas/Error") == 1
