"""The Content-Security-Policy in a real browser: the site, the admin, the browsable API and the API docs
work under it, and Chromium reports no violation (in the console or as a ``securitypolicyviolation``)."""

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from apps.core.accounts.roles import Role
from apps.core.realtime import publish

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


def test_pages_admin_and_api_docs_work_under_the_policy_without_violations(
    live_server_url, browser_page, organization, member_of
):
    user = member_of(organization, role=Role.OWNER, is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(user)
    page = browser_page
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server_url,
            }
        ]
    )
    console = []
    page.on("console", lambda message: console.append(message.text))
    page.add_init_script(RECORD_VIOLATIONS)
    violations = []

    def visit(path: str) -> None:
        response = page.goto(live_server_url + path)
        assert "script-src 'self';" in response.headers["content-security-policy"]
        page.wait_for_load_state("networkidle")
        violations.extend(page.evaluate("window.cspViolations"))

    visit("/en/account/")  # live updates over the WebSocket
    expect(page.locator("[data-live-status]")).to_have_attribute("data-state", "online")
    publish(organization, "demo.greeting", {"message": "under the policy"})
    expect(page.locator("[data-live-events] li").first).to_contain_text("under the policy")
    violations.extend(page.evaluate("window.cspViolations"))

    visit("/en/ledger/")
    visit("/admin/")
    page.select_option("#admin-language", "ru")  # the switcher's script is a file now
    page.wait_for_url(f"{live_server_url}/admin/")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    violations.extend(page.evaluate("window.cspViolations"))
    visit("/admin/django_celery_beat/periodictask/add/")
    expect(page.locator(".field-crontab_translation").first).to_be_hidden()
    visit("/admin/ledger/")
    visit("/api/docs/")  # Swagger UI from the sidecar wheel, its start-up script as a file
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Kontora API")
    visit("/api/v1/currencies/")  # the browsable API

    assert violations == []
    assert [text for text in console if "Content Security Policy" in text] == []
