"""The books' dashboard: the page, its live sections, the panel on the admin home, and the chart."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.core.accounts.roles import Role
from apps.ledger import services
from apps.ledger.dashboard import MonthRow, _nice_ceiling, bar_chart
from apps.ledger.models import Account, AccountType
from tests.ledger.factories import AccountFactory, CategoryFactory, CounterpartyFactory

pytestmark = pytest.mark.django_db


def today():
    return timezone.now().date()


@pytest.fixture
def shop(books):
    """Books with a till, a bank, receivables, income and expenses this month and last."""
    org = books.organization
    Account.objects.filter(pk__in=[books.cash.pk, books.bank.pk, books.usd.pk]).update(purpose=Account.Purpose.CASH)
    receivable = AccountFactory(organization=org, code="1200", name="Customers owe", purpose=Account.Purpose.RECEIVABLE)
    ads = CategoryFactory(organization=org, name="Advertising")
    sales = CategoryFactory(organization=org, name="Sales", kind="income")
    acme = CounterpartyFactory(organization=org, name="Acme")
    day = today().replace(day=1)
    services.income_post(organization=org, user=None, date=day, account=books.cash, income_account=books.sales,
                         amount="5000.00", category=sales, idempotency_key="s1", description="Till")  # fmt: skip
    services.expense_post(organization=org, user=None, date=day, account=books.bank, expense_account=books.rent,
                          amount="1200.00", category=ads, idempotency_key="e1", description="Banner ads")  # fmt: skip
    services.transaction_post(organization=org, user=None, date=day, idempotency_key="r1", description="Act 7",
                              entries=[{"account": receivable.pk, "amount": "700", "counterparty": acme.pk},
                                       {"account": books.sales.pk, "amount": "-700"}])  # fmt: skip
    books.receivable = receivable
    return books


@pytest.fixture
def client(shop, member_of):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(member_of(shop.organization, role=Role.VIEWER))
    return client


def test_the_page_needs_a_sign_in():
    response = Client().get("/en/ledger/")

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_page_shows_the_books_at_a_glance(client, shop, language):
    response = client.get(f"/{language}/ledger/")

    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    assert shop.cash.name in html
    assert shop.bank.name in html
    assert '<svg class="ledger-chart-svg"' in html
    assert "ledger-bar-income" in html
    assert "<details" in html  # the chart's figures as a table
    assert "Advertising" in html
    assert "Sales" in html
    assert shop.receivable.name in html  # receivables
    assert "Banner ads" in html  # recent transactions
    # Nothing loaded from another host (a CDN): every script, style and image is the site's own. (Looking for
    # the letters "cdn" failed now and then: a random CSRF token contained them.)
    assert re.findall(r'(?:src|href)="(?:https?:)?//', html) == []
    assert "js/ledger-dashboard.js" in html
    assert "js/live.js" in html


def test_figures_keep_their_natural_sign_and_currency(client, shop):
    context = client.get("/en/ledger/").context

    cash = {figure.label.split()[0]: figure for figure in context["cash"]["accounts"]}
    assert cash[shop.cash.code].amount == Decimal("5000.00")
    assert cash[shop.bank.code].amount == Decimal("-1200.00")
    assert [(t.currency, t.amount) for t in context["cash"]["totals"]] == [("RUB", 3800), ("USD", 0)]
    month = [row for row in context["chart"].months if row.income or row.expense][-1]
    assert (month.income, month.expense) == (Decimal("5700.00"), Decimal("1200.00"))
    assert [row.name for row in context["categories"]["expense"]] == ["Advertising"]


def test_another_organizations_books_are_not_found(client, other_organization):
    assert client.get("/en/ledger/", {"org": other_organization.slug}).status_code == 404
    assert client.get("/en/ledger/live/", {"org": other_organization.slug}).status_code == 404


def test_someone_without_an_organization_is_told_so(django_user_model):
    from tests.core.factories import UserFactory

    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(UserFactory())

    response = client.get("/en/ledger/")

    assert response.status_code == 404
    assert "not a member of any organization" in response.content.decode()


def test_the_live_sections_follow_a_new_posting(client, shop):
    before = client.get("/en/ledger/live/").json()
    services.income_post(organization=shop.organization, user=None, date=today(), account=shop.cash,
                         income_account=shop.sales, amount="250.00", idempotency_key="late",
                         description="Walk-in customer")  # fmt: skip
    after = client.get("/en/ledger/live/").json()

    assert set(after["sections"]) == {"cash", "chart", "categories", "open", "recent"}
    assert "5,250.00" in after["sections"]["cash"] or "5250.00" in after["sections"]["cash"]
    assert "Walk-in customer" in after["sections"]["recent"]
    assert "Walk-in customer" not in before["sections"]["recent"]
    assert f'data-account="{shop.cash.pk}"' in after["sections"]["cash"]


def test_a_posting_tells_the_organizations_stream_which_balances_moved(shop, django_capture_on_commit_callbacks):
    from apps.core.realtime import streams
    from apps.ledger import live

    with django_capture_on_commit_callbacks(execute=True):
        services.income_post(organization=shop.organization, user=None, date=today(), account=shop.cash,
                             income_account=shop.sales, amount="1.00", idempotency_key="ping")  # fmt: skip
    live.flush_pending()  # what the process does at the end of its window
    with django_capture_on_commit_callbacks(execute=True):
        live.balances_broadcast(shop.organization.pk)  # what the scheduled broadcast task does

    events = [json.loads(event) for event in streams.replay(shop.organization.pk, after=0).events]
    assert [event["type"] for event in events] == ["ledger.balances_changed"]
    assert {account["id"] for account in events[0]["data"]["accounts"]} == {shop.cash.pk, shop.sales.pk}


def test_the_page_runs_the_same_queries_however_many_transactions(client, shop):
    client.get("/en/ledger/")
    with CaptureQueriesContext(connection) as few:
        client.get("/en/ledger/")
    for n in range(15):
        services.income_post(organization=shop.organization, user=None, date=today(), account=shop.bank,
                             income_account=shop.sales, amount="10", idempotency_key=f"m{n}",
                             category=CategoryFactory(organization=shop.organization, kind="income"))  # fmt: skip
    with CaptureQueriesContext(connection) as many:
        client.get("/en/ledger/")

    assert len(many) == len(few)


def test_the_admin_home_shows_the_books_panel(client, shop):
    response = client.get(reverse("admin:index"))

    panels = {panel["dashboard"].app_label: panel for panel in response.context["dashboard_panels"]}
    assert "ledger" in panels
    html = response.content.decode()
    assert 'id="dashboard-ledger"' in html
    assert shop.cash.name in html
    assert "js/ledger-dashboard.js" in html
    assert reverse("ledger:dashboard") in html


def test_the_panel_switches_between_the_users_books(shop, member_of, other_organization):
    user = member_of(shop.organization, role=Role.BOOKKEEPER)
    from tests.core.factories import MembershipFactory

    MembershipFactory(user=user, organization=other_organization, role=Role.VIEWER)
    other_cash = AccountFactory(organization=other_organization, name="Other till", purpose=Account.Purpose.CASH)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)

    default = client.get(reverse("admin:index")).context["dashboard_panels"]
    switched = client.get(reverse("admin:index"), {"ledger": other_organization.slug}).context["dashboard_panels"]
    shown = {panel["dashboard"].app_label: panel["context"] for panel in default}["ledger"]
    chosen = {panel["dashboard"].app_label: panel["context"] for panel in switched}["ledger"]

    assert {shown["organization"].slug, *[slug for slug, _name in shown["others"]]} == {
        shop.organization.slug,
        other_organization.slug,
    }
    assert chosen["organization"] == other_organization
    assert [figure.label for figure in chosen["cash"]["accounts"]] == [f"{other_cash.code} Other till"]


# --- the chart --------------------------------------------------------------------------------------------


def test_the_axis_steps_are_round_numbers():
    assert _nice_ceiling(Decimal("1234")) == Decimal("2000")
    assert _nice_ceiling(Decimal("2400")) == Decimal("2500")
    assert _nice_ceiling(Decimal("90000")) == Decimal("100000")
    assert _nice_ceiling(Decimal("0.3")) == Decimal("0.5")
    assert _nice_ceiling(Decimal("0")) == Decimal("1")


def test_bars_are_drawn_to_scale():
    months = [
        MonthRow(dt.date(2026, 1, 1), "RUB", 2, income=Decimal("1000"), expense=Decimal("500")),
        MonthRow(dt.date(2026, 2, 1), "RUB", 2, income=Decimal("0"), expense=Decimal("250")),
    ]

    chart = bar_chart(months, "RUB")

    heights = [bar["height"] for bar in chart.bars]
    assert heights[0] == pytest.approx(2 * heights[1])
    assert heights[2] == 0
    assert heights[3] == pytest.approx(heights[1] / 2)
    assert [tick["show_year"] for tick in chart.ticks] == [True, False]
    assert chart.grid[-1]["label"] == "1,000"
    assert all(bar["y"] + bar["height"] == pytest.approx(chart.height - chart.bottom) for bar in chart.bars)
    assert not chart.empty
    assert AccountType.INCOME  # the chart reads income and expense accounts only
