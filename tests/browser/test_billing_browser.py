"""Billing end to end in a real browser: pricing → the test mode's stub checkout → the return page, whose
status changes live when the payment succeeds → the billing page on the new plan. Screenshots at 1366 px go
to var/ (browser-billing-*.png)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from apps.billing.models import Payment, PaymentStatus
from apps.billing.services.checkout import stub_payment_complete
from apps.core.accounts.roles import Role
from tests.billing.pages_helpers import catalogue_without_trials
from tests.browser.test_csp import RECORD_VIOLATIONS
from tests.core.factories import OrganizationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PLATFORM_SLUG = "kontora-platform"


@pytest.fixture
def billing_server(monkeypatch, settings, request):
    """The daphne server in billing's test mode: a platform organization without provider credentials and
    the stub checkout switched on (read from the environment by the server's settings)."""
    for name, value in {
        "KONTORA_PLATFORM_ORGANIZATION": PLATFORM_SLUG,
        "KONTORA_PAYMENTS_TEST_MODE": "1",
        "KONTORA_BILLING_STUB_CHECKOUT": "1",
        "KONTORA_YOOKASSA_SHOP_ID": "",
        "KONTORA_YOOKASSA_SECRET_KEY": "",
    }.items():
        monkeypatch.setenv(name, value)
    settings.KONTORA_PLATFORM_ORGANIZATION = PLATFORM_SLUG
    settings.KONTORA_BILLING_STUB_CHECKOUT = True
    return request.getfixturevalue("live_server_url")


def _sign_in(page, live_server_url, user):
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server_url,
            }
        ]
    )


def test_pricing_stub_checkout_live_status_and_the_new_plan(billing_server, browser_page, organization, member_of):
    OrganizationFactory(name="ООО «Контора»", slug=PLATFORM_SLUG)
    catalogue_without_trials()
    owner = member_of(organization, role=Role.OWNER, email="owner@example.com")
    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 900})
    page.add_init_script(RECORD_VIOLATIONS)
    _sign_in(page, billing_server, owner)

    page.goto(f"{billing_server}/en/billing/pricing/?currency=RUB&period=month")
    expect(page.get_by_role("heading", level=1)).to_have_text("Pricing")
    page.screenshot(path="var/browser-billing-pricing.png", full_page=True)
    page.click("[data-choose=pro]")

    expect(page.locator(".billing-test-banner")).to_contain_text("TEST MODE")
    page.screenshot(path="var/browser-billing-stub.png", full_page=True)
    page.click("[data-stub=return]")  # back without paying: the payment stays pending

    status = page.locator("[data-billing-status]")
    expect(status).to_have_attribute("data-status", "pending")
    expect(page.locator("[data-live-status]")).to_have_attribute("data-state", "online")
    expect(page.locator("[data-billing-done]")).to_be_hidden()

    payment = Payment.objects.get()
    stub_payment_complete(payment=payment, succeeded=True)  # as the provider's webhook would
    assert Payment.objects.get().status == PaymentStatus.SUCCEEDED

    expect(status).to_have_attribute("data-status", "succeeded")
    expect(status).to_have_text("succeeded")
    page.screenshot(path="var/browser-billing-return.png", full_page=True)

    page.click("[data-billing-done] a")
    expect(page.locator("[data-billing-plan]")).to_have_attribute("data-billing-plan", "pro")
    expect(page.locator(f"[data-payment='{payment.pk}']")).to_contain_text("Receipt (PDF)")
    page.screenshot(path="var/browser-billing-account.png", full_page=True)
    assert page.evaluate("window.cspViolations") == []  # no inline script or style on the way


# Every WebSocket the page opens fails at once, as behind a proxy that refuses the upgrade.
NO_WEBSOCKETS = """
window.WebSocket = class {
  constructor() {
    this.readyState = 3;
    setTimeout(() => {
      this.onerror && this.onerror(new Event("error"));
      this.onclose && this.onclose(new CloseEvent("close"));
    }, 0);
  }
  send() {}
  close() {}
  addEventListener(type, handler) { this["on" + type] = handler; }
  removeEventListener() {}
};
"""


def test_without_a_live_connection_the_return_page_polls_for_the_status(
    billing_server, browser_page, organization, member_of
):
    OrganizationFactory(name="ООО «Контора»", slug=PLATFORM_SLUG)
    catalogue_without_trials()
    owner = member_of(organization, role=Role.OWNER, email="owner@example.com")
    page = browser_page
    page.add_init_script(NO_WEBSOCKETS)
    _sign_in(page, billing_server, owner)

    page.goto(f"{billing_server}/ru/billing/pricing/?currency=RUB&period=month")
    page.click("[data-choose=pro]")
    page.click("[data-stub=return]")
    status = page.locator("[data-billing-status]")
    expect(status).to_have_attribute("data-status", "pending")
    expect(page.locator("[data-live-status]")).not_to_have_attribute("data-state", "online")

    stub_payment_complete(payment=Payment.objects.get(), succeeded=True)

    # No event can arrive: the page's poll of the status URL (every 4 s) brings the news.
    expect(status).to_have_attribute("data-status", "succeeded", timeout=15_000)
    expect(status).to_have_text("оплачен")
    expect(page.locator("[data-billing-done]")).to_be_visible()
