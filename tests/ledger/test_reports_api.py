"""The report endpoints under /api/v1/ledger/reports/: JSON with money as strings, CSV and XLSX downloads,
the statement's pages, clear errors, organizations kept apart, and query counts that do not grow with the
books."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from apps.core.accounts import tokens
from apps.core.accounts.roles import Role
from apps.ledger import services
from apps.ledger.models import AccountType
from apps.ledger.services import Leg, Posting
from tests.ledger.factories import AccountFactory, ProjectFactory
from tests.ledger.test_reports import build_books

pytestmark = pytest.mark.django_db

PERIOD = {"date_from": "2026-01-01", "date_to": "2026-03-31"}
BASE = "/api/v1/ledger/reports/"


def report_paths(story) -> list[str]:
    return [
        f"{BASE}profit-and-loss/",
        f"{BASE}balance-sheet/",
        f"{BASE}trial-balance/",
        f"{BASE}cash-flow/",
        f"{BASE}accounts/{story.cash.pk}/statement/",
    ]


@pytest.fixture
def story(organization):
    return build_books(organization)


@pytest.fixture
def api(story, member_of):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(member_of(story.organization, role=Role.VIEWER))
    return client


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


# --- JSON ----------------------------------------------------------------------------------------------------


def test_profit_and_loss_answers_money_as_strings(api):
    response = api.get(f"{BASE}profit-and-loss/", {**PERIOD, "period": "month"})

    assert response.status_code == 200
    data = response.json()
    assert data["header"]["currency"] == "RUB"
    assert data["net_total"] == "116450.00"
    assert data["net"] == ["30000.00", "86450.00", "0.00"]
    assert [(line["code"], line["total"]) for line in data["income"]["lines"]] == [
        ("4000", "50000.00"),
        ("4010", "91000.00"),
    ]


def test_group_by_filters_and_one_currency(api, story):
    by_project = api.get(f"{BASE}profit-and-loss/", {**PERIOD, "group_by": "project"}).json()
    usd = api.get(f"{BASE}profit-and-loss/", {**PERIOD, "currency": "usd"}).json()
    website = api.get(f"{BASE}profit-and-loss/", {**PERIOD, "project": story.website.pk}).json()

    assert [line["label"] for line in by_project["income"]["lines"]] == ["Shop", "Website"]
    assert (usd["header"]["currency"], usd["header"]["converted"], usd["net_total"]) == ("USD", False, "950.00")
    assert website["net_total"] == "50000.00"
    assert website["header"]["filters"] == {"project": "Website"}


def test_the_other_reports(api, story):
    sheet = api.get(f"{BASE}balance-sheet/", {"date_to": "2026-03-31"}).json()
    trial = api.get(f"{BASE}trial-balance/", PERIOD).json()
    flow = api.get(f"{BASE}cash-flow/", PERIOD).json()

    assert sheet["assets"]["total"] == sheet["liabilities_and_equity"] == "246450.00"
    assert sheet["header"]["date_from"] is None
    assert trial["totals"]["debit"] == trial["totals"]["credit"]
    assert next(line for line in trial["lines"] if line["code"] == "1030")["native_closing"] == "1050.00"
    assert (flow["opening"], flow["closing"]) == ("0.00", "246450.00")


def test_dates_default_to_the_organizations_year_to_date(api):
    data = api.get(f"{BASE}profit-and-loss/").json()

    today = dt.date.fromisoformat(data["header"]["date_to"])
    assert data["header"]["date_from"] == today.replace(month=1, day=1).isoformat()
    assert abs((today - dt.date.today()).days) <= 1


def test_statement_is_paginated_and_the_running_balance_carries_over(api, story):
    first = api.get(f"{BASE}accounts/{story.cash.pk}/statement/", {**PERIOD, "page_size": 2}).json()
    second = api.get(first["next"]).json()

    assert (first["count"], first["opening"], first["closing"]) == (4, "0.00", "120900.00")
    assert [row["balance"] for row in first["results"]] == ["100000.00", "150000.00"]
    assert [row["balance"] for row in second["results"]] == ["130000.00", "120900.00"]
    assert second["next"] is None
    assert second["results"][0]["credit"] == "20000.00"
    assert second["results"][0]["debit"] is None


def test_statement_of_a_foreign_account_adds_the_reporting_currency(api, story):
    data = api.get(f"{BASE}accounts/{story.usd_bank.pk}/statement/", PERIOD).json()

    assert data["account"]["currency"] == "USD"
    assert [(r["debit"], r["converted_amount"], r["converted_balance"]) for r in data["results"]] == [
        ("1000.00", "91000.00", "91000.00"),
        ("100.00", "9100.00", "100100.00"),
        (None, "-4550.00", "95550.00"),
    ]
    assert data["converted_closing"] == "95550.00"


# --- errors --------------------------------------------------------------------------------------------------


def test_bad_parameters_answer_400_naming_the_field(api, story, other_organization):
    foreign = ProjectFactory(organization=other_organization)

    backwards = api.get(f"{BASE}profit-and-loss/", {"date_from": "2026-03-01", "date_to": "2026-01-01"})
    grouping = api.get(f"{BASE}profit-and-loss/", {"group_by": "colour"})
    project = api.get(f"{BASE}profit-and-loss/", {**PERIOD, "project": foreign.pk})
    currency = api.get(f"{BASE}trial-balance/", {**PERIOD, "currency": "XYZ"})

    assert backwards.status_code == grouping.status_code == project.status_code == currency.status_code == 400
    assert "date_from" in backwards.json()["error"]["fields"]
    assert "group_by" in grouping.json()["error"]["fields"]
    assert project.json()["error"]["fields"] == {"project": ["No such project in this organization."]}
    assert "currency" in currency.json()["error"]["fields"]


def test_a_missing_rate_answers_422_with_the_pair_and_the_date(api, story):
    euro = AccountFactory(organization=story.organization, code="1040", currency_id="EUR")
    income = AccountFactory(organization=story.organization, code="4040", type=AccountType.INCOME, currency_id="EUR")
    services.income_post(
        organization=story.organization,
        user=None,
        date=dt.date(2026, 3, 3),
        account=euro,
        income_account=income,
        amount="10",
        idempotency_key="eur",
    )

    response = api.get(f"{BASE}profit-and-loss/", {**PERIOD, "format": "csv"})

    assert response.status_code == 422
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert (error["code"], error["base"], error["quote"], error["date"]) == ("missing_rate", "EUR", "RUB", "2026-03-03")
    assert "EUR" in error["message"]


def test_anonymous_requests_are_refused(story):
    response = APIClient().get(f"{BASE}profit-and-loss/", {"format": "xlsx"})

    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"


# --- organizations apart -------------------------------------------------------------------------------------


@pytest.fixture(params=["owner", "api_key"])
def client_of_b(request, other_organization, member_of):
    client = APIClient()
    if request.param == "owner":
        owner = member_of(other_organization, role=Role.OWNER)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.access_token_issue(user=owner, family=uuid.uuid4())}")
    else:
        _key, plain = tokens.api_key_create(
            organization=other_organization, name="B's key", scopes=["read", "write"], role=Role.ADMIN, by=None
        )
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {plain}")
    return client


def test_another_organization_is_not_found_in_any_report_or_format(story, client_of_b):
    wrong = []
    for path in report_paths(story):
        for extra in ({}, {"format": "csv"}, {"format": "xlsx"}):
            response = client_of_b.get(path, {**PERIOD, "organization": story.organization.slug, **extra})
            if response.status_code != 404 or b"Website" in body(response) or b"Acme" in body(response):
                wrong.append(f"{path} {extra}: {response.status_code}")
    assert not wrong, "\n".join(wrong)


def test_without_a_slug_a_member_sees_their_own_organization_only(story, client_of_b):
    for path in report_paths(story)[:4]:
        response = client_of_b.get(path, PERIOD)
        assert response.status_code == 200, path
        assert story.organization.name.encode() not in response.content
        assert b"Website" not in response.content
    statement = client_of_b.get(f"{BASE}accounts/{story.cash.pk}/statement/", PERIOD)
    assert statement.status_code == 404


def test_a_member_of_two_organizations_names_the_one_they_mean(story, other_organization, member_of):
    from tests.core.factories import MembershipFactory

    user = member_of(story.organization)
    MembershipFactory(user=user, organization=other_organization)
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)

    unnamed = client.get(f"{BASE}profit-and-loss/", PERIOD)
    named = client.get(f"{BASE}profit-and-loss/", {**PERIOD, "organization": story.organization.slug})

    assert unnamed.status_code == 400
    assert "organization" in unnamed.json()["error"]["fields"]
    assert named.json()["net_total"] == "116450.00"


def test_a_superuser_names_any_organization(story):
    from tests.core.factories import UserFactory

    client = APIClient()
    client.force_authenticate(UserFactory(is_superuser=True, is_staff=True))

    assert client.get(f"{BASE}profit-and-loss/", PERIOD).status_code == 400
    response = client.get(f"{BASE}profit-and-loss/", {**PERIOD, "organization": story.organization.slug})
    assert response.json()["net_total"] == "116450.00"


# --- downloads -----------------------------------------------------------------------------------------------


def test_csv_has_a_bom_a_translated_header_and_plain_numbers(api):
    response = api.get(f"{BASE}profit-and-loss/", {**PERIOD, "format": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="profit-and-loss_2026-01-01_2026-03-31.csv"' in response["Content-Disposition"]
    raw = body(response)
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["Section", "Code", "Account", "Total"]
    assert ["Income", "4010", "Export sales", "91000.00"] in rows
    assert rows[-1] == ["Net result", "", "Income minus expenses", "116450.00"]


def test_xlsx_has_numeric_cells_with_the_currencys_decimals(api, story):
    response = api.get(f"{BASE}trial-balance/", {**PERIOD, "format": "xlsx"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = openpyxl.load_workbook(io.BytesIO(body(response))).active
    rows = list(sheet.iter_rows())
    header_row = next(n for n, row in enumerate(rows) if row[0].value == "Code")
    assert rows[0][0].value == "Trial balance"
    assert any("RUB" in str(row[0].value) for row in rows[1:header_row])
    cash = next(row for row in rows if row[0].value == "1010")
    debit = cash[6]
    assert isinstance(debit.value, int | float)
    assert Decimal(str(debit.value)) == Decimal("150000")
    assert debit.number_format == "#,##0.00;-#,##0.00"
    assert sheet.freeze_panes == f"A{header_row + 2}"


def test_statement_csv_streams_every_row(api, story):
    response = api.get(f"{BASE}accounts/{story.cash.pk}/statement/", {**PERIOD, "format": "csv", "page_size": 1})

    assert response.streaming
    rows = list(csv.reader(io.StringIO(body(response).decode("utf-8-sig"))))
    assert len(rows) == 1 + 1 + 4 + 1  # header, opening, four entries, closing
    assert rows[-1][3] == "Closing balance"
    assert rows[-1][10] == "120900.00"


# --- query counts ----------------------------------------------------------------------------------------------


def _grow(story, count: int, prefix: str) -> None:
    postings = [
        Posting(
            date=dt.date(2026, 1, 1) + dt.timedelta(days=n % 80),
            idempotency_key=f"{prefix}-{n}",
            entries=[
                Leg(story.cash.pk, Decimal("10"), project=story.website.pk),
                Leg(story.sales.pk, Decimal("-10"), project=story.website.pk),
            ],
        )
        for n in range(count)
    ] + [
        Posting(
            date=dt.date(2026, 2, 1) + dt.timedelta(days=n % 50),
            idempotency_key=f"{prefix}-usd-{n}",
            entries=[Leg(story.usd_bank.pk, Decimal("1")), Leg(story.usd_sales.pk, Decimal("-1"))],
        )
        for n in range(count)
    ]
    services.transactions_post_batch(organization=story.organization, user=None, postings=postings)


QUERY_BUDGET = {
    # Whatever the number of entries: the user and their memberships, the organization, the currency, then
    # the report's own (the accounts, one aggregate, the rates of every foreign date at once; a statement
    # reads its account, its totals with the opening balance, then one page).
    "profit-and-loss/": 7,
    "balance-sheet/": 7,
    "trial-balance/": 7,
    "cash-flow/": 7,
    "statement/": 7,
}


def _counts(api, story, params) -> dict[str, int]:
    counts = {}
    for path in report_paths(story):
        with CaptureQueriesContext(connection) as queries:
            response = api.get(path, params)
        assert response.status_code == 200, (path, response.content[:300])
        body(response)
        counts[next(key for key in QUERY_BUDGET if path.endswith(key))] = len(queries)
    return counts


def test_query_counts_do_not_grow_with_the_books(story, member_of):
    # A signed-in person with an access token, as a script would call: each request reads the user afresh.
    api = APIClient()
    user = member_of(story.organization, role=Role.VIEWER)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.access_token_issue(user=user, family=uuid.uuid4())}")
    api.get(f"{BASE}profit-and-loss/", PERIOD)  # the first request of a login also checks its token family
    params = {**PERIOD, "page_size": 3}  # with the USD entries: one query fetches all the rates
    small = _counts(api, story, params)
    _grow(story, 40, "more")
    large = _counts(api, story, params)

    assert small == large, (small, large)
    assert small == QUERY_BUDGET


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_description_of_a_report_is_json_even_when_a_file_is_asked_for(api, fmt):
    response = api.options(f"{BASE}profit-and-loss/?format={fmt}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["name"]
