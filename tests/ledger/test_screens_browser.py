"""At a 1366×768 window the bookkeeper's pages fit the width: no horizontal scrolling on the invoice, transaction,
chart of accounts, report and recurring payment pages, in English and in Russian (whose words are longer).
Each page's screenshot is kept in the var directory (``screens/``) for a person to look at."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from apps.core.accounts.roles import Role
from apps.ledger.admin.reports import REPORTS, url_name
from apps.ledger.models import Transaction
from config.embedded import var_dir
from tests.browser import conftest as browser
from tests.ledger.factories import CounterpartyFactory, InvoiceFactory, RecurringPaymentFactory
from tests.ledger.test_dashboard_browser import sign_in
from tests.ledger.test_reports import build_books

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

live_server_url = browser.live_server_url
browser_page = browser.browser_page

WIDTH, HEIGHT = 1366, 768


@pytest.fixture
def pages(organization, member_of):
    """The story's books, with invoices of long names and several lines, and a recurring payment."""
    story = build_books(organization)
    user = member_of(organization, role=Role.BOOKKEEPER, email="books@example.com")
    customer = CounterpartyFactory(
        organization=organization, name="Общество с ограниченной ответственностью «Северо-Западная торговая компания»"
    )
    lines = [
        {"description": f"Консультационные услуги по внедрению учёта, этап {n}", "quantity": "12.5",
         "unit_price": "123456.78", "account": story.sales.pk}
        for n in range(1, 4)
    ]  # fmt: skip
    draft = InvoiceFactory(
        organization=organization, counterparty=customer, lines=lines, issue_date=dt.date(2026, 3, 2)
    )
    issued = InvoiceFactory(organization=organization, counterparty=customer, lines=lines, issued=True)
    recurring = RecurringPaymentFactory(
        organization=organization,
        name="Аренда офиса на Большой Садовой",
        legs=[{"account": story.rent, "amount": "85000"}, {"account": story.bank, "amount": "-85000"}],
    )
    transaction = Transaction.objects.filter(organization=organization).order_by("-entries__amount").first()
    urls = {
        "invoice-add": reverse("admin:ledger_invoice_add"),
        "invoice-draft": reverse("admin:ledger_invoice_change", args=[draft.pk]),
        "invoice-issued": reverse("admin:ledger_invoice_change", args=[issued.pk]),
        "invoice-list": reverse("admin:ledger_invoice_changelist"),
        "invoice-pay": reverse("admin:ledger_invoice_pay", args=[issued.pk]),
        "transaction-add": reverse("admin:ledger_transaction_add"),
        "transaction-change": reverse("admin:ledger_transaction_change", args=[transaction.pk]),
        "transaction-list": reverse("admin:ledger_transaction_changelist"),
        "chart-of-accounts": reverse("admin:ledger_account_changelist"),
        "recurring-list": reverse("admin:ledger_recurringpayment_changelist"),
        "recurring-change": reverse("admin:ledger_recurringpayment_change", args=[recurring.pk]),
        "recurring-add": reverse("admin:ledger_recurringpayment_add"),
    }
    period = "?date_from=2026-01-01&date_to=2026-12-31"
    for page in REPORTS:
        urls[f"report-{page.key}"] = reverse(f"admin:{url_name(page.key)}") + period
    urls["report-profit-and-loss-by-month"] = reverse(f"admin:{url_name('profit-and-loss')}") + period + "&period=month"
    urls["report-account-statement"] += f"&account={story.bank.pk}"
    return user, urls


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_bookkeepers_pages_fit_a_1366_pixel_window(live_server_url, browser_page, pages, language):
    user, urls = pages
    page = browser_page
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    sign_in(page, live_server_url, user)
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server_url}])
    shots = var_dir() / "screens"
    shots.mkdir(exist_ok=True)

    # A box that scrolls sideways inside the page hides its last columns just as well (the admin's list does).
    scrolled_boxes = """[...document.querySelectorAll('*')].filter(e => {
        const x = getComputedStyle(e).overflowX;
        return (x === 'auto' || x === 'scroll') && e.scrollWidth > e.clientWidth + 1;
    }).map(e => e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).trim().replace(/ +/g, '.') : ''))"""
    too_wide = {}
    for name, url in urls.items():
        response = page.goto(live_server_url + url)
        assert response.status == 200, (name, response.status)
        assert page.evaluate("document.documentElement.lang") == language, name
        width = page.evaluate("document.documentElement.scrollWidth")
        page.screenshot(path=str(shots / f"{language}-{name}.png"), full_page=True)
        scrolled = page.evaluate(scrolled_boxes)
        if name == "report-profit-and-loss-by-month":
            # Thirteen columns of a year by month fit no window: they scroll in their box (first column fixed).
            scrolled = [box for box in scrolled if box != "div.ledger-report-scroll"]
        if width > WIDTH or scrolled:
            too_wide[name] = (width, scrolled)

    assert too_wide == {}
