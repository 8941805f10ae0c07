"""The books in the admin: the chart as a tree with balances, the posting form that explains an imbalance
before saving and posts once per form, read-only posted transactions with the reverse action, the closed
period."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.core.accounts.roles import Role
from apps.core.models import AuditLog
from apps.ledger import services
from apps.ledger.models import Account, AccountBalance, AccountType, PeriodLock, Transaction
from tests.ledger.factories import AccountFactory, CounterpartyFactory

pytestmark = pytest.mark.django_db

DAY = date(2026, 4, 15)


def url(view, *args):
    return reverse(f"admin:ledger_{view}", args=args)


def signed_in(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@pytest.fixture
def bookkeeper(books, member_of):
    return member_of(books.organization, role=Role.BOOKKEEPER)


@pytest.fixture
def client(bookkeeper):
    return signed_in(bookkeeper)


def income(books, key="i1", amount="100.00", day=DAY, account=None):
    return services.income_post(
        organization=books.organization,
        user=None,
        date=day,
        account=account or books.cash,
        income_account=books.sales,
        amount=amount,
        idempotency_key=key,
    )


# --- the chart of accounts --------------------------------------------------------------------------------


def test_the_chart_is_a_tree_grouped_by_type_with_natural_balances(client, books):
    child = AccountFactory(organization=books.organization, code="1011", name="Till", parent=books.cash)
    income(books, amount="250.00", account=books.bank)  # cash is now a parent: it takes no postings

    response = client.get(url("account_changelist"))

    assert response.status_code == 200
    rows = list(response.context["cl"].result_list)
    assert [a.code for a in rows] == ["1010", "1011", "1020", "1030", "2000", "4000", "5000"]
    assert rows[1].pk == child.pk
    assert rows[1].depth == 1
    html = response.content.decode()
    assert "ledger-depth-1" in html
    assert "250.00" in html  # sales, a credit, shown positive
    assert "-250.00" not in html


def test_the_chart_runs_the_same_queries_for_few_and_many_accounts(client, books):
    client.get(url("account_changelist"))
    with CaptureQueriesContext(connection) as few:
        client.get(url("account_changelist"))
    for n in range(30):
        AccountFactory(organization=books.organization, code=f"3{n:03}", parent=books.cash if n % 2 else None)
    with CaptureQueriesContext(connection) as many:
        client.get(url("account_changelist"))

    assert len(many) == len(few)


def test_an_account_is_opened_through_the_service_and_audited(client, books):
    response = client.post(
        url("account_add"),
        {"organization": books.organization.pk, "code": "1050", "name": "Petty cash", "type": "asset",
         "currency": "RUB", "parent": books.cash.pk, "purpose": "cash", "is_active": "on"},
    )  # fmt: skip

    assert response.status_code == 302, response.context["adminform"].form.errors
    account = Account.objects.get(code="1050")
    assert account.parent == books.cash
    assert AuditLog.objects.filter(action="ledger.account.create", object_id=str(account.pk)).exists()


def test_an_account_under_a_parent_of_another_type_is_refused_on_the_form(client, books):
    response = client.post(
        url("account_add"),
        {"organization": books.organization.pk, "code": "5010", "name": "Ads", "type": "expense",
         "currency": "RUB", "parent": books.cash.pk, "is_active": "on"},
    )  # fmt: skip

    assert response.status_code == 200
    assert "parent" in response.context["adminform"].form.errors
    assert not Account.objects.filter(code="5010").exists()


def test_a_used_account_keeps_its_currency_and_cannot_be_deleted(client, books):
    income(books)

    change = client.get(url("account_change", books.cash.pk))
    delete = client.post(url("account_delete", books.cash.pk), {"post": "yes"}, follow=True)

    assert "currency" not in change.context["adminform"].form.fields
    assert Account.objects.filter(pk=books.cash.pk).exists()
    assert delete.status_code in (200, 403)


# --- the posting form -------------------------------------------------------------------------------------


def posting(books, lines, **fields):
    data = {
        "organization": books.organization.pk,
        "date": "2026-04-15",
        "kind": "complex",
        "description": "Office rent and deposit",
        "idempotency_key": fields.pop("key", "form-1"),
        "legs-TOTAL_FORMS": str(len(lines)),
        "legs-INITIAL_FORMS": "0",
        "legs-MIN_NUM_FORMS": "0",
        "legs-MAX_NUM_FORMS": "200",
        **fields,
    }
    for index, line in enumerate(lines):
        for name, value in line.items():
            data[f"legs-{index}-{name}"] = value.pk if hasattr(value, "pk") else value
    return data


def test_the_form_gives_each_render_its_own_idempotency_key(client):
    first = client.get(url("transaction_add"))
    second = client.get(url("transaction_add"))

    keys = [r.context["adminform"].form["idempotency_key"].value() for r in (first, second)]
    assert first.status_code == 200
    assert keys[0]
    assert keys[0] != keys[1]
    assert 'type="hidden" name="idempotency_key"' in first.content.decode()
    assert "ledger-admin.js" in first.content.decode()


def test_a_balanced_form_posts_and_shows_the_transaction(client, books):
    data = posting(books, [
        {"account": books.rent, "debit": "1,000.50"},
        {"account": books.bank, "credit": "1000.50", "memo": "paid"},
        {},
    ])  # fmt: skip

    response = client.post(url("transaction_add"), data)

    posted = Transaction.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("transaction_change", posted.pk)
    assert posted.idempotency_key == "client:form-1"  # the form's key is a client's key, in its namespace
    assert AccountBalance.objects.get(account=books.rent).balance == Decimal("1000.50")
    assert list(posted.entries.values_list("memo", flat=True)) == ["", "paid"]


def test_amounts_are_typed_as_people_write_them_in_russian(bookkeeper, books):
    client = Client(HTTP_ACCEPT_LANGUAGE="ru")
    client.force_login(bookkeeper)
    data = posting(books, [{"account": books.rent, "debit": "1 500,50"}, {"account": books.bank, "credit": "1500.50"}])

    client.post(url("transaction_add"), data)

    assert AccountBalance.objects.get(account=books.rent).balance == Decimal("1500.50")


def test_an_unbalanced_form_says_by_how_much_in_each_currency_and_saves_nothing(client, books):
    data = posting(books, [
        {"account": books.rent, "debit": "1150.00"},
        {"account": books.bank, "credit": "1000"},
        {"account": books.usd, "credit": "20"},
    ])  # fmt: skip

    response = client.post(url("transaction_add"), data)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Debits exceed credits by 150.00\u00a0RUB." in html
    assert "Credits exceed debits by 20.00\u00a0USD." in html
    assert not Transaction.objects.exists()


def test_a_line_needs_an_account_and_one_side(client, books):
    data = posting(books, [
        {"account": books.rent, "debit": "10", "credit": "10"},
        {"debit": "5"},
        {"account": books.bank},
    ])  # fmt: skip

    response = client.post(url("transaction_add"), data)

    legs = response.context["legs"]
    assert legs.forms[0].non_field_errors()
    assert "account" in legs.forms[1].errors
    assert "debit" in legs.forms[2].errors


def test_the_services_refusal_shows_on_the_line_it_names(client, books):
    data = posting(books, [
        {"account": books.rent, "debit": "10.001"},
        {"account": books.bank, "credit": "10.001"},
    ])  # fmt: skip

    response = client.post(url("transaction_add"), data)

    legs = response.context["legs"]
    assert "debit" in legs.forms[0].errors
    assert "RUB" in str(legs.forms[0].errors["debit"])
    assert not Transaction.objects.exists()


def test_a_closed_period_refuses_on_the_date(client, books):
    services.period_lock(organization=books.organization, user=None, locked_through=date(2026, 4, 30))
    data = posting(books, [{"account": books.rent, "debit": "10"}, {"account": books.bank, "credit": "10"}])

    response = client.post(url("transaction_add"), data)

    assert "date" in response.context["adminform"].form.errors


def test_submitting_the_same_form_twice_posts_once(client, books):
    data = posting(books, [{"account": books.rent, "debit": "10"}, {"account": books.bank, "credit": "10"}])

    first = client.post(url("transaction_add"), data)
    second = client.post(url("transaction_add"), data, follow=True)

    assert Transaction.objects.count() == 1
    assert first["Location"] == second.redirect_chain[-1][0]
    assert "already posted" in second.content.decode()


def test_a_viewer_cannot_open_the_posting_form(books, member_of):
    viewer = signed_in(member_of(books.organization, role=Role.VIEWER))

    assert viewer.get(url("transaction_add")).status_code == 403
    assert viewer.get(url("transaction_changelist")).status_code == 200


def test_the_form_offers_only_the_users_accounts(client, books, other_organization):
    foreign = AccountFactory(organization=other_organization)

    response = client.get(url("transaction_add"))

    choices = [value for value, _label in response.context["legs"].forms[0].fields["account"].choices]
    assert books.cash.pk in choices
    assert foreign.pk not in choices


# --- posted transactions ----------------------------------------------------------------------------------


def test_a_posted_transaction_is_read_only(client, books):
    posted = income(books)

    page = client.get(url("transaction_change", posted.pk))
    change = client.post(url("transaction_change", posted.pk), {"description": "edited"})
    delete = client.post(url("transaction_delete", posted.pk), {"post": "yes"})

    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="_save"' not in html
    assert url("transaction_reverse", posted.pk) in html
    assert change.status_code == 403
    assert delete.status_code == 403
    assert Transaction.objects.get().description == ""


def test_reversing_asks_for_a_date_and_a_reason(client, books):
    posted = income(books)

    page = client.get(url("transaction_reverse", posted.pk))
    missing = client.post(url("transaction_reverse", posted.pk), {"post": "yes", "date": "2026-04-20"})
    done = client.post(url("transaction_reverse", posted.pk), {"post": "yes", "date": "2026-04-20", "reason": "Typo"})

    assert page.status_code == 200
    assert "reason" in page.context["form"].fields
    assert "reason" in missing.context["form"].errors
    reversal = Transaction.objects.get(reverses=posted)
    assert done["Location"] == url("transaction_change", reversal.pk)
    assert reversal.date == date(2026, 4, 20)
    assert "Typo" in reversal.description
    assert AccountBalance.objects.get(account=books.cash).balance == 0


def test_a_viewer_may_not_reverse(books, member_of):
    posted = income(books)
    viewer = signed_in(member_of(books.organization, role=Role.VIEWER))

    assert viewer.get(url("transaction_reverse", posted.pk)).status_code == 403
    assert viewer.get(url("transaction_change", posted.pk)).status_code == 200
    assert (
        url("transaction_reverse", posted.pk) not in viewer.get(url("transaction_change", posted.pk)).content.decode()
    )


def test_the_reverse_action_reverses_the_selected_and_skips_what_cannot_be(client, books):
    first, second = income(books, "a"), income(books, "b")
    earlier = services.transaction_reverse(transaction=first, user=None, reason="done before")
    selected = {"action": "reverse_selected", "_selected_action": [first.pk, second.pk, earlier.pk]}

    confirm = client.post(url("transaction_changelist"), selected)
    done = client.post(
        url("transaction_changelist"), {**selected, "post": "yes", "date": "2026-04-16", "reason": "Duplicates"}
    )

    assert confirm.status_code == 200
    assert confirm.context["reversible_count"] == 1
    assert done.status_code == 302
    assert Transaction.objects.filter(reverses=second).exists()
    assert Transaction.objects.filter(kind="reversal").count() == 2


def test_another_organizations_transaction_is_not_found(client, other_organization):
    cash = AccountFactory(organization=other_organization)
    sales = AccountFactory(organization=other_organization, type=AccountType.INCOME)
    foreign = services.income_post(organization=other_organization, user=None, date=DAY, account=cash,
                                   income_account=sales, amount="1", idempotency_key="x")  # fmt: skip

    assert client.get(url("transaction_change", foreign.pk)).status_code == 404
    assert client.get(url("transaction_reverse", foreign.pk)).status_code == 404


def test_the_journal_runs_the_same_queries_for_few_and_many_transactions(client, books):
    income(books, "first")
    client.get(url("transaction_changelist"))
    with CaptureQueriesContext(connection) as few:
        client.get(url("transaction_changelist"))
    for n in range(20):
        services.income_post(organization=books.organization, user=None, date=DAY, account=books.bank,
                             income_account=books.sales, amount="3", idempotency_key=f"n{n}",
                             counterparty=CounterpartyFactory(organization=books.organization))  # fmt: skip
    with CaptureQueriesContext(connection) as many:
        response = client.get(url("transaction_changelist"))

    assert len(response.context["cl"].result_list) == 21
    assert len(many) == len(few)


def test_the_journal_links_to_the_reports(client, books):
    html = client.get(url("transaction_changelist")).content.decode()

    assert "ledger-report-links" in html
    assert reverse("admin:ledger_report_trial_balance") in html
    assert reverse("ledger:dashboard") in html


# --- the closed period ------------------------------------------------------------------------------------


def test_closing_the_books_goes_through_the_service(client, books):
    response = client.post(
        url("periodlock_add"), {"organization": books.organization.pk, "locked_through": "2026-03-31"}
    )

    lock = PeriodLock.objects.get()
    assert response.status_code == 302
    assert lock.locked_through == date(2026, 3, 31)
    assert AuditLog.objects.filter(action="ledger.period.lock").exists()


def test_reopening_is_for_those_who_manage_the_organization(client, books, member_of):
    lock = services.period_lock(organization=books.organization, user=None, locked_through=date(2026, 3, 31))

    refused = client.post(url("periodlock_change", lock.pk), {"locked_through": "2026-02-28"})
    owner = signed_in(member_of(books.organization, role=Role.OWNER))
    allowed = owner.post(url("periodlock_change", lock.pk), {"locked_through": "2026-02-28"})

    assert refused.status_code == 200
    assert refused.context["adminform"].form.non_field_errors()
    assert allowed.status_code == 302
    lock.refresh_from_db()
    assert lock.locked_through == date(2026, 2, 28)
    assert client.get(url("periodlock_delete", lock.pk)).status_code == 403
