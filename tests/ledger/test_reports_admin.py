"""The report pages in the admin: linked from the admin home, a filter form limited to the member's own
organizations, the tables, the CSV and XLSX buttons, and clear errors."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import translation

from apps.core.accounts.roles import Role
from apps.ledger import services
from apps.ledger.admin.reports import REPORTS, url_name
from apps.ledger.models import AccountType
from tests.core.factories import MembershipFactory
from tests.ledger.factories import AccountFactory, CounterpartyFactory, InvoiceFactory, ProjectFactory
from tests.ledger.test_reports import build_books

pytestmark = pytest.mark.django_db

PERIOD = {"date_from": "2026-01-01", "date_to": "2026-03-31"}


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def story(organization):
    return build_books(organization)


@pytest.fixture
def viewer(client, story, member_of):
    client.force_login(member_of(story.organization, role=Role.VIEWER))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def page_url(key: str) -> str:
    return reverse(f"admin:{url_name(key)}")


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_the_admin_home_links_every_report(viewer):
    response = viewer.get(reverse("admin:index"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Reports of the books" in html
    for page in REPORTS:
        assert page_url(page.key) in html
    assert viewer.get(reverse("admin:ledger_reports")).status_code == 200


def test_every_report_page_opens_with_defaults_and_with_filters(viewer, story):
    for page in REPORTS:
        assert viewer.get(page_url(page.key)).status_code == 200, page.key
        params = {**PERIOD, "project": story.website.pk, "account": story.cash.pk}
        response = viewer.get(page_url(page.key), params)
        assert response.status_code == 200, page.key
        assert not response.context["form"].errors, (page.key, response.context["form"].errors)
        assert response.context["report"] is not None, page.key


def test_profit_and_loss_page_shows_the_figures_by_month(viewer):
    response = viewer.get(page_url("profit-and-loss"), {**PERIOD, "period": "month"})

    html = response.content.decode()
    assert "2026-02" in html
    assert "116,450.00" in html
    assert "Export sales" in html


def test_balance_sheet_and_trial_balance_pages_say_they_balance(viewer):
    sheet = viewer.get(page_url("balance-sheet"), {"date_to": "2026-03-31"}).content.decode()
    trial = viewer.get(page_url("trial-balance"), PERIOD)

    assert "Assets equal liabilities, equity and earnings." in sheet
    assert "246,450.00" in sheet
    totals = trial.context["report"].totals
    assert totals["closing_debit"] == totals["closing_credit"]


def test_statement_page_asks_for_an_account_then_pages_its_rows(viewer, story, monkeypatch):
    monkeypatch.setattr("apps.ledger.admin.reports.STATEMENT_PAGE", 3)
    prompt = viewer.get(page_url("account-statement"))
    first = viewer.get(page_url("account-statement"), {**PERIOD, "account": story.cash.pk})
    second = viewer.get(page_url("account-statement"), {**PERIOD, "account": story.cash.pk, "page": 2})

    assert "Choose an account" in prompt.content.decode()
    assert [row.balance for row in first.context["rows"]] == [100000, 150000, 130000]
    assert [row.balance for row in second.context["rows"]] == [120900]
    assert "Page 1 of 2" in first.content.decode()


def test_downloads_from_the_page(viewer, story):
    csv_response = viewer.get(page_url("cash-flow"), {**PERIOD, "download": "csv"})
    xlsx_response = viewer.get(
        page_url("account-statement"), {**PERIOD, "account": story.usd_bank.pk, "download": "xlsx"}
    )

    assert csv_response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        body(csv_response).decode("utf-8-sig").splitlines()[0]
        == "Section,Line,Currency,Opening,Inflow,Outflow,Net,Closing"
    )
    sheet = openpyxl.load_workbook(io.BytesIO(body(xlsx_response))).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][0] == "Statement of 1030 Bank USD"
    header = next(row for row in values if row[0] == "Date")
    assert header[-2:] == ["Amount, RUB", "Balance, RUB"]
    assert values[-1][-1] == 95550


def test_a_missing_rate_is_shown_on_the_form(viewer, story):
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

    response = viewer.get(page_url("profit-and-loss"), PERIOD)
    usd_only = viewer.get(page_url("profit-and-loss"), {**PERIOD, "currency": "USD"})

    assert response.context["report"] is None
    assert "No exchange rate from EUR to RUB on or before 03/03/2026" in response.content.decode()
    assert usd_only.context["report"].net_total == 950


def test_another_organizations_rows_are_neither_offered_nor_accepted(client, story, other_organization, member_of):
    theirs = ProjectFactory(organization=other_organization, name="Their project")
    client.force_login(member_of(other_organization, role=Role.OWNER))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    page = client.get(page_url("account-statement"))
    foreign_org = client.get(page_url("profit-and-loss"), {**PERIOD, "organization": story.organization.slug})
    foreign_account = client.get(page_url("account-statement"), {**PERIOD, "account": story.cash.pk})

    form = page.context["form"]
    assert list(form.fields["organization"].queryset) == [other_organization]
    assert story.cash not in form.fields["account"].queryset
    assert story.website not in form.fields["project"].queryset
    assert theirs in form.fields["project"].queryset
    for response in (foreign_org, foreign_account):
        assert response.status_code == 200
        assert response.context["report"] is None
        html = response.content.decode()
        assert story.organization.name not in html
        assert "Website" not in html
        assert "Select a valid choice" in html


def test_a_member_of_two_organizations_cannot_mix_them(client, story, other_organization, member_of):
    user = member_of(story.organization)
    MembershipFactory(user=user, organization=other_organization)
    theirs = ProjectFactory(organization=other_organization, name="Other books project")
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    response = client.get(
        page_url("profit-and-loss"), {**PERIOD, "organization": story.organization.slug, "project": theirs.pk}
    )

    assert response.context["report"] is None
    assert response.context["form"].errors["project"] == ["This belongs to another of your organizations."]
    assert f"Other books project · {other_organization.name}" in response.content.decode()


def test_the_books_admin_links_to_these_pages(viewer):
    from apps.ledger.admin.common import report_links

    urls = dict(report_links())
    assert urls["Profit and loss"] == page_url("profit-and-loss")
    assert urls["Account statement"] == page_url("account-statement")


def test_anonymous_visitors_are_sent_to_sign_in(client, story):
    response = client.get(page_url("trial-balance"))

    assert response.status_code == 302
    assert "login" in response["Location"]


# --- the aging report ----------------------------------------------------------------------------------------


def _owed(organization, name, *, due, amount, kind="receivable"):
    return InvoiceFactory(
        organization=organization,
        kind=kind,
        counterparty=CounterpartyFactory(organization=organization, name=name),
        issue_date=due - dt.timedelta(days=10),
        due_date=due,
        lines=[{"description": "Work", "unit_price": amount}],
        issued=True,
    )


def test_the_aging_page_shows_what_each_customer_owes_by_age(viewer, story, other_organization):
    _owed(story.organization, "Initech", due=dt.date(2026, 3, 20), amount="1500")  # 11 days overdue
    _owed(story.organization, "Globex", due=dt.date(2026, 1, 10), amount="700")  # 80 days
    _owed(story.organization, "Supplier", due=dt.date(2026, 3, 20), amount="99", kind="payable")
    _owed(other_organization, "Their customer", due=dt.date(2026, 3, 20), amount="5555")

    response = viewer.get(page_url("aging"), {"date_to": "2026-03-31"})
    payables = viewer.get(page_url("aging"), {"date_to": "2026-03-31", "kind": "payable"})

    assert response.status_code == 200
    report = response.context["report"]
    assert [(row.counterparty, row.days_1_30, row.days_61_90) for row in report.rows] == [
        ("Globex", 0, 700),
        ("Initech", 1500, 0),
    ]
    html = response.content.decode()
    assert "Receivables aging as of 2026-03-31" in html
    assert "1,500.00" in html
    assert "2,200.00" in html
    table = html.split('id="ledger-report-title"')[1]
    assert "Their customer" not in html
    assert "5,555" not in html
    assert "Supplier" not in table  # a payable: not on the receivables' page
    assert [row.counterparty for row in payables.context["report"].rows] == ["Supplier"]


def test_the_aging_page_never_shows_another_organizations_invoices(client, story, other_organization, member_of):
    _owed(story.organization, "Initech", due=dt.date(2026, 3, 20), amount="1500")
    client.force_login(member_of(other_organization, role=Role.OWNER))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    own = client.get(page_url("aging"), {"date_to": "2026-03-31"})
    foreign = client.get(page_url("aging"), {"date_to": "2026-03-31", "organization": story.organization.slug})
    download = client.get(page_url("aging"), {"date_to": "2026-03-31", "download": "csv"})

    assert own.context["report"].rows == []
    assert "Nothing is owed as of this date." in own.content.decode()
    assert foreign.context["report"] is None
    assert "Select a valid choice" in foreign.content.decode()
    assert "Initech" not in body(download).decode("utf-8-sig")


def test_the_aging_downloads_as_csv_and_xlsx(viewer, story):
    _owed(story.organization, "Initech", due=dt.date(2026, 3, 20), amount="1500")

    csv_response = viewer.get(page_url("aging"), {"date_to": "2026-03-31", "download": "csv"})
    xlsx_response = viewer.get(page_url("aging"), {"date_to": "2026-03-31", "download": "xlsx"})

    lines = body(csv_response).decode("utf-8-sig").splitlines()
    assert lines[0] == "Counterparty,Currency,Current,1–30 days,31–60 days,61–90 days,Over 90 days,Total,Invoices"
    assert lines[1] == "Initech,RUB,0.00,1500.00,0.00,0.00,0.00,1500.00,1"
    assert lines[2] == "Total,RUB,0.00,1500.00,0.00,0.00,0.00,1500.00,1"
    assert "receivable_aging_2026-03-31.csv" in csv_response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(body(xlsx_response))).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][0] == "Receivables aging as of 2026-03-31"
    assert ["Initech", "RUB", 0, 1500, 0, 0, 0, 1500, 1] in values
