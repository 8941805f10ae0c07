"""In a real browser, the date pickers of the books' custom admin pages work: the invoice actions' forms
(record a payment, void), the reversal form and every report page load the admin's JavaScript catalog and
core scripts before the calendar, so clicking the calendar icon opens a calendar and no script fails."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from apps.core.accounts.roles import Role
from apps.ledger.admin.reports import REPORTS, url_name
from apps.ledger.models import Account
from tests.browser import conftest as browser
from tests.ledger.factories import AccountFactory, InvoiceFactory
from tests.ledger.test_dashboard_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

live_server_url = browser.live_server_url
browser_page = browser.browser_page


@pytest.fixture
def script_errors(browser_page):
    """Every uncaught exception and console error of the page ("gettext is not defined"…). The browser's own
    request for /favicon.ico, which the admin's pages do not link, is not the page's error."""
    errors: list[str] = []

    def console(message):
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            errors.append(f"{message.text} at {message.location.get('url')}")

    browser_page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    browser_page.on("console", console)
    return errors


def open_the_first_calendar(page) -> None:
    page.locator(".vDateField").first.wait_for()
    page.locator("a[id^=calendarlink] .date-icon").first.click()
    calendar = page.locator(".calendarbox").first
    expect(calendar).to_be_visible()
    expect(calendar.locator("caption")).to_contain_text(str(dt.date.today().year))
    expect(calendar.locator("td a").first).to_be_visible()  # the days, drawn by core.js's quickElement


@pytest.fixture
def bookkeeper(organization, member_of):
    AccountFactory(organization=organization, code="51", name="Bank", purpose=Account.Purpose.CASH)
    return member_of(organization, role=Role.BOOKKEEPER, email="books@example.com")


@pytest.mark.parametrize("action", ["record_payment", "void_invoices"])
def test_the_invoice_action_forms_have_working_date_pickers(
    live_server_url, browser_page, script_errors, organization, bookkeeper, action
):
    invoice = InvoiceFactory(organization=organization, issued=True)
    page = browser_page
    sign_in(page, live_server_url, bookkeeper)

    page.goto(live_server_url + reverse("admin:ledger_invoice_changelist"))
    page.check(f"input[name=_selected_action][value='{invoice.pk}']")
    page.select_option("select[name=action]", action)
    page.click("button[name=index]")
    expect(page.locator("input[name=apply]")).to_have_count(1)

    open_the_first_calendar(page)
    assert script_errors == []


def test_every_report_page_has_working_date_pickers(live_server_url, browser_page, script_errors, bookkeeper):
    page = browser_page
    sign_in(page, live_server_url, bookkeeper)

    for report in REPORTS:
        page.goto(live_server_url + reverse(f"admin:{url_name(report.key)}"))
        open_the_first_calendar(page)
        assert script_errors == [], report.key
