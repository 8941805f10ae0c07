"""End to end in a real browser: sign in, switch the language, and watch a live event arrive."""

import pytest
from playwright.sync_api import expect

from apps.core.accounts.roles import Role
from apps.core.realtime import publish
from tests.core.factories import DEFAULT_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_in_switch_language_and_see_a_live_event(live_server_url, browser_page, organization, member_of):
    user = member_of(organization, role=Role.BOOKKEEPER, email="live@example.com")
    page = browser_page

    page.goto(f"{live_server_url}/en/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.locator("form").filter(has=page.locator("input[name=password]")).locator("button[type=submit]").click()
    page.wait_for_url(f"{live_server_url}/en/account/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")

    page.select_option("#language-select", "ru")
    page.wait_for_url(f"{live_server_url}/ru/account/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ваш аккаунт")
    expect(page.locator("[data-live-status]")).to_have_attribute("data-state", "online")

    publish(organization, "demo.greeting", {"message": "Платёж получен: 1 500,00 ₽"})

    expect(page.locator("[data-live-events] li").first).to_contain_text("Платёж получен: 1 500,00 ₽")
    page.screenshot(path="var/browser-live-page.png", full_page=True)
