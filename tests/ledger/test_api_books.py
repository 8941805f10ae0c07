"""The books' API: operations and complex postings with idempotency keys, the journal and its filters,
reversals, the chart and its tags, balances, the closed period, and the query budgets."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from apps.core.accounts import tokens
from apps.core.accounts.roles import Role
from apps.ledger import services
from apps.ledger.models import Account, AccountBalance, AccountType, Transaction
from tests.core.factories import OrganizationFactory
from tests.ledger.factories import AccountFactory, CategoryFactory, CounterpartyFactory, ProjectFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/ledger"
DAY = date(2026, 4, 15)


@pytest.fixture
def bookkeeper(books, member_of):
    return member_of(books.organization, role=Role.BOOKKEEPER)


@pytest.fixture
def api(bookkeeper):
    """A bookkeeper's client, signed in with an access token as an integration would be."""
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    token = tokens.access_token_issue(user=bookkeeper, family=uuid.uuid4())
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def post(api, path, body, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return api.post(f"{API}/{path}", body, format="json", **headers)


def income_body(books, **extra):
    return {
        "date": "2026-04-15",
        "account": books.cash.pk,
        "income_account": books.sales.pk,
        "amount": "1500.00",
        **extra,
    }


def balance(account) -> Decimal:
    return AccountBalance.objects.get(account=account).balance


# --- operations and idempotency ---------------------------------------------------------------------------


def test_income_posts_once_per_idempotency_key(api, books):
    first = post(api, "operations/income/", income_body(books, description="Invoice 17"), key="inv-17")
    again = post(api, "operations/income/", income_body(books, description="Invoice 17"), key="inv-17")

    assert first.status_code == 201, first.json()
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert Transaction.objects.count() == 1
    assert balance(books.cash) == Decimal("1500.00")
    body = first.json()
    assert body["kind"] == "income"
    assert body["idempotency_key"] == "inv-17"
    assert body["totals"] == [{"currency": "RUB", "amount": "1500.00"}]
    assert [(e["account"], e["amount"], e["debit"], e["credit"]) for e in body["entries"]] == [
        (books.cash.pk, "1500.00", "1500.00", None),
        (books.sales.pk, "-1500.00", None, "1500.00"),
    ]


def test_the_same_key_with_a_different_body_is_refused_with_409_and_changes_nothing(api, books):
    first = post(api, "operations/income/", income_body(books), key="k1")
    again = post(api, "operations/income/", income_body(books, amount="99.00", date="2026-04-16"), key="k1")

    assert first.status_code == 201
    assert again.status_code == 409
    error = again.json()["error"]
    assert error["code"] == "idempotency_conflict"
    assert error["fields"] == {
        "idempotency_key": [
            "The idempotency key k1 was already used for a different request (date, entries); nothing was done. "
            "Send a new key for a new request."
        ]
    }
    assert Transaction.objects.count() == 1
    assert balance(books.cash) == Decimal("1500.00")


def test_a_client_key_never_meets_a_key_the_product_makes(api, books):
    """A client that guesses the key the books will use for a reversal (reversal:<id>) only names its own
    posting: the reversal still posts, as its own transaction."""
    original = post(api, "operations/income/", income_body(books), key="sale").json()
    squat = post(api, "operations/income/", income_body(books, amount="1.00"), key=f"reversal:{original['id']}")
    assert squat.status_code == 201

    reversed_ = api.post(f"{API}/transactions/{original['id']}/reverse/", {}, format="json")

    assert reversed_.status_code == 201, reversed_.json()
    assert reversed_.json()["reverses"] == original["id"]
    assert reversed_.json()["id"] != squat.json()["id"]
    assert balance(books.cash) == Decimal("1.00")


def test_the_key_may_come_in_the_body(api, books):
    response = post(api, "operations/income/", income_body(books, idempotency_key="body-key"))

    assert response.status_code == 201
    stored = Transaction.objects.get()
    assert stored.idempotency_key == "client:body-key"  # a client's key lives in its own namespace
    assert response.json()["idempotency_key"] == "body-key"  # and is shown as the client sent it


def test_a_posting_without_a_key_is_refused_with_a_clear_error(api, books):
    response = post(api, "operations/income/", income_body(books))

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert "Idempotency-Key" in error["fields"]["idempotency_key"][0]
    assert not Transaction.objects.exists()


def test_header_and_body_keys_must_agree(api, books):
    response = post(api, "operations/income/", income_body(books, idempotency_key="a"), key="b")

    assert response.status_code == 400
    assert "idempotency_key" in response.json()["error"]["fields"]


def test_expense_credits_the_bank_and_debits_the_expense(api, books):
    category = CategoryFactory(organization=books.organization, name="Rent")
    body = {
        "date": "2026-04-15",
        "account": books.bank.pk,
        "expense_account": books.rent.pk,
        "amount": "30000.00",
        "category": category.pk,
    }
    response = post(api, "operations/expense/", body, key="rent-april")

    assert response.status_code == 201, response.json()
    assert balance(books.rent) == Decimal("30000.00")
    assert balance(books.bank) == Decimal("-30000.00")
    assert {e["category"] for e in response.json()["entries"]} == {category.pk}


def test_transfer_in_one_currency(api, books):
    body = {"date": "2026-04-15", "from_account": books.bank.pk, "to_account": books.cash.pk, "amount": "500"}
    response = post(api, "operations/transfer/", body, key="t1")

    assert response.status_code == 201
    assert response.json()["kind"] == "transfer"
    assert balance(books.cash) == Decimal("500")


def test_transfer_across_currencies_records_the_rate(api, books):
    body = {
        "date": "2026-04-15",
        "from_account": books.bank.pk,
        "to_account": books.usd.pk,
        "amount": "90000.00",
        "to_amount": "1000.00",
    }
    response = post(api, "operations/transfer/", body, key="fx-1")

    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["kind"] == "exchange"
    assert data["fx_rate"]["base"] == "RUB"
    assert data["fx_rate"]["quote"] == "USD"
    assert data["fx_rate"]["rate"] == "0.011111111111"
    assert len(data["entries"]) == 4
    assert {(t["currency"], t["amount"]) for t in data["totals"]} == {("RUB", "90000.00"), ("USD", "1000.00")}
    assert balance(books.usd) == Decimal("1000.00")


def test_transfer_across_currencies_needs_a_rate_or_the_amount_that_arrived(api, books):
    body = {"date": "2026-04-15", "from_account": books.bank.pk, "to_account": books.usd.pk, "amount": "100"}
    response = post(api, "operations/transfer/", body, key="fx-2")

    assert response.status_code == 400
    assert "to_amount" in response.json()["error"]["fields"]


def test_operation_errors_name_the_operation_fields_not_legs(api, books):
    books.sales.is_active = False
    books.sales.save()

    closed = post(api, "operations/income/", income_body(books), key="x1")
    too_precise = post(api, "operations/income/", income_body(books, income_account=AccountFactory(
        organization=books.organization, type=AccountType.INCOME).pk, amount="1.234"), key="x2")  # fmt: skip
    floated = post(api, "operations/income/", income_body(books, amount=12.5), key="x3")

    assert list(closed.json()["error"]["fields"]) == ["income_account"]
    assert list(too_precise.json()["error"]["fields"]) == ["amount"]
    assert "decimal strings" in floated.json()["error"]["fields"]["amount"][0]
    assert not Transaction.objects.exists()


# --- complex postings and the journal ---------------------------------------------------------------------


def complex_body(books, legs=None, **extra):
    return {
        "date": "2026-04-20",
        "description": "Salary with tax",
        "entries": legs
        or [
            {"account": books.rent.pk, "amount": "1000.00", "memo": "gross"},
            {"account": books.loan.pk, "amount": "-870.00", "memo": "net"},
            {"account": books.bank.pk, "amount": "-130.00", "memo": "tax"},
        ],
        **extra,
    }


def test_a_complex_posting_of_three_legs(api, books):
    response = post(api, "transactions/", complex_body(books), key="salary-april")

    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["kind"] == "complex"
    assert [e["memo"] for e in data["entries"]] == ["gross", "net", "tax"]
    assert post(api, "transactions/", complex_body(books), key="salary-april").status_code == 200


def test_an_unbalanced_posting_says_by_how_much(api, books):
    legs = [{"account": books.cash.pk, "amount": "100.00"}, {"account": books.sales.pk, "amount": "-90.00"}]
    response = post(api, "transactions/", complex_body(books, legs), key="bad")

    assert response.status_code == 400
    assert "10.00" in response.json()["error"]["fields"]["entries"][0]


def test_leg_errors_name_the_leg(api, books):
    other = AccountFactory(organization=OrganizationFactory())
    precise = [{"account": books.cash.pk, "amount": "1.00"}, {"account": books.sales.pk, "amount": "-1.001"}]
    foreign = [{"account": other.pk, "amount": "1.00"}, {"account": books.sales.pk, "amount": "-1.00"}]
    missing = [{"amount": "1.00"}, {"account": books.sales.pk, "amount": "-1.00"}]

    assert list(post(api, "transactions/", complex_body(books, precise), key="p").json()["error"]["fields"]) == [
        "entries.1.amount"
    ]
    assert list(post(api, "transactions/", complex_body(books, foreign), key="f").json()["error"]["fields"]) == [
        "entries.0.account"
    ]
    assert list(post(api, "transactions/", complex_body(books, missing), key="m").json()["error"]["fields"]) == [
        "entries.0.account"
    ]


def test_a_posting_cannot_choose_the_kinds_other_services_own(api, books):
    response = post(api, "transactions/", complex_body(books, kind="reversal"), key="r")

    assert response.status_code == 400
    assert "kind" in response.json()["error"]["fields"]


@pytest.fixture
def journal(books):
    org = books.organization
    shop = ProjectFactory(organization=org, name="Shop")
    ads = CategoryFactory(organization=org, name="Ads")
    acme = CounterpartyFactory(organization=org, name="Acme Supplies")

    def income(day, amount, key, **tags):
        return services.income_post(organization=org, user=None, date=day, account=books.cash,
                                    income_account=books.sales, amount=amount, idempotency_key=key, **tags)  # fmt: skip

    rows = {
        "march": income(date(2026, 3, 30), "10", "a", description="March sale"),
        "shop": income(date(2026, 4, 2), "20", "b", project=shop, description="Shop sale"),
        "ads": services.expense_post(
            organization=org,
            user=None,
            date=date(2026, 4, 3),
            account=books.bank,
            expense_account=books.rent,
            amount="30",
            idempotency_key="c",
            category=ads,
            counterparty=acme,
            description="Banner",
        ),  # fmt: skip
    }
    return rows, shop, ads, acme


def ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


def test_the_journal_filters(api, books, journal):
    rows, shop, ads, acme = journal
    url = f"{API}/transactions/"

    assert ids(api.get(url)) == [rows["ads"].pk, rows["shop"].pk, rows["march"].pk]
    assert ids(api.get(url, {"date_from": "2026-04-01", "date_to": "2026-04-02"})) == [rows["shop"].pk]
    assert ids(api.get(url, {"account": books.bank.pk})) == [rows["ads"].pk]
    assert ids(api.get(url, {"kind": "expense"})) == [rows["ads"].pk]
    assert ids(api.get(url, {"project": shop.pk})) == [rows["shop"].pk]
    assert ids(api.get(url, {"category": ads.pk})) == [rows["ads"].pk]
    assert ids(api.get(url, {"counterparty": acme.pk})) == [rows["ads"].pk]
    assert ids(api.get(url, {"q": "acme"})) == [rows["ads"].pk]
    assert ids(api.get(url, {"q": "march"})) == [rows["march"].pk]
    assert ids(api.get(url, {"search": "banner"})) == [rows["ads"].pk]


def test_a_transaction_is_read_with_its_legs_and_never_changed(api, books, journal):
    rows, *_ = journal
    url = f"{API}/transactions/{rows['ads'].pk}/"

    data = api.get(url).json()

    assert [e["account_code"] for e in data["entries"]] == [books.rent.code, books.bank.code]
    assert api.patch(url, {"description": "edited"}, format="json").status_code == 405
    assert api.delete(url).status_code == 405


def test_reverse_posts_the_negated_legs_once(api, books, journal):
    rows, *_ = journal
    url = f"{API}/transactions/{rows['shop'].pk}/reverse/"

    response = api.post(url, {"date": "2026-04-20", "reason": "Refund"}, format="json")
    again = api.post(url, {}, format="json")

    assert response.status_code == 201, response.json()
    reversal = response.json()
    assert reversal["kind"] == "reversal"
    assert reversal["reverses"] == rows["shop"].pk
    assert "Refund" in reversal["description"]
    assert api.get(f"{API}/transactions/{rows['shop'].pk}/").json()["reversed_by"] == reversal["id"]
    assert again.status_code == 400
    assert balance(books.cash) == Decimal("10")


# --- the chart, tags and balances -------------------------------------------------------------------------


def test_an_account_is_opened_in_the_only_organization_and_shows_its_balance(api, books):
    response = api.post(
        f"{API}/accounts/",
        {"code": "1050", "name": "Petty cash", "type": "asset", "currency": "RUB", "balance": "999"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["organization"] == books.organization.slug
    assert data["balance"] == "0.00"
    assert Account.objects.get(pk=data["id"]).organization == books.organization


def test_account_balances_are_natural_for_each_type(api, books, journal):
    data = {row["code"]: row for row in api.get(f"{API}/accounts/", {"page_size": 100}).json()["results"]}

    assert data[books.sales.code]["balance"] == "-30.00"
    assert data[books.sales.code]["natural_balance"] == "30.00"
    assert data[books.cash.code]["entry_count"] == 2


def test_an_account_tree_stays_within_one_type(api, books):
    response = api.post(
        f"{API}/accounts/",
        {"code": "1011", "name": "Till", "type": "expense", "currency": "RUB", "parent": books.cash.pk},
        format="json",
    )

    assert response.status_code == 400
    assert "parent" in response.json()["error"]["fields"]


def test_a_used_account_is_kept_and_keeps_its_currency(api, books, journal):
    used = f"{API}/accounts/{books.cash.pk}/"
    unused = AccountFactory(organization=books.organization)

    refused = api.delete(used)
    moved = api.patch(used, {"currency": "USD"}, format="json")
    renamed = api.patch(used, {"name": "Main till"}, format="json")

    assert refused.status_code == 400
    assert "close it" in refused.json()["error"]["message"]
    assert moved.status_code == 400
    assert "currency" in moved.json()["error"]["fields"]
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Main till"
    assert api.delete(f"{API}/accounts/{unused.pk}/").status_code == 204


def test_tags_are_managed_and_a_used_one_is_kept(api, books, journal):
    _rows, _shop, _ads, acme = journal

    created = api.post(f"{API}/counterparties/", {"name": "ООО «Ромашка»", "kind": "customer"}, format="json")
    project = api.post(f"{API}/projects/", {"name": "App", "code": "APP"}, format="json")
    category = api.post(f"{API}/categories/", {"name": "Sales", "kind": "income"}, format="json")
    wrong_parent = api.post(
        f"{API}/categories/", {"name": "Sub", "kind": "expense", "parent": category.json()["id"]}, format="json"
    )

    assert (created.status_code, project.status_code, category.status_code) == (201, 201, 201)
    assert wrong_parent.status_code == 400
    assert api.delete(f"{API}/counterparties/{acme.pk}/").status_code == 400
    assert api.delete(f"{API}/counterparties/{created.json()['id']}/").status_code == 204


def test_balances_list_every_account(api, books, journal):
    rows = api.get(f"{API}/balances/", {"nonzero": "true"}).json()["results"]

    assert {row["code"]: row["natural_balance"] for row in rows} == {
        books.cash.code: "30.00",
        books.sales.code: "30.00",
        books.bank.code: "-30.00",
        books.rent.code: "30.00",
    }


# --- the closed period ------------------------------------------------------------------------------------


def test_the_closed_period_is_read_and_moved(api, books):
    url = f"{API}/period-locks/{books.organization.pk}/"

    assert api.get(url).json()["locked_through"] is None
    moved = api.put(url, {"locked_through": "2026-03-31"}, format="json")
    refused = post(api, "operations/income/", income_body(books, date="2026-03-15"), key="late")

    assert moved.status_code == 200
    assert moved.json()["locked_through"] == "2026-03-31"
    assert refused.status_code == 400
    assert "closed" in refused.json()["error"]["fields"]["date"][0]
    assert api.get(f"{API}/period-locks/").json()["results"][0]["locked_through"] == "2026-03-31"


def test_reopening_needs_the_power_to_manage_the_organization(api, books):
    services.period_lock(organization=books.organization, user=None, locked_through=date(2026, 3, 31))

    response = api.put(f"{API}/period-locks/{books.organization.pk}/", {"locked_through": "2026-02-28"}, format="json")

    assert response.status_code == 403


# --- who may post -----------------------------------------------------------------------------------------


def test_a_viewer_reads_but_cannot_post(books, member_of):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(member_of(books.organization, role=Role.VIEWER))

    assert client.get(f"{API}/transactions/").status_code == 200
    assert post(client, "operations/income/", income_body(books), key="v").status_code == 403


def test_a_viewer_cannot_reverse(books, member_of):
    posted = services.income_post(organization=books.organization, user=None, date=DAY, account=books.cash,
                                  income_account=books.sales, amount="5", idempotency_key="v-rev")  # fmt: skip
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(member_of(books.organization, role=Role.VIEWER))

    assert client.post(f"{API}/transactions/{posted.pk}/reverse/", {}, format="json").status_code == 403
    assert not Transaction.objects.filter(reverses=posted).exists()


def test_a_read_only_api_key_cannot_post(books):
    _key, plain = tokens.api_key_create(
        organization=books.organization, name="Reader", scopes=["read"], role=Role.ADMIN, by=None
    )
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {plain}")

    assert post(client, "operations/income/", income_body(books), key="k").status_code == 403


def test_a_writing_api_key_posts_in_its_organization(books):
    _key, plain = tokens.api_key_create(
        organization=books.organization, name="Shop", scopes=["read", "write"], role=Role.BOOKKEEPER, by=None
    )
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {plain}")

    response = post(client, "operations/income/", income_body(books), key="order-1")

    assert response.status_code == 201, response.json()
    assert response.json()["created_by"] is None


def test_a_bookkeeper_of_two_organizations_names_the_one(api, books, bookkeeper):
    from tests.core.factories import MembershipFactory

    MembershipFactory(user=bookkeeper, organization=OrganizationFactory(), role=Role.BOOKKEEPER)

    unnamed = post(api, "operations/income/", income_body(books), key="n1")
    named = post(api, "operations/income/", income_body(books, organization=books.organization.slug), key="n2")

    assert unnamed.status_code == 400
    assert "organization" in unnamed.json()["error"]["fields"]
    assert named.status_code == 201


def test_another_organizations_accounts_are_not_found(api, books):
    other = AccountFactory(organization=OrganizationFactory())
    body = {"date": "2026-04-15", "from_account": other.pk, "to_account": books.cash.pk, "amount": "5"}

    response = post(api, "operations/transfer/", body, key="steal")

    assert response.status_code == 400
    assert "from_account" in response.json()["error"]["fields"]
    assert api.get(f"{API}/accounts/{other.pk}/").status_code == 404


# --- query budgets ----------------------------------------------------------------------------------------


def _post_incomes(books, count, start=0):
    for n in range(start, start + count):
        services.income_post(organization=books.organization, user=None, date=DAY, account=books.cash,
                             income_account=books.sales, amount="1.00", idempotency_key=f"q{n}",
                             counterparty=CounterpartyFactory(organization=books.organization))  # fmt: skip


def _queries(callable_) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as captured:
        result = callable_()
    return len(captured), result


@pytest.fixture
def warm_api(api):
    """The client after one request: the access token's login has been checked and that check is cached, so
    what is counted is the endpoint's own work."""
    api.get(f"{API}/accounts/", {"page_size": 1})
    return api


# The journal page: the user (1), the memberships (2), the count (3), the page of transactions with their
# organization, author, reversal and rate (4), and their legs with each leg's account and currency (5). The
# same five for 1 row or 500.
JOURNAL_QUERIES = 5


def test_the_journal_runs_the_same_queries_for_one_transaction_and_for_a_page(warm_api, books):
    _post_incomes(books, 1)
    one, response = _queries(lambda: warm_api.get(f"{API}/transactions/"))
    assert len(response.json()["results"]) == 1
    _post_incomes(books, 24, start=1)
    page, response = _queries(lambda: warm_api.get(f"{API}/transactions/"))

    assert len(response.json()["results"]) == 25
    assert one == page == JOURNAL_QUERIES


def test_one_posting_through_the_api_has_a_fixed_budget(warm_api, books, django_assert_num_queries):
    # The user (1), the memberships (2), the organization the user keeps the books of (3), the two accounts,
    # checked for their purposes (cash or bank, income) in one read (4), the posting: a savepoint, the one call
    # to ledger_post_many, its release (5-7), then the answer: the transaction (8) and its legs with their
    # accounts and currencies (9).
    with django_assert_num_queries(9):
        response = post(warm_api, "operations/income/", income_body(books), key="budget")
    assert response.status_code == 201


def test_a_repeated_posting_through_the_api_only_reads(warm_api, books, django_assert_num_queries):
    post(warm_api, "operations/income/", income_body(books), key="again")
    # The user, the memberships, the organization (1-3), the accounts' purposes (4), the posting's call, which
    # finds the key (5-7), the earlier transaction and its legs to compare with the request (8-9), the answer
    # (10-11): nothing posted.
    with django_assert_num_queries(11):
        response = post(warm_api, "operations/income/", income_body(books), key="again")
    assert response.status_code == 200


def test_transaction_post_is_one_round_trip(books, django_assert_num_queries):
    # transaction.atomic() inside the test's transaction is a savepoint (1), the one call to the database
    # function ledger_post_many that checks and writes everything (2), and the savepoint's release (3). In
    # autocommit (a request, a task) the atomic block's BEGIN and COMMIT are not queries: one round trip.
    with django_assert_num_queries(3):
        services.transaction_post(
            organization=books.organization,
            user=None,
            date=DAY,
            entries=[{"account": books.cash.pk, "amount": "5"}, {"account": books.sales.pk, "amount": "-5"}],
            idempotency_key="one-trip",
        )
