"""Each picker offers what fits its purpose, and the services refuse what the pickers do not offer: no expense
or capital account as cash or bank, no cash account on an invoice line, an income operation's income account
is an income account (an expense's an expense account), and a parent account takes no postings (refused by
the posting function itself too). Each refusal names the field and writes nothing."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from rest_framework.test import APIClient

from apps.core.accounts import tokens
from apps.core.accounts.roles import Role
from apps.ledger import selectors, services
from apps.ledger.admin.invoices import PaymentForm
from apps.ledger.admin.posting import LegChoices
from apps.ledger.models import Account, AccountType, Invoice, InvoicePayment, RecurringPayment, Transaction
from apps.ledger.services import books as book_services
from apps.ledger.services import recurring as recurring_services
from apps.ledger.services.invoices import invoice_lines_check
from tests.ledger.factories import AccountFactory, CounterpartyFactory, InvoiceFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 4, 15)


@pytest.fixture
def chart(books):
    """The books' chart with what must not be picked: a capital account, receivables, a parent with a child,
    a closed bank."""
    org = books.organization
    books.capital = AccountFactory(organization=org, code="3000", name="Capital", type=AccountType.EQUITY)
    books.receivable = AccountFactory(
        organization=org, code="1200", name="Receivables", purpose=Account.Purpose.RECEIVABLE
    )
    books.banks = AccountFactory(organization=org, code="1100", name="Banks")
    books.branch = AccountFactory(organization=org, code="1101", name="Branch bank", parent=books.banks)
    books.closed = AccountFactory(organization=org, code="1900", name="Old bank", is_active=False)
    return books


def _refused(call) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.message_dict


def _income(books, **overrides):
    arguments = {
        "organization": books.organization,
        "user": None,
        "date": DAY,
        "account": books.cash,
        "income_account": books.sales,
        "amount": "100.00",
        "idempotency_key": uuid.uuid4().hex,
    }
    return services.income_post(**{**arguments, **overrides})


def _expense(books, **overrides):
    arguments = {
        "organization": books.organization,
        "user": None,
        "date": DAY,
        "account": books.cash,
        "expense_account": books.rent,
        "amount": "100.00",
        "idempotency_key": uuid.uuid4().hex,
    }
    return services.expense_post(**{**arguments, **overrides})


# --- the services --------------------------------------------------------------------------------------


def test_the_income_operation_refuses_an_expense_account_as_its_income_account(chart):
    errors = _refused(lambda: _income(chart, income_account=chart.rent))

    assert list(errors) == ["income_account"]
    assert "5000 Rent is not an income account" in errors["income_account"][0]
    assert not Transaction.objects.exists()


def test_the_expense_operation_refuses_an_income_account_as_its_expense_account(chart):
    errors = _refused(lambda: _expense(chart, expense_account=chart.sales))

    assert list(errors) == ["expense_account"]
    assert "4000 Sales is not an expense account" in errors["expense_account"][0]
    assert not Transaction.objects.exists()


@pytest.mark.parametrize("wrong", ["rent", "capital", "receivable", "sales"])
def test_income_and_expense_take_no_expense_capital_or_receivable_account_as_cash_or_bank(chart, wrong):
    income_errors = _refused(lambda: _income(chart, account=getattr(chart, wrong)))
    expense_errors = _refused(lambda: _expense(chart, account=getattr(chart, wrong)))

    assert list(income_errors) == list(expense_errors) == ["account"]
    assert "is not a cash or bank account" in income_errors["account"][0]
    assert not Transaction.objects.exists()


def test_a_liability_such_as_a_card_is_a_cash_or_bank_account(chart):
    posted = _expense(chart, account=chart.loan)

    assert posted.pk is not None


def test_a_transfer_moves_money_between_cash_or_bank_accounts_only(chart):
    def transfer(source, target):
        return lambda: services.transfer_post(
            organization=chart.organization,
            user=None,
            date=DAY,
            from_account=source,
            to_account=target,
            amount="10",
            idempotency_key=uuid.uuid4().hex,
        )

    from_capital = _refused(transfer(chart.capital, chart.bank))
    to_expense = _refused(transfer(chart.bank, chart.rent))
    to_parent = _refused(transfer(chart.bank, chart.banks))

    assert list(from_capital) == ["from_account"]
    assert "3000 Capital is not a cash or bank account" in from_capital["from_account"][0]
    assert list(to_expense) == ["to_account"]
    assert list(to_parent) == ["to_account"]
    assert "1100 Banks has sub-accounts and takes no postings" in to_parent["to_account"][0]
    assert not Transaction.objects.exists()


def test_an_invoice_payment_goes_through_a_cash_or_bank_account(chart):
    invoice = InvoiceFactory(organization=chart.organization, issued=True)

    errors = _refused(
        lambda: services.invoice_payment_record(
            invoice=invoice, user=None, amount="100", date=DAY, account=chart.rent, idempotency_key="p1"
        )
    )

    assert list(errors) == ["account"]
    assert "5000 Rent is not a cash or bank account" in errors["account"][0]
    assert not InvoicePayment.objects.exists()
    assert not Transaction.objects.filter(kind=Transaction.Kind.PAYMENT).exists()


@pytest.mark.parametrize(
    ("kind", "wrong", "says"),
    [
        ("receivable", "cash", "1010 Cash is not an income account"),
        ("receivable", "rent", "5000 Rent is not an income account"),
        ("payable", "bank", "1020 Bank is not an expense account"),
        ("payable", "sales", "4000 Sales is not an expense account"),
    ],
)
def test_an_invoice_line_takes_income_when_selling_and_expense_when_buying(chart, kind, wrong, says):
    errors = _refused(
        lambda: invoice_lines_check(
            organization_id=chart.organization.pk,
            kind=kind,
            currency="RUB",
            lines=[{"description": "Work", "quantity": "1", "unit_price": "10", "account": getattr(chart, wrong)}],
        )
    )

    assert list(errors) == ["lines.0.account"]
    assert says in errors["lines.0.account"][0]


def test_an_invoice_with_a_cash_line_is_not_saved(chart):
    with pytest.raises(ValidationError) as caught:
        InvoiceFactory(
            organization=chart.organization,
            lines=[{"description": "Work", "quantity": "1", "unit_price": "10", "account": chart.cash.pk}],
        )

    assert "lines.0.account" in caught.value.message_dict
    assert not Invoice.objects.exists()


def test_a_leg_on_a_parent_account_is_refused_naming_the_leg(chart):
    errors = _refused(
        lambda: services.transaction_post(
            organization=chart.organization,
            user=None,
            date=DAY,
            entries=[{"account": chart.cash.pk, "amount": "5"}, {"account": chart.banks.pk, "amount": "-5"}],
            idempotency_key="parent",
        )
    )

    assert list(errors) == ["entries.1.account"]
    assert "1100 Banks (RUB) has sub-accounts and takes no postings" in errors["entries.1.account"][0]
    assert not Transaction.objects.exists()


def test_the_posting_function_itself_refuses_a_leg_on_a_parent_account(chart):
    """Raw SQL that skips the services meets the same rule: the database refuses the leg."""
    payload = [
        {
            "date": "2026-04-15",
            "kind": "complex",
            "description": "",
            "key": "client:raw",
            "reverses": None,
            "fx_rate": None,
            "legs": [
                {"account": chart.cash.pk, "amount": "5", "project": None, "category": None, "counterparty": None},
                {"account": chart.banks.pk, "amount": "-5", "project": None, "category": None, "counterparty": None},
            ],
        }
    ]

    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT * FROM ledger_post_many(%s, NULL, %s::jsonb)", [chart.organization.pk, json.dumps(payload)]
        )
    assert not Transaction.objects.exists()


def test_an_account_that_holds_entries_cannot_become_a_parent(chart):
    _income(chart)

    errors = _refused(
        lambda: book_services.account_create(
            organization=chart.organization,
            user=None,
            code="1011",
            name="Till",
            type="asset",
            currency_id="RUB",
            parent=chart.cash,
        )  # fmt: skip
    )

    assert list(errors) == ["parent"]
    assert "already holds entries" in errors["parent"][0]
    assert not Account.objects.filter(code="1011").exists()


def test_a_recurring_payment_leg_on_a_parent_account_is_refused(chart):
    errors = _refused(
        lambda: recurring_services.recurring_legs_check(
            organization_id=chart.organization.pk,
            legs=[{"account": chart.rent, "amount": "10"}, {"account": chart.banks, "amount": "-10"}],
        )
    )

    assert list(errors) == ["legs.1.account"]
    assert not RecurringPayment.objects.exists()


def test_the_api_names_the_operation_field_it_refuses(chart, member_of):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    user = member_of(chart.organization, role=Role.BOOKKEEPER)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.access_token_issue(user=user, family=uuid.uuid4())}")
    body = {"date": "2026-04-15", "account": chart.cash.pk, "income_account": chart.rent.pk, "amount": "15.00"}

    response = client.post("/api/v1/ledger/operations/income/", body, format="json", HTTP_IDEMPOTENCY_KEY="k1")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["income_account"]
    assert not Transaction.objects.exists()


# --- the pickers -----------------------------------------------------------------------------------------


def test_the_cash_picker_offers_open_cash_and_bank_accounts_without_sub_accounts(chart, other_organization):
    AccountFactory(organization=other_organization, code="1010", name="Their cash")

    offered = set(selectors.accounts_for(chart.organization, "cash").values_list("code", flat=True))

    assert offered == {"1010", "1020", "1030", "1101", "2000"}  # cash, banks, the branch bank, the loan (a card)


def test_the_income_and_expense_pickers_offer_only_their_kind(chart):
    AccountFactory(organization=chart.organization, code="4100", name="Sales group", type=AccountType.INCOME)
    AccountFactory(
        organization=chart.organization,
        code="4101",
        name="Services",
        type=AccountType.INCOME,
        parent=Account.objects.get(code="4100"),
    )

    income = set(selectors.accounts_for(chart.organization, "income").values_list("code", flat=True))
    expense = set(selectors.accounts_for(chart.organization, "expense").values_list("code", flat=True))

    assert income == {"4000", "4101"}
    assert expense == {"5000"}


def test_the_payment_form_offers_cash_and_bank_accounts_in_the_invoice_currency(chart):
    invoice = InvoiceFactory(organization=chart.organization, issued=True)

    offered = set(PaymentForm(invoice=invoice).fields["account"].queryset.values_list("code", flat=True))

    assert offered == {"1010", "1020", "1101", "2000"}  # not the USD bank, receivables, expenses or a parent


def _admin_client(client, organization, member_of):
    client.force_login(member_of(organization, role=Role.BOOKKEEPER))
    return client


def test_a_receivable_draft_offers_income_accounts_on_its_lines(client, chart, member_of):
    invoice = InvoiceFactory(organization=chart.organization)
    CounterpartyFactory(organization=chart.organization)

    response = _admin_client(client, chart.organization, member_of).get(
        reverse("admin:ledger_invoice_change", args=[invoice.pk])
    )

    [lines] = [f for f in response.context["inline_admin_formsets"] if f.formset.prefix == "lines"]
    offered = set(lines.formset.forms[0].fields["account"].queryset.values_list("code", flat=True))
    assert offered == {"4000"}


def test_a_new_invoice_offers_income_and_expense_accounts_on_its_lines_never_cash(client, chart, member_of):
    response = _admin_client(client, chart.organization, member_of).get(reverse("admin:ledger_invoice_add"))

    [lines] = [f for f in response.context["inline_admin_formsets"] if f.formset.prefix == "lines"]
    offered = set(lines.formset.forms[0].fields["account"].queryset.values_list("code", flat=True))
    assert offered == {"4000", "5000"}


def test_the_posting_form_shows_parent_accounts_but_they_cannot_be_chosen(chart, member_of):
    user = member_of(chart.organization, role=Role.BOOKKEEPER)

    choices = LegChoices.for_user(user)

    assert choices.parents == {chart.banks.pk}
    from apps.ledger.admin.posting import LegForm

    html = str(LegForm(choices=choices)["account"])
    assert f'value="{chart.banks.pk}" disabled' in html
    assert f'value="{chart.branch.pk}" disabled' not in html


def test_the_recurring_payment_legs_offer_no_parent_account(client, chart, member_of):
    response = _admin_client(client, chart.organization, member_of).get(reverse("admin:ledger_recurringpayment_add"))

    [legs] = response.context["inline_admin_formsets"]
    offered = set(legs.formset.forms[0].fields["account"].queryset.values_list("code", flat=True))
    assert chart.banks.code not in offered
    assert chart.closed.code not in offered
    assert {"1010", "1101", "5000"} <= offered
