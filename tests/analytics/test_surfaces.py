"""The three ways a person reaches traffic analytics besides the command: the admin (upload, jobs, facts,
payout actions) and the API (uploads, jobs, error reports, payouts). Uploads go through the same pipeline: the
job is created, the task is queued on commit, and running the task imports the file."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from apps.analytics.models import ImportJob, MetricFact, Payout
from apps.analytics.services import payout_create
from apps.analytics.tasks import traffic_import_task
from apps.core.accounts.roles import Role
from apps.ledger.models import Transaction
from tests.analytics.factories import AffiliateProgramFactory, TrafficSourceFactory
from tests.ledger.factories import AccountFactory

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"
MOLOCO = (FIXTURES / "moloco_dashboard.csv").read_bytes()
BASE = "/api/v1/analytics"


def upload(name="moloco.csv", content=MOLOCO):
    return SimpleUploadedFile(name, content, content_type="text/csv")


@pytest.fixture
def api(owner):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(owner)
    return client


@pytest.fixture
def source(organization):
    return TrafficSourceFactory(organization=organization, name="Moloco")


def run_queued(callbacks) -> ImportJob:
    """What a worker does with the queued task: the test runs the task function itself."""
    assert len(callbacks) == 1, "the upload queues exactly one import on commit"
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.QUEUED
    traffic_import_task(job.pk)
    job.refresh_from_db()
    return job


# --- the admin ----------------------------------------------------------------------------------------------


def test_an_upload_in_the_admin_queues_the_import_on_commit_and_the_task_imports_the_file(
    admin_client, source, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_client.post(
            reverse("admin:analytics_importjob_add"),
            {"source": source.pk, "file": upload(), "format": "", "keep_valid": "on"},
        )
    assert response.status_code == 302, response.content.decode()[:2000]

    job = run_queued(callbacks)

    assert job.status == ImportJob.Status.DONE, job.message
    assert job.rows_inserted > 0
    assert MetricFact.objects.filter(import_job=job).count() == job.rows_inserted
    page = admin_client.get(reverse("admin:analytics_importjob_change", args=[job.pk]))
    assert page.status_code == 200
    assert job.file_name in page.content.decode()


def test_the_same_file_uploaded_again_in_the_admin_queues_nothing(
    admin_client, source, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as first:
        admin_client.post(reverse("admin:analytics_importjob_add"), {"source": source.pk, "file": upload()})
    with django_capture_on_commit_callbacks(execute=False) as second:
        admin_client.post(reverse("admin:analytics_importjob_add"), {"source": source.pk, "file": upload()})

    assert (len(first), len(second)) == (1, 0)
    assert ImportJob.objects.count() == 1


def test_a_rejected_files_error_report_downloads_from_the_admin_and_the_fact_links_to_its_line(
    admin_client, source, django_capture_on_commit_callbacks
):
    bad = MOLOCO.replace(b"2026-05-01;US_Android", b"2026-13-45;US_Android", 1)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        admin_client.post(reverse("admin:analytics_importjob_add"), {"source": source.pk, "file": upload(content=bad)})
    job = run_queued(callbacks)

    assert job.status == ImportJob.Status.REJECTED
    report = admin_client.get(reverse("admin:analytics_importjob_error_report", args=[job.pk]))
    assert report.status_code == 200
    assert b"2026-13-45" in b"".join(report.streaming_content)
    assert not MetricFact.objects.exists()


def test_a_facts_page_names_the_import_and_file_line_it_came_from(
    admin_client, source, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        admin_client.post(reverse("admin:analytics_importjob_add"), {"source": source.pk, "file": upload()})
    job = run_queued(callbacks)
    fact = MetricFact.objects.order_by("line").first()

    page = admin_client.get(reverse("admin:analytics_metricfact_change", args=[fact.pk])).content.decode()

    assert reverse("admin:analytics_importjob_change", args=[job.pk]) in page
    assert f"line {fact.line}" in page


def _payout(organization, amount="100.00"):
    program = AffiliateProgramFactory(organization=organization)
    return payout_create(
        organization=organization,
        program=program,
        period_start=date(2026, 4, 1),
        period_end=date(2026, 4, 30),
        amount=Decimal(amount),
        currency="USD",
    )


def _action(client, name, payout, **extra):
    return client.post(
        reverse("admin:analytics_payout_changelist"), {"action": name, "_selected_action": [payout.pk], **extra}
    )


def test_approving_a_payout_twice_in_the_admin_posts_once(admin_client, organization):
    payout = _payout(organization)

    _action(admin_client, "approve_payouts", payout)
    _action(admin_client, "approve_payouts", payout)

    payout.refresh_from_db()
    assert payout.status == Payout.Status.APPROVED
    assert Transaction.objects.filter(organization=organization).count() == 1


def test_paying_in_the_admin_asks_for_the_cash_account_then_posts_once(admin_client, organization):
    payout = _payout(organization)
    _action(admin_client, "approve_payouts", payout)
    bank = AccountFactory(organization=organization, code="1030", name="Bank USD", currency_id="USD")

    page = _action(admin_client, "pay_payout", payout)
    assert page.status_code == 200
    assert "Bank USD" in page.content.decode()
    _action(admin_client, "pay_payout", payout, apply="1", cash_account=bank.pk)
    _action(admin_client, "pay_payout", payout, apply="1", cash_account=bank.pk)

    payout.refresh_from_db()
    assert payout.status == Payout.Status.PAID
    assert Transaction.objects.filter(organization=organization).count() == 2


def test_reversing_and_rejecting_in_the_admin_call_the_services(admin_client, organization):
    approved, pending = _payout(organization), _payout(organization, "50.00")
    _action(admin_client, "approve_payouts", approved)

    _action(admin_client, "reverse_payouts", approved, apply="1", reason="clawback")
    _action(admin_client, "reject_payouts", pending, apply="1", reason="fraud")

    approved.refresh_from_db(), pending.refresh_from_db()
    assert (approved.status, pending.status) == (Payout.Status.REVERSED, Payout.Status.REJECTED)


# --- the API ------------------------------------------------------------------------------------------------


def test_an_upload_through_the_api_answers_202_with_the_job_and_the_task_imports_it(
    api, source, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api.post(f"{BASE}/imports/", {"file": upload(), "source": source.pk}, format="multipart")
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "queued"

    job = run_queued(callbacks)

    assert job.status == ImportJob.Status.DONE
    listed = api.get(f"{BASE}/imports/").json()
    assert [row["id"] for row in listed["results"]] == [job.pk]
    assert listed["results"][0]["rows_inserted"] == job.rows_inserted

    with django_capture_on_commit_callbacks(execute=False) as again:
        repeat = api.post(f"{BASE}/imports/", {"file": upload(), "source": source.pk}, format="multipart")
    assert (repeat.status_code, repeat.json()["id"], len(again)) == (200, job.pk, 0)


def test_the_api_serves_a_rejected_imports_error_report_as_csv(api, source, django_capture_on_commit_callbacks):
    bad = MOLOCO.replace(b"2026-05-01;US_Android", b"2026-13-45;US_Android", 1)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        api.post(f"{BASE}/imports/", {"file": upload(content=bad), "source": source.pk}, format="multipart")
    job = run_queued(callbacks)

    report = api.get(f"{BASE}/imports/{job.pk}/error-report/")

    assert report.status_code == 200
    assert report["Content-Type"].startswith("text/csv")
    assert b"2026-13-45" in b"".join(report.streaming_content)


def test_an_upload_into_another_organizations_source_is_refused(api, other_organization):
    foreign = TrafficSourceFactory(organization=other_organization)

    response = api.post(f"{BASE}/imports/", {"file": upload(), "source": foreign.pk}, format="multipart")

    assert response.status_code == 400
    assert "source" in response.json()["error"]["fields"]
    assert not ImportJob.objects.exists()


def test_a_payout_through_the_api_is_created_approved_and_paid_once(api, organization):
    program = AffiliateProgramFactory(organization=organization)
    bank = AccountFactory(organization=organization, code="1030", name="Bank USD", currency_id="USD")
    created = api.post(
        f"{BASE}/payouts/",
        {
            "organization": organization.slug,
            "program": program.pk,
            "period_start": "2026-04-01",
            "period_end": "2026-04-30",
            "amount": "1250.40",
            "currency": "USD",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]

    for _ in range(2):
        approved = api.post(f"{BASE}/payouts/{pk}/approve/", {}, format="json")
        assert approved.status_code == 200
        assert approved.json()["status"] == "approved"
    for _ in range(2):
        paid = api.post(f"{BASE}/payouts/{pk}/pay/", {"cash_account": bank.pk}, format="json")
        assert paid.status_code == 200
        assert paid.json()["status"] == "paid"

    assert paid.json()["amount"] == "1250.40"
    assert Transaction.objects.filter(organization=organization).count() == 2
    refused = api.post(f"{BASE}/payouts/{pk}/reverse/", {}, format="json")
    assert refused.status_code == 400


def test_a_viewer_of_an_organization_cannot_upload_into_its_source_from_the_admin(
    admin_client, owner, other_organization, django_capture_on_commit_callbacks
):
    from tests.core.factories import MembershipFactory

    MembershipFactory(user=owner, organization=other_organization, role=Role.VIEWER)
    read_only_source = TrafficSourceFactory(organization=other_organization)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_client.post(
            reverse("admin:analytics_importjob_add"), {"source": read_only_source.pk, "file": upload()}
        )

    assert response.status_code == 200  # the form again, with the refusal
    assert (len(callbacks), ImportJob.objects.count()) == (0, 0)
