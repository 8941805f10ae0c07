"""End to end in a real browser: the books' dashboard follows a posting live, and the posting form explains
an imbalance while the bookkeeper types."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.core.accounts.roles import Role
from apps.ledger import live, services
from apps.ledger.models import Account, AccountType, Transaction
from config.embedded import var_dir
from tests.browser import conftest as browser
from tests.core.factories import DEFAULT_PASSWORD
from tests.ledger.factories import AccountFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The browser fixtures (a daphne serving the test database, a Chromium page) of tests/browser.
live_server_url = browser.live_server_url
browser_page = browser.browser_page


def sign_in(page, base, user):
    page.goto(f"{base}/en/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.locator("form").filter(has=page.locator("input[name=password]")).locator("button[type=submit]").click()
    page.wait_for_url(f"{base}/en/account/")


@pytest.fixture
def till(organization):
    cash = AccountFactory(organization=organization, code="50", name="Till", purpose=Account.Purpose.CASH)
    sales = AccountFactory(organization=organization, code="90", name="Sales", type=AccountType.INCOME)
    return cash, sales


def test_the_dashboard_follows_a_posting_live(live_server_url, browser_page, organization, member_of, till):
    cash, sales = till
    page = browser_page
    sign_in(page, live_server_url, member_of(organization, role=Role.VIEWER, email="viewer@example.com"))

    page.goto(f"{live_server_url}/en/ledger/")
    expect(page.locator("[data-live-status]")).to_have_attribute("data-state", "online")
    row = page.locator(f'[data-ledger-section="cash"] [data-account="{cash.pk}"]')
    expect(row).to_contain_text("0.00 RUB")

    services.income_post(organization=organization, user=None, date=timezone.localdate(), account=cash,
                         income_account=sales, amount="1500.00", idempotency_key="walk-in",
                         description="Walk-in customer")  # fmt: skip
    live.flush_pending()  # what this process does at the end of its window
    live.balances_broadcast(organization.pk)  # what the broadcast task does a quarter of a second later

    expect(row).to_contain_text("1,500.00 RUB")
    expect(page.locator('[data-ledger-section="recent"]')).to_contain_text("Walk-in customer")
    expect(page.locator("[data-ledger-updated]")).to_contain_text("Updated at")
    page.screenshot(path=var_dir() / "browser-ledger-dashboard.png", full_page=True)


def test_the_posting_form_shows_the_difference_while_typing(
    live_server_url, browser_page, organization, member_of, till
):
    cash, sales = till
    page = browser_page
    sign_in(page, live_server_url, member_of(organization, role=Role.BOOKKEEPER, email="books@example.com"))

    page.goto(f"{live_server_url}/admin/ledger/transaction/add/")
    status = page.locator("[data-balance-status]")
    page.select_option("#id_legs-0-account", str(cash.pk))
    page.fill("#id_legs-0-debit", "1,150.00")
    page.select_option("#id_legs-1-account", str(sales.pk))
    page.fill("#id_legs-1-credit", "1000")
    expect(status).to_have_text("Debits exceed credits by 150.00 RUB.")

    page.fill("#id_legs-1-credit", "1150")
    expect(status).to_have_text("Balanced: debits equal credits.")
    page.click("[data-add-leg]")
    expect(page.locator("#id_legs-4-account")).to_be_visible()

    page.click("input[name=_save]")
    page.wait_for_url("**/change/")
    assert Transaction.objects.get().entries.count() == 2
