"""The reports of the books: figures worked out by hand from a small set of postings, in the reporting
currency (at the rates of the entries' dates) and in one currency as it is, with filters.

The story (organization in RUB; USD rates: public 90 from 1 January, public 92 and the organization's own
91 from 1 February, so the own rate wins that day; and the rate of the 5 February exchange):

- 10 Jan  owner puts in 100,000 RUB cash (capital)
- 15 Jan  sale 50,000 RUB cash (project Website, category Sales, counterparty Acme)
- 20 Jan  rent 20,000 RUB from cash (category Rent)
- 01 Feb  sale 1,000 USD to the USD bank                         → 91,000 RUB at the own rate
- 05 Feb  exchange 9,100 RUB cash → 100 USD (the deal's rate is recorded on the transaction)
- 10 Feb  stationery 50 USD from the USD bank (category Stationery, under Office)  → 4,550 RUB
- 01 Mar  loan of 30,000 RUB into the bank
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from apps.core.models import FxRate
from apps.core.selectors import fx_rate_for
from apps.ledger import services
from apps.ledger.models import Account, AccountType, Category
from apps.ledger.reports import (
    MissingRate,
    ReportFilters,
    account_statement,
    balance_sheet,
    cash_flow,
    profit_and_loss,
    trial_balance,
)
from apps.ledger.reports.base import ReportQuery
from apps.ledger.services import Leg
from tests.ledger.factories import AccountFactory, CategoryFactory, CounterpartyFactory, ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Labels and messages are compared in English (the default language is Russian)."""
    with translation.override("en"):
        yield


D = Decimal
JAN_1, MAR_31 = dt.date(2026, 1, 1), dt.date(2026, 3, 31)


def build_books(organization):
    """The story of the module docstring, posted through the services. Returns a namespace of its rows."""

    class Books:
        pass

    b = Books
    b.organization = organization
    org = organization.pk

    def account(code, name, kind, currency="RUB", purpose=""):
        return AccountFactory(
            organization=organization, code=code, name=name, type=kind, currency_id=currency, purpose=purpose
        )

    b.cash = account("1010", "Cash", AccountType.ASSET, purpose=Account.Purpose.CASH)
    b.bank = account("1020", "Bank", AccountType.ASSET, purpose=Account.Purpose.CASH)
    b.usd_bank = account("1030", "Bank USD", AccountType.ASSET, "USD", Account.Purpose.CASH)
    b.loan = account("2000", "Loan", AccountType.LIABILITY)
    b.capital = account("3000", "Capital", AccountType.EQUITY)
    b.sales = account("4000", "Sales", AccountType.INCOME)
    b.usd_sales = account("4010", "Export sales", AccountType.INCOME, "USD")
    b.rent = account("5000", "Rent", AccountType.EXPENSE)
    b.usd_costs = account("5010", "Costs abroad", AccountType.EXPENSE, "USD")
    b.website = ProjectFactory(organization=organization, name="Website")
    b.shop = ProjectFactory(organization=organization, name="Shop")
    b.sales_category = CategoryFactory(organization=organization, name="Sales", kind=Category.Kind.INCOME)
    b.rent_category = CategoryFactory(organization=organization, name="Rent")
    b.office = CategoryFactory(organization=organization, name="Office")
    b.stationery = CategoryFactory(organization=organization, name="Stationery", parent=b.office)
    b.acme = CounterpartyFactory(organization=organization, name="Acme")

    FxRate.objects.create(date=dt.date(2026, 1, 1), base_id="USD", quote_id="RUB", rate=D("90"), source="cbr")
    FxRate.objects.create(date=dt.date(2026, 2, 1), base_id="USD", quote_id="RUB", rate=D("92"), source="cbr")
    FxRate.objects.create(
        organization=organization, date=dt.date(2026, 2, 1), base_id="USD", quote_id="RUB", rate=D("91")
    )

    services.transaction_post(
        organization=org,
        user=None,
        date=dt.date(2026, 1, 10),
        idempotency_key="capital",
        description="Owner's capital",
        entries=[Leg(b.cash.pk, D("100000")), Leg(b.capital.pk, D("-100000"))],
    )
    services.income_post(
        organization=org,
        user=None,
        date=dt.date(2026, 1, 15),
        account=b.cash,
        income_account=b.sales,
        amount="50000",
        project=b.website,
        category=b.sales_category,
        counterparty=b.acme,
        idempotency_key="sale-1",
        description="Website for Acme",
    )
    services.expense_post(
        organization=org,
        user=None,
        date=dt.date(2026, 1, 20),
        account=b.cash,
        expense_account=b.rent,
        amount="20000",
        category=b.rent_category,
        idempotency_key="rent-jan",
        description="Rent, January",
    )
    services.income_post(
        organization=org,
        user=None,
        date=dt.date(2026, 2, 1),
        account=b.usd_bank,
        income_account=b.usd_sales,
        amount="1000",
        project=b.shop,
        idempotency_key="sale-usd",
        description="Export order",
    )
    services.transfer_post(
        organization=org,
        user=None,
        date=dt.date(2026, 2, 5),
        from_account=b.cash,
        to_account=b.usd_bank,
        amount="9100",
        to_amount="100",
        idempotency_key="exchange-1",
        description="Buy dollars",
    )
    services.expense_post(
        organization=org,
        user=None,
        date=dt.date(2026, 2, 10),
        account=b.usd_bank,
        expense_account=b.usd_costs,
        amount="50",
        category=b.stationery,
        idempotency_key="stationery",
        description="Paper and pens",
    )
    services.transaction_post(
        organization=org,
        user=None,
        date=dt.date(2026, 3, 1),
        idempotency_key="loan",
        description="Bank loan",
        entries=[Leg(b.bank.pk, D("30000")), Leg(b.loan.pk, D("-30000"))],
    )
    return b


@pytest.fixture
def story(organization):
    return build_books(organization)


def lines_by_code(section):
    return {line.code: line.total for line in section.lines}


# --- profit and loss ----------------------------------------------------------------------------------------


def test_profit_and_loss_in_the_reporting_currency_at_the_rates_of_the_entries_dates(story):
    report = profit_and_loss(organization=story.organization, date_from=JAN_1, date_to=MAR_31)

    # 1,000 USD on 1 Feb at the organization's own 91 (not the public 92 of the same day); 50 USD on 10 Feb at
    # the rate of the 5 Feb exchange (the latest on or before that date), 100 USD for 9,100 RUB.
    assert lines_by_code(report.income) == {"4000": D("50000.00"), "4010": D("91000.00")}
    assert lines_by_code(report.expenses) == {"5000": D("20000.00"), "5010": D("4550.00")}
    assert (report.income.total, report.expenses.total, report.net_total) == (
        D("141000.00"),
        D("24550.00"),
        D("116450.00"),
    )
    assert report.header.currency == "RUB"
    assert report.header.converted


def test_profit_and_loss_in_one_currency_counts_only_its_entries_unconverted(story):
    report = profit_and_loss(organization=story.organization, date_from=JAN_1, date_to=MAR_31, currency="USD")

    assert lines_by_code(report.income) == {"4010": D("1000")}
    assert lines_by_code(report.expenses) == {"5010": D("50")}
    assert report.net_total == D("950")
    assert not report.header.converted


def test_profit_and_loss_by_month_foots_across_and_down(story):
    report = profit_and_loss(organization=story.organization, date_from=JAN_1, date_to=MAR_31, period="month")

    assert [p.label for p in report.periods] == ["2026-01", "2026-02", "2026-03"]
    assert report.income.amounts == (D("50000.00"), D("91000.00"), D("0"))
    assert report.expenses.amounts == (D("20000.00"), D("4550.00"), D("0"))
    assert report.net == (D("30000.00"), D("86450.00"), D("0"))
    assert sum(report.net) == report.net_total
    for line in report.income.lines + report.expenses.lines:
        assert sum(line.amounts) == line.total


def test_quarters_and_partial_periods(story):
    report = profit_and_loss(
        organization=story.organization, date_from=dt.date(2026, 1, 16), date_to=dt.date(2026, 4, 30), period="quarter"
    )

    assert [(p.start, p.end) for p in report.periods] == [
        (dt.date(2026, 1, 16), dt.date(2026, 3, 31)),
        (dt.date(2026, 4, 1), dt.date(2026, 4, 30)),
    ]
    assert report.income.total == D("91000.00")  # the 15 January sale is before the period


def test_profit_and_loss_by_project_and_by_category(story):
    by_project = profit_and_loss(organization=story.organization, date_from=JAN_1, date_to=MAR_31, group_by="project")
    by_category = profit_and_loss(organization=story.organization, date_from=JAN_1, date_to=MAR_31, group_by="category")

    assert [(line.label, line.total) for line in by_project.income.lines] == [
        ("Shop", D("91000.00")),
        ("Website", D("50000.00")),
    ]
    assert [(line.label, line.total) for line in by_project.expenses.lines] == [("No project", D("24550.00"))]
    assert [(line.label, line.total) for line in by_category.expenses.lines] == [
        ("Rent", D("20000.00")),
        ("Stationery", D("4550.00")),
    ]
    assert [(line.label, line.total) for line in by_category.income.lines] == [
        ("Sales", D("50000.00")),
        ("No category", D("91000.00")),
    ]
    assert by_project.net_total == by_category.net_total == D("116450.00")


def test_filters_by_project_counterparty_and_category_with_its_subcategories(story):
    def net(**filters):
        return profit_and_loss(
            organization=story.organization, date_from=JAN_1, date_to=MAR_31, filters=ReportFilters(**filters)
        )

    assert net(project=story.website.pk).net_total == D("50000.00")
    assert net(counterparty=story.acme.pk).income.total == D("50000.00")
    office = net(category=story.office.pk)  # Stationery is under Office
    assert (office.income.total, office.expenses.total) == (D("0"), D("4550.00"))
    assert office.header.filters == {"category": "Office"}


def test_another_organizations_tags_are_refused_as_unknown(story, other_organization):
    foreign = ProjectFactory(organization=other_organization, name="Theirs")

    with pytest.raises(ValidationError) as caught:
        profit_and_loss(
            organization=story.organization, date_from=JAN_1, date_to=MAR_31, filters=ReportFilters(project=foreign.pk)
        )

    assert caught.value.message_dict == {"project": ["No such project in this organization."]}


def test_a_missing_rate_is_an_error_naming_the_pair_and_the_date(organization):
    euro = AccountFactory(organization=organization, code="1040", type=AccountType.ASSET, currency_id="EUR")
    income = AccountFactory(organization=organization, code="4040", type=AccountType.INCOME, currency_id="EUR")
    services.income_post(
        organization=organization,
        user=None,
        date=dt.date(2026, 3, 3),
        account=euro,
        income_account=income,
        amount="10",
        idempotency_key="eur",
    )

    with pytest.raises(MissingRate) as caught:
        profit_and_loss(organization=organization, date_from=JAN_1, date_to=MAR_31)

    assert (caught.value.base, caught.value.quote, caught.value.date) == ("EUR", "RUB", dt.date(2026, 3, 3))
    assert "EUR" in caught.value.messages[0]
    assert "03/03/2026" in caught.value.messages[0]  # a date in a sentence, as the locale writes it
    # A rate dated after the entry does not help; one quoted the other way round (RUB→EUR) does, inverted.
    FxRate.objects.create(date=dt.date(2026, 3, 4), base_id="EUR", quote_id="RUB", rate=D("100"))
    with pytest.raises(MissingRate):
        profit_and_loss(organization=organization, date_from=JAN_1, date_to=MAR_31)
    FxRate.objects.create(date=dt.date(2026, 3, 1), base_id="RUB", quote_id="EUR", rate=D("0.008"))
    assert profit_and_loss(organization=organization, date_from=JAN_1, date_to=MAR_31).net_total == D("1250.00")


def test_cross_rate_through_rub_when_neither_currency_is_rub(organization):
    organization.reporting_currency_id = "USD"
    organization.save()
    euro = AccountFactory(organization=organization, code="1040", currency_id="EUR")
    income = AccountFactory(organization=organization, code="4040", type=AccountType.INCOME, currency_id="EUR")
    services.income_post(
        organization=organization,
        user=None,
        date=dt.date(2026, 3, 3),
        account=euro,
        income_account=income,
        amount="100",
        idempotency_key="eur",
    )
    FxRate.objects.create(date=dt.date(2026, 3, 2), base_id="EUR", quote_id="RUB", rate=D("100"))
    FxRate.objects.create(date=dt.date(2026, 3, 3), base_id="USD", quote_id="RUB", rate=D("80"))
    FxRate.objects.create(date=dt.date(2026, 1, 1), base_id="EUR", quote_id="USD", rate=D("1.1"))

    report = profit_and_loss(organization=organization, date_from=JAN_1, date_to=MAR_31)

    # EUR/USD of 1 January is older than both legs through RUB (2 and 3 March): 100 / 80 = 1.25.
    assert report.income.total == D("125.00")


def test_report_rates_follow_the_rule_of_fx_rate_for(story):
    query = ReportQuery(organization=story.organization, date_from=None, date_to=MAR_31)
    days = [dt.date(2026, 1, 1), dt.date(2026, 1, 31), dt.date(2026, 2, 1), dt.date(2026, 2, 5), dt.date(2026, 3, 9)]

    query.load_rates(("USD", day) for day in days)

    for day in days:
        chosen = fx_rate_for(organization=story.organization, base="USD", quote="RUB", on=day)
        assert query.exact(D(1), "USD", day) == chosen.rate, day


def test_another_organizations_own_rate_is_never_used(organization, other_organization):
    usd = AccountFactory(organization=organization, code="1030", currency_id="USD")
    income = AccountFactory(organization=organization, code="4010", type=AccountType.INCOME, currency_id="USD")
    services.income_post(
        organization=organization,
        user=None,
        date=dt.date(2026, 3, 3),
        account=usd,
        income_account=income,
        amount="1",
        idempotency_key="usd",
    )
    FxRate.objects.create(
        organization=other_organization, date=dt.date(2026, 3, 1), base_id="USD", quote_id="RUB", rate=1
    )

    with pytest.raises(MissingRate):
        profit_and_loss(organization=organization, date_from=JAN_1, date_to=MAR_31)


def test_bad_arguments_are_refused_clearly(story):
    with pytest.raises(ValidationError) as caught:
        profit_and_loss(organization=story.organization, date_from=MAR_31, date_to=JAN_1)
    assert "date_from" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        profit_and_loss(organization=story.organization, date_from=JAN_1, date_to=MAR_31, group_by="colour")
    assert "group_by" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        profit_and_loss(organization=story.organization, date_from=JAN_1, date_to=MAR_31, currency="XYZ")
    assert "currency" in caught.value.message_dict


# --- balance sheet and trial balance -------------------------------------------------------------------


def test_balance_sheet_balances_with_current_earnings(story):
    sheet = balance_sheet(organization=story.organization, date_to=MAR_31)

    assets = {line.code: (line.native, line.amount) for line in sheet.assets.lines}
    assert assets == {
        "1010": (D("120900"), D("120900.00")),
        "1020": (D("30000"), D("30000.00")),
        "1030": (D("1050"), D("95550.00")),  # 91,000 + 9,100 - 4,550
    }
    assert [(line.code, line.amount) for line in sheet.liabilities.lines] == [("2000", D("30000.00"))]
    assert sheet.earnings == D("116450.00")
    # The exchange accounts: RUB paid out (-9,100 as equity) and USD taken in (+9,100 at the deal's rate).
    assert sheet.equity.total == D("100000.00")
    assert sheet.difference == 0
    assert sheet.assets.total == D("246450.00")
    assert sheet.assets.total == sheet.liabilities.total + sheet.equity.total + sheet.earnings


def test_balance_sheet_at_an_earlier_date_and_in_one_currency(story):
    january = balance_sheet(organization=story.organization, date_to=dt.date(2026, 1, 31))
    usd = balance_sheet(organization=story.organization, date_to=MAR_31, currency="USD")

    assert january.assets.total == D("130000.00")
    assert january.earnings == D("30000.00")
    assert january.assets.total == january.liabilities.total + january.equity.total + january.earnings
    assert usd.assets.total == D("1050")
    assert usd.earnings == D("950")
    assert usd.equity.total == D("100")  # the USD exchange account
    assert usd.assets.total == usd.liabilities.total + usd.equity.total + usd.earnings


def test_trial_balance_debits_equal_credits_and_closing_balances_match_the_stored_ones(story):
    report = trial_balance(organization=story.organization, date_from=dt.date(2026, 2, 1), date_to=MAR_31)

    totals = report.totals
    assert totals["opening_debit"] == totals["opening_credit"] == D("150000.00")  # cash and rent; capital and sales
    assert totals["debit"] == totals["credit"]
    assert totals["closing_debit"] == totals["closing_credit"]
    assert all(line.account_id for line in report.lines)  # no rounding line was needed
    cash = next(line for line in report.lines if line.code == "1010")
    assert (cash.opening_debit, cash.debit, cash.credit, cash.closing_debit) == (
        D("130000.00"),
        D("0"),
        D("9100.00"),
        D("120900.00"),
    )
    from apps.ledger.models import AccountBalance

    stored = dict(AccountBalance.objects.filter(organization=story.organization).values_list("account_id", "balance"))
    assert {line.account_id: line.native_closing for line in report.lines} == {
        pk: balance for pk, balance in stored.items() if balance
    }


def test_conversion_rounding_is_shown_as_its_own_line(organization):
    """Two bank accounts each get 1.00 USD of one 2.00 USD sale, at 1.005: each rounds to 1.00 RUB, the sale
    to 2.01 RUB (half-even). The balance sheet and the trial balance show the cent as a line of its own."""
    one = AccountFactory(organization=organization, code="1031", currency_id="USD")
    two = AccountFactory(organization=organization, code="1032", currency_id="USD")
    sales = AccountFactory(organization=organization, code="4010", type=AccountType.INCOME, currency_id="USD")
    FxRate.objects.create(date=dt.date(2026, 1, 1), base_id="USD", quote_id="RUB", rate=D("1.005"))
    services.transaction_post(
        organization=organization,
        user=None,
        date=dt.date(2026, 1, 5),
        idempotency_key="split",
        entries=[Leg(one.pk, D("1")), Leg(two.pk, D("1")), Leg(sales.pk, D("-2"))],
    )

    sheet = balance_sheet(organization=organization, date_to=MAR_31)
    report = trial_balance(organization=organization, date_to=MAR_31)

    assert (sheet.assets.total, sheet.earnings, sheet.difference) == (D("2.00"), D("2.01"), D("-0.01"))
    assert sheet.difference_label == "Conversion rounding"
    assert sheet.assets.total == sheet.liabilities_and_equity
    rounding = report.lines[-1]
    assert rounding.account_id is None
    assert rounding.name == "Conversion rounding"
    assert report.totals["debit"] == report.totals["credit"] == D("2.01")
    assert report.totals["closing_debit"] == report.totals["closing_credit"]


def test_tag_filters_can_unbalance_the_balance_sheet_and_say_so(story):
    sheet = balance_sheet(organization=story.organization, date_to=MAR_31, filters=ReportFilters(project=story.shop.pk))

    assert sheet.assets.total == D("91000.00")
    assert sheet.earnings == D("91000.00")
    assert sheet.difference == 0
    partial = balance_sheet(
        organization=story.organization, date_to=MAR_31, filters=ReportFilters(category=story.rent_category.pk)
    )
    assert partial.assets.total == D("-20000.00")
    assert partial.earnings == D("-20000.00")


# --- cash flow ----------------------------------------------------------------------------------------------


def test_cash_flow_by_category_from_opening_to_closing_cash(story):
    report = cash_flow(organization=story.organization, date_from=JAN_1, date_to=MAR_31)

    lines = {line.label: (line.inflow, line.outflow) for line in report.lines}
    assert lines == {
        "Sales": (D("50000.00"), D("0")),
        "Rent": (D("0"), D("20000.00")),
        "Stationery": (D("0"), D("4550.00")),
        "Uncategorized": (D("221000.00"), D("0")),  # capital 100,000, export sale 91,000, loan 30,000
        "Transfers between cash accounts": (D("9100.00"), D("9100.00")),
    }
    assert [line.label for line in report.lines][-2:] == ["Uncategorized", "Transfers between cash accounts"]
    assert report.opening == 0
    assert report.closing == report.opening + report.inflow - report.outflow == D("246450.00")
    accounts = {line.code: (line.opening, line.inflow, line.outflow, line.closing) for line in report.accounts}
    assert accounts["1030"] == (D("0"), D("100100.00"), D("4550.00"), D("95550.00"))


def test_cash_flow_opening_is_the_cash_before_the_period(story):
    report = cash_flow(organization=story.organization, date_from=dt.date(2026, 2, 1), date_to=MAR_31)

    assert report.opening == D("130000.00")
    assert report.closing == D("246450.00")


def test_cash_flow_category_filter_uses_the_resolved_category(story):
    report = cash_flow(
        organization=story.organization,
        date_from=JAN_1,
        date_to=MAR_31,
        filters=ReportFilters(category=story.office.pk),
    )

    assert [(line.label, line.outflow) for line in report.lines] == [("Stationery", D("4550.00"))]


def test_cash_flow_takes_the_category_of_the_other_legs_when_the_cash_leg_has_none(story):
    services.transaction_post(
        organization=story.organization.pk,
        user=None,
        date=dt.date(2026, 3, 2),
        idempotency_key="untagged-cash",
        entries=[Leg(story.rent.pk, D("700"), category=story.rent_category.pk), Leg(story.bank.pk, D("-700"))],
    )

    report = cash_flow(organization=story.organization, date_from=dt.date(2026, 3, 1), date_to=MAR_31)

    assert {line.label: line.outflow for line in report.lines}["Rent"] == D("700.00")


# --- account statement -------------------------------------------------------------------------------------


def test_statement_with_opening_and_running_balance(story):
    statement = account_statement(
        organization=story.organization, account=story.cash, date_from=dt.date(2026, 1, 16), date_to=MAR_31
    )

    assert (statement.opening, statement.closing, statement.count) == (D("150000"), D("120900"), 2)
    assert (statement.debit, statement.credit) == (D("0"), D("29100"))
    rows = list(statement.rows)
    assert [(r.date, r.credit, r.balance) for r in rows] == [
        (dt.date(2026, 1, 20), D("20000"), D("130000")),
        (dt.date(2026, 2, 5), D("9100"), D("120900")),
    ]
    assert rows[0].description == "Rent, January"
    assert rows[0].category == "Rent"
    assert statement.converted_opening is None  # a RUB account needs no conversion columns


def test_statement_pages_carry_the_running_balance_from_the_earlier_rows(story):
    statement = account_statement(organization=story.organization, account=story.cash, date_from=None, date_to=MAR_31)

    assert len(statement.rows) == 4
    assert [r.balance for r in statement.rows[2:4]] == [D("130000"), D("120900")]
    assert [r.balance for r in statement.rows[0:1]] == [D("100000")]


def test_statement_of_a_foreign_account_in_the_reporting_currency(story):
    statement = account_statement(
        organization=story.organization, account=story.usd_bank, date_from=dt.date(2026, 2, 2), date_to=MAR_31
    )

    assert (statement.opening, statement.closing) == (D("1000"), D("1050"))
    assert (statement.converted_opening, statement.converted_closing) == (D("91000.00"), D("95550.00"))
    rows = list(statement.rows)
    assert [(r.converted_amount, r.converted_balance) for r in rows] == [
        (D("9100.00"), D("100100.00")),
        (D("-4550.00"), D("95550.00")),
    ]
    assert [r.converted_balance for r in statement.rows[1:2]] == [D("95550.00")]


def test_statement_of_a_liability_shows_what_is_owed_positive(story):
    statement = account_statement(organization=story.organization, account=story.loan, date_from=JAN_1, date_to=MAR_31)

    assert [r.balance for r in statement.rows] == [D("30000")]
    assert statement.closing == D("30000")


def test_statement_with_a_tag_filter_sums_the_filtered_entries_before_the_period(story):
    statement = account_statement(
        organization=story.organization,
        account=story.cash,
        date_from=dt.date(2026, 1, 16),
        date_to=MAR_31,
        filters=ReportFilters(project=story.website.pk),
    )

    assert (statement.opening, statement.count, statement.closing) == (D("50000"), 0, D("50000"))


def test_statement_of_another_organizations_account_is_not_found(story, other_organization):
    foreign = AccountFactory(organization=other_organization)

    with pytest.raises(Account.DoesNotExist):
        account_statement(organization=story.organization, account=foreign, date_from=JAN_1, date_to=MAR_31)


def test_statement_in_another_currency_than_the_accounts_is_refused(story):
    with pytest.raises(ValidationError) as caught:
        account_statement(
            organization=story.organization, account=story.cash, date_from=JAN_1, date_to=MAR_31, currency="USD"
        )

    assert "holds RUB" in caught.value.message_dict["currency"][0]
