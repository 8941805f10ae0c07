"""Traffic end to end in a real browser: sign in, upload a Moloco export on the upload page, land on the
import's page, watch it go from queued to done over the live connection while a real Celery worker imports it,
open the dashboard and see the imported figures, and see the dashboard refresh by itself when another import
finishes. Screenshots at 1366 px go to var/ (browser-analytics-*.png)."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from playwright.sync_api import expect

from apps.analytics.demo import HEADER
from apps.analytics.models import ImportJob, MetricFact
from apps.analytics.services import import_job_create, import_job_run
from apps.core.accounts.roles import Role
from apps.core.models import FxRate
from config.celery import app as celery_app
from tests.analytics.factories import TrafficSourceFactory
from tests.browser.test_csp import RECORD_VIOLATIONS
from tests.core.factories import DEFAULT_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MOLOCO = Path(__file__).resolve().parents[1] / "analytics" / "fixtures" / "moloco_dashboard.csv"

# Every live event the page hears, for the test to read back.
RECORD_EVENTS = """
window.liveEvents = [];
document.addEventListener("kontora:live", (event) => window.liveEvents.push(event.detail));
"""


@pytest.fixture
def traffic_server(monkeypatch, settings, tmp_path, request):
    """The daphne server, with uploads in a folder that this process (where the Celery worker runs) reads too:
    the test settings keep files in memory otherwise, and a server's memory is not the worker's."""
    media = tmp_path / "media"
    media.mkdir()
    monkeypatch.setenv("KONTORA_TEST_MEDIA_ROOT", str(media))
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(media)}},
    }
    return request.getfixturevalue("live_server_url")


def _sign_in(page, server, user):
    page.goto(f"{server}/en/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.locator("form").filter(has=page.locator("input[name=password]")).locator("button[type=submit]").click()
    page.wait_for_url(f"{server}/en/account/")


def test_upload_live_progress_and_the_dashboard(traffic_server, browser_page, organization, member_of):
    organization.reporting_currency_id = "USD"
    organization.save()
    FxRate.objects.create(date=date(2026, 5, 1), base_id="EUR", quote_id="USD", rate=Decimal("1.1"), source="cbr")
    source = TrafficSourceFactory(organization=organization, name="Moloco", time_zone="UTC", currency="USD")
    buyer = member_of(organization, role=Role.ANALYST, email="buyer@example.com")
    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 900})
    page.add_init_script(RECORD_VIOLATIONS)
    page.add_init_script(RECORD_EVENTS)
    _sign_in(page, traffic_server, buyer)

    # Upload: the page lands on the job, queued (no worker is running yet).
    page.goto(f"{traffic_server}/en/analytics/imports/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Upload a traffic file")
    page.select_option("select[name=source]", str(source.pk))
    page.set_input_files("input[name=file]", str(MOLOCO))
    page.get_by_role("button", name="Upload and import").click()
    job = ImportJob.objects.get()
    page.wait_for_url(f"{traffic_server}/en/analytics/imports/{job.pk}/")
    expect(page.locator("[data-job-status]")).to_have_attribute("data-job-status", "queued")
    expect(page.locator("[data-live-status]")).to_have_attribute("data-state", "online")

    # A real worker takes the queued task: the page follows the import without a reload.
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        expect(page.locator("[data-job-status]")).to_have_attribute("data-job-status", "done", timeout=30_000)

    assert MetricFact.objects.filter(import_job=job).count() == 3
    heard = page.evaluate("window.liveEvents.map((e) => [e.type, e.data.job])")
    assert ["analytics.import_progress", job.pk] in heard
    assert ["analytics.import_finished", job.pk] in heard
    expect(page.locator(".analytics-counts")).to_contain_text("Rows read")
    page.screenshot(path="var/browser-analytics-job.png", full_page=True)

    # The dashboard: the file's figures (210.50 USD + 1,234.56 EUR at 1.1 + 0.00 USD).
    page.get_by_role("link", name="See the imported figures on the dashboard").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Traffic of {organization.name}")
    expect(page.locator('[data-kpi="spend"]')).to_contain_text("1,568.52\xa0USD")
    expect(page.locator(".analytics-chart")).to_be_visible()
    expect(page.locator("[data-live-status]")).to_have_attribute("data-state", "online")
    page.screenshot(path="var/browser-analytics-dashboard-en.png", full_page=True)

    # Another import finishes: the dashboard refreshes its sections by itself.
    more = f"{HEADER}\n2026-05-02,US_Android_Purchase,cmp-101,Broad,video,UNITY,US,ANDROID,1000,10,2,100.00,USD\n"
    second = import_job_create(
        organization=organization, source=source, file=io.BytesIO(more.encode()), file_name="more.csv", user=buyer
    )
    assert import_job_run(job=second.pk).status == ImportJob.Status.DONE
    expect(page.locator('[data-kpi="spend"]')).to_contain_text("1,668.52\xa0USD")
    expect(page.locator("[data-analytics-updated]")).not_to_be_empty()

    # The table sorted by spend, largest first, through its column header.
    page.select_option("select[name=group_by]", "campaign")
    page.get_by_role("button", name="Show").click()
    page.locator('[data-sort="spend"]').click()
    expect(page.locator(".analytics-table tbody th").first).to_have_text("DE_Android_Purchase")
    # At a 1366-pixel window the eighteen columns fit: nothing to scroll sideways, no KPI card spilling over.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.evaluate("(el => el.scrollWidth <= el.clientWidth)(document.querySelector('.analytics-scroll'))")
    assert page.evaluate(
        "[...document.querySelectorAll('.analytics-card')].every(card => card.scrollWidth <= card.clientWidth)"
    )

    # Drill-down: the campaign → its rows → the import each came from.
    page.locator(".analytics-table tbody th a").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("DE_Android_Purchase")
    expect(page.locator("[data-lineage]")).to_have_text("moloco_dashboard.csv, line 3")
    page.screenshot(path="var/browser-analytics-campaign.png", full_page=True)
    page.locator("[data-lineage]").click()
    page.wait_for_url(f"{traffic_server}/en/analytics/imports/{job.pk}/")

    # In Russian.
    page.goto(f"{traffic_server}/ru/analytics/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Трафик: {organization.name}")
    expect(page.locator('[data-kpi="spend"]')).to_contain_text("1\xa0668,52\xa0USD")
    page.select_option("select[name=group_by]", "campaign")
    page.get_by_role("button", name="Показать").click()
    assert page.evaluate("(el => el.scrollWidth <= el.clientWidth)(document.querySelector('.analytics-scroll'))")
    page.screenshot(path="var/browser-analytics-dashboard-ru.png", full_page=True)

    assert page.evaluate("window.cspViolations") == []
