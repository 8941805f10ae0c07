"""Scheduled imports: a folder's new files imported once, an S3 prefix listed with ListObjectsV2 and signed with
SigV4 (checked against AWS's documented test vectors), rate limits waited out without sleeping, due schedules
claimed once however many runners race for them, and the admin, the command and the beat task."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import httpx
import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone

from apps.analytics.feeds import http as feeds_http
from apps.analytics.feeds.sigv4 import signed_headers
from apps.analytics.models import ImportJob, ImportSchedule, MetricFact
from apps.analytics.services.schedules import (
    import_schedule_run,
    import_schedule_save,
    import_schedules_claim_due,
)
from apps.analytics.tasks import import_schedules_run_due_task
from apps.core.models import AuditLog
from tests.analytics.factories import TrafficSourceFactory
from tests.helpers import run_in_threads

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def source(organization):
    return TrafficSourceFactory(organization=organization, name="Moloco")


def folder_schedule(source, path, **extra) -> ImportSchedule:
    return import_schedule_save(
        source=source,
        name=f"Drop {path.name}",
        kind="folder",
        settings={"path": str(path), "pattern": "*.csv"},
        **extra,
    )


class Sleeps(list):
    """The ``sleep`` a run is given: records the waits instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


# --- folder --------------------------------------------------------------------------------------------------


def test_a_folder_s_new_files_are_imported_once(source, tmp_path):
    shutil.copy(FIXTURES / "moloco_dashboard.csv", tmp_path / "may-01.csv")
    (tmp_path / "notes.txt").write_text("not a report")
    schedule = folder_schedule(source, tmp_path)

    first = import_schedule_run(schedule_id=schedule.pk)
    second = import_schedule_run(schedule_id=schedule.pk)

    assert (first["fetched"], first["imported"], first["error"]) == (1, 1, "")
    assert (second["fetched"], second["imported"], second["already_imported"]) == (1, 0, 1)
    assert ImportJob.objects.filter(source=source).count() == 1
    facts = MetricFact.objects.filter(source=source).count()
    assert facts > 0

    shutil.copy(FIXTURES / "keitaro_report.csv", tmp_path / "may-02.csv")
    third = import_schedule_run(schedule_id=schedule.pk)

    assert (third["imported"], third["already_imported"]) == (1, 1)
    schedule.refresh_from_db()
    assert schedule.last_summary["imported"] == 1
    assert schedule.last_error == ""


def test_a_missing_folder_is_the_schedule_s_error_and_nothing_is_imported(source, tmp_path):
    schedule = folder_schedule(source, tmp_path / "gone")

    result = import_schedule_run(schedule_id=schedule.pk)

    schedule.refresh_from_db()
    assert "does not exist" in result["error"]
    assert "does not exist" in schedule.last_error
    assert not ImportJob.objects.exists()


def test_a_bad_file_is_rejected_by_the_pipeline_and_counted(source, tmp_path):
    (tmp_path / "broken.csv").write_text("Date,Campaign,Impressions,Spend\n2026-13-45,X,ten,abc\n")
    schedule = folder_schedule(source, tmp_path)

    result = import_schedule_run(schedule_id=schedule.pk)

    assert result["fetched"] == 1
    assert result["imported"] == 0
    assert result["rejected"] + result["failed"] == 1
    assert not MetricFact.objects.exists()


# --- claiming ------------------------------------------------------------------------------------------------


def test_only_active_due_schedules_are_claimed_and_then_are_not_due(source, tmp_path):
    due = folder_schedule(source, tmp_path)
    later = folder_schedule(source, tmp_path / "b")
    ImportSchedule.objects.filter(pk=later.pk).update(next_run_at=timezone.now() + dt.timedelta(hours=1))
    off = folder_schedule(source, tmp_path / "c", is_active=False)
    now = timezone.now()

    claimed = import_schedules_claim_due(now=now)

    assert claimed == [due.pk]
    assert off.pk not in claimed
    due.refresh_from_db()
    assert due.next_run_at == now + due.interval
    assert import_schedules_claim_due(now=now) == []


@pytest.mark.django_db(transaction=True)
def test_a_schedule_held_by_another_runner_is_skipped_not_waited_for(organization, tmp_path):
    schedule = folder_schedule(TrafficSourceFactory(organization=organization), tmp_path)

    with transaction.atomic():
        ImportSchedule.objects.select_for_update().get(pk=schedule.pk)
        # While this runner holds it, another (on its own connection) finds nothing to take, at once.
        assert run_in_threads(lambda _i: import_schedules_claim_due(), 1) == [[]]

    assert import_schedules_claim_due() == [schedule.pk]


@pytest.mark.django_db(transaction=True)
def test_runners_racing_for_due_schedules_take_each_once(organization, tmp_path):
    source = TrafficSourceFactory(organization=organization)
    schedules = [folder_schedule(source, tmp_path / str(i)) for i in range(12)]

    claimed = run_in_threads(lambda _i: import_schedules_claim_due(limit=5), 4)

    taken = [pk for batch in claimed for pk in batch]
    assert sorted(taken) == sorted(schedule.pk for schedule in schedules)
    assert len(taken) == len(set(taken))


def test_the_beat_task_queues_a_run_of_each_due_schedule(source, tmp_path, django_capture_on_commit_callbacks):
    schedule = folder_schedule(source, tmp_path)

    with django_capture_on_commit_callbacks(execute=False) as queued:
        claimed = import_schedules_run_due_task.apply().get()

    assert claimed == [schedule.pk]
    assert len(queued) == 1


# --- S3 -----------------------------------------------------------------------------------------------------

# AWS's Signature Version 4 test suite: credentials, time and the expected signatures of its "get-vanilla"
# and "get-vanilla-query-order-key-case" requests.
AWS_KEY, AWS_SECRET = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
AWS_TIME = dt.datetime(2015, 8, 30, 12, 36, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("url", "signature"),
    [
        ("https://example.amazonaws.com/", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
        (
            "https://example.amazonaws.com/?Param2=value2&Param1=value1",
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
        ),
    ],
)
def test_sigv4_signs_aws_s_documented_test_vectors(url, signature):
    headers = signed_headers(
        "GET", url, access_key=AWS_KEY, secret_key=AWS_SECRET, region="us-east-1", service="service", now=AWS_TIME
    )

    assert headers["X-Amz-Date"] == "20150830T123600Z"
    assert headers["Authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
        f"SignedHeaders=host;x-amz-date, Signature={signature}"
    )


def listing(objects, *, truncated_token: str = "") -> bytes:
    """A ListObjectsV2 answer, as S3 writes it."""
    contents = "".join(
        f"<Contents><Key>{key}</Key><LastModified>{modified}</LastModified><ETag>&quot;{key}&quot;</ETag>"
        f"<Size>{size}</Size><StorageClass>STANDARD</StorageClass></Contents>"
        for key, modified, size in objects
    )
    more = (
        f"<IsTruncated>true</IsTruncated><NextContinuationToken>{truncated_token}</NextContinuationToken>"
        if truncated_token
        else "<IsTruncated>false</IsTruncated>"
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        f"<Name>reports</Name><Prefix>moloco/</Prefix><KeyCount>{len(objects)}</KeyCount><MaxKeys>1000</MaxKeys>"
        f"{more}{contents}</ListBucketResult>"
    ).encode()


class S3Stub:
    """A bucket ``reports`` at MinIO's address: two pages of listing, objects by key; records every request."""

    def __init__(self):
        self.objects = {
            "moloco/2026-05-01.csv": ("2026-05-01T06:00:00.000Z", (FIXTURES / "moloco_dashboard.csv").read_bytes()),
            "moloco/2026-05-02.csv": ("2026-05-02T06:00:00.000Z", (FIXTURES / "keitaro_report.csv").read_bytes()),
        }
        self.requests: list[httpx.Request] = []
        self.rate_limited = 0

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        assert request.headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=minio-key/")
        assert request.headers["x-amz-content-sha256"]
        if self.rate_limited:
            self.rate_limited -= 1
            return httpx.Response(429, headers={"Retry-After": "7"}, text="SlowDown")
        path = request.url.path
        if path == "/reports":
            keys = sorted(self.objects)
            rows = [(key, self.objects[key][0], len(self.objects[key][1])) for key in keys]
            if request.url.params.get("continuation-token") == "page-2":
                return httpx.Response(200, content=listing(rows[1:]))
            return httpx.Response(200, content=listing(rows[:1], truncated_token="page-2"))
        key = path.removeprefix("/reports/")
        if key in self.objects:
            return httpx.Response(200, content=self.objects[key][1])
        return httpx.Response(404, text="NoSuchKey")


@pytest.fixture
def s3(monkeypatch):
    stub = S3Stub()
    monkeypatch.setattr(feeds_http, "TRANSPORT", httpx.MockTransport(stub.handler))
    return stub


def s3_schedule(source) -> ImportSchedule:
    return import_schedule_save(
        source=source,
        name="MinIO drop",
        kind="s3",
        settings={"bucket": "reports", "prefix": "moloco/", "endpoint": "http://minio:9000", "region": "eu-west-1"},
        credentials={"access_key_id": "minio-key", "secret_access_key": "minio-secret"},
    )


def test_an_s3_prefix_is_listed_page_by_page_signed_and_each_object_imported(source, s3):
    schedule = s3_schedule(source)

    result = import_schedule_run(schedule_id=schedule.pk)

    assert (result["fetched"], result["imported"], result["error"]) == (2, 2, "")
    listed = [r for r in s3.requests if r.url.path == "/reports"]
    assert [r.url.params.get("continuation-token") for r in listed] == [None, "page-2"]
    assert listed[0].url.params["list-type"] == "2"
    assert "/eu-west-1/s3/aws4_request" in listed[0].headers["Authorization"]
    assert sorted(ImportJob.objects.values_list("file_name", flat=True)) == ["2026-05-01.csv", "2026-05-02.csv"]
    schedule.refresh_from_db()
    assert schedule.state == {"after": "2026-05-02T06:00:00.000Z"}


def test_the_next_run_fetches_only_newer_objects(source, s3):
    schedule = s3_schedule(source)
    import_schedule_run(schedule_id=schedule.pk)
    s3.requests.clear()
    s3.objects["moloco/2026-05-03.csv"] = ("2026-05-03T06:00:00.000Z", b"Date,Campaign,Spend\n2026-05-03,X,1\n")

    result = import_schedule_run(schedule_id=schedule.pk)

    fetched = [r.url.path for r in s3.requests if r.url.path != "/reports"]
    # The newest of the last run again (same time: harmless, already imported) and the new one.
    assert fetched == ["/reports/moloco/2026-05-02.csv", "/reports/moloco/2026-05-03.csv"]
    assert result["already_imported"] == 1


def test_a_rate_limited_listing_waits_as_told_without_sleeping(source, s3):
    schedule = s3_schedule(source)
    s3.rate_limited = 2
    sleeps = Sleeps()

    result = import_schedule_run(schedule_id=schedule.pk, sleep=sleeps)

    assert sleeps == [7.0, 7.0]
    assert result["imported"] == 2


def test_refused_credentials_are_the_schedule_s_error(source, monkeypatch):
    monkeypatch.setattr(
        feeds_http,
        "TRANSPORT",
        httpx.MockTransport(lambda request: httpx.Response(403, text="<Error><Code>AccessDenied</Code></Error>")),
    )
    schedule = s3_schedule(source)

    result = import_schedule_run(schedule_id=schedule.pk)

    assert "403" in result["error"]
    assert "AccessDenied" in result["error"]
    assert not ImportJob.objects.exists()


# --- saving, admin, command ---------------------------------------------------------------------------------


def test_a_schedule_needs_the_settings_and_credentials_of_its_kind(source):
    with pytest.raises(ValidationError) as refused:
        import_schedule_save(source=source, name="S3", kind="s3", settings={"prefix": "x/"}, credentials={})

    assert set(refused.value.message_dict) == {"settings", "credentials"}


def test_credentials_are_kept_encrypted_and_an_empty_value_keeps_the_stored_one(source):
    schedule = s3_schedule(source)

    schedule = import_schedule_save(
        schedule=schedule,
        name="MinIO drop",
        kind="s3",
        settings=schedule.settings,
        credentials={"access_key_id": "", "secret_access_key": "rotated"},
    )

    assert schedule.credentials == {"access_key_id": "minio-key", "secret_access_key": "rotated"}
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials FROM analytics_importschedule WHERE id = %s", [schedule.pk])
        assert "rotated" not in cursor.fetchone()[0]
    assert "rotated" not in str(AuditLog.objects.filter(action="analytics.schedule.update").get().changes)


def test_the_admin_saves_a_schedule_through_the_service_and_queues_a_run_now(
    client, source, tmp_path, member_of, django_capture_on_commit_callbacks
):
    shutil.copy(FIXTURES / "moloco_dashboard.csv", tmp_path / "may-01.csv")
    client.force_login(member_of(source.organization))

    added = client.post(
        "/admin/analytics/importschedule/add/",
        {
            "source": source.pk,
            "name": "Moloco drop",
            "kind": "folder",
            "settings": f'{{"path": "{tmp_path}", "pattern": "*.csv"}}',
            "format": "",
            "repull_days": 7,
            "interval": "01:00:00",
            "is_active": "on",
        },
    )
    schedule = ImportSchedule.objects.get()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ran = client.post(
            "/admin/analytics/importschedule/", {"action": "run_now", "_selected_action": [schedule.pk]}, follow=True
        )

    assert added.status_code == 302
    assert AuditLog.objects.filter(action="analytics.schedule.create").count() == 1
    assert "queued to run now" in ran.content.decode()
    assert len(callbacks) == 1  # the run, queued for a worker once the request commits
    assert not ImportJob.objects.exists()
    import_schedule_run(schedule_id=schedule.pk)  # what the worker does
    schedule.refresh_from_db()
    assert schedule.last_run_at is not None
    assert ImportJob.objects.filter(source=source, status=ImportJob.Status.DONE).count() == 1


def test_a_viewer_cannot_run_a_schedule(client, source, tmp_path, member_of):
    schedule = folder_schedule(source, tmp_path)
    client.force_login(member_of(source.organization, role="viewer"))

    client.post("/admin/analytics/importschedule/", {"action": "run_now", "_selected_action": [schedule.pk]})

    schedule.refresh_from_db()
    assert schedule.last_run_at is None


def test_the_command_runs_a_schedule_now_by_name(source, tmp_path, capsys):
    shutil.copy(FIXTURES / "moloco_dashboard.csv", tmp_path / "may-01.csv")
    schedule = folder_schedule(source, tmp_path)

    call_command("import_schedule_run", schedule.name)

    assert "1 imported" in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("import_schedule_run", "no such schedule")


# --- report APIs ---------------------------------------------------------------------------------------------

TODAY = dt.date(2026, 5, 10)


class MolocoStub:
    """Moloco's report API as it answers: a token, a report that is running and then ready, a signed link that
    has expired by the time it is fetched (403), and a fresh link on the next status read."""

    def __init__(self):
        self.requests: list[httpx.Request] = []
        self.status_reads = 0
        self.expired_links = 1
        self.rate_limited_creates = 0
        self.rows = (FIXTURES / "moloco_report_rows.json").read_bytes()

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        url = str(request.url)
        if url == "https://api.moloco.cloud/cm/v1/auth/tokens":
            assert json.loads(request.content) == {"api_key": "mk-secret"}
            return httpx.Response(200, json={"token": "tok-1", "token_type": "Bearer"})
        if url.startswith("https://api.moloco.cloud/cm/v1/reports?"):
            assert request.headers["Authorization"] == "Bearer tok-1"
            if self.rate_limited_creates:
                self.rate_limited_creates -= 1
                return httpx.Response(429, headers={"Retry-After": "3"})
            return httpx.Response(200, json={"id": f"rep-{len(self.requests)}"})
        if url.endswith("/status"):
            self.status_reads += 1
            if self.status_reads == 1:
                return httpx.Response(200, json={"status": "RUNNING"})
            link = f"https://storage.googleapis.com/moloco-reports/r.json?X-Goog-Signature=s{self.status_reads}"
            return httpx.Response(200, json={"status": "READY", "location_json": link, "location_csv": link})
        if url.startswith("https://storage.googleapis.com/"):
            assert "Authorization" not in request.headers  # our token never goes to the storage
            if self.expired_links:
                self.expired_links -= 1
                return httpx.Response(403, text="<Error><Code>ExpiredToken</Code></Error>")
            return httpx.Response(200, content=self.rows)
        return httpx.Response(404)


def moloco_schedule(source) -> ImportSchedule:
    return import_schedule_save(
        source=source,
        name="Moloco API",
        kind="moloco_api",
        settings={"ad_account_id": "acc-1"},
        credentials={"api_key": "mk-secret"},
        repull_days=3,
    )


def test_a_moloco_report_is_created_polled_and_its_expired_link_renewed(source, monkeypatch):
    stub = MolocoStub()
    monkeypatch.setattr(feeds_http, "TRANSPORT", httpx.MockTransport(stub.handler))
    schedule = moloco_schedule(source)
    sleeps = Sleeps()

    result = import_schedule_run(schedule_id=schedule.pk, today=TODAY, sleep=sleeps)

    assert (result["fetched"], result["imported"], result["error"]) == (1, 1, "")
    created = next(r for r in stub.requests if r.url.path == "/cm/v1/reports")
    body = json.loads(created.content)
    assert body["date_range"] == {"start": "2026-05-07", "end": "2026-05-10"}
    assert body["ad_account_id"] == "acc-1"
    downloads = [r for r in stub.requests if r.url.host == "storage.googleapis.com"]
    assert [r.url.params["X-Goog-Signature"] for r in downloads] == ["s2", "s3"]  # the expired one, then renewed
    assert sleeps == [10.0]  # one poll while the report was running; no real sleep
    job = ImportJob.objects.get()
    assert (job.status, job.format) == (ImportJob.Status.DONE, "moloco_json")
    assert MetricFact.objects.filter(source=source).count() == 2


def test_moloco_s_rate_limit_is_waited_out(source, monkeypatch):
    stub = MolocoStub()
    stub.rate_limited_creates = 2
    monkeypatch.setattr(feeds_http, "TRANSPORT", httpx.MockTransport(stub.handler))
    sleeps = Sleeps()

    result = import_schedule_run(schedule_id=moloco_schedule(source).pk, today=TODAY, sleep=sleeps)

    assert sleeps[:2] == [3.0, 3.0]
    assert result["imported"] == 1


def appsflyer_handler(calls: list, *, rate_limited: int = 0, body: bytes | None = None):
    answers = {"limited": rate_limited}
    content = body or (FIXTURES / "appsflyer_partners_by_date.csv").read_bytes()

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if answers["limited"]:
            answers["limited"] -= 1
            return httpx.Response(429, headers={"Retry-After": "30"}, text="Limit reached for partners_by_date_report")
        if request.headers.get("Authorization") != "Bearer af-token":
            return httpx.Response(403, text="Invalid token")
        return httpx.Response(200, content=content, headers={"Content-Type": "text/csv"})

    return handler


def appsflyer_schedule(source, **extra) -> ImportSchedule:
    return import_schedule_save(
        source=source,
        name="AppsFlyer",
        kind="appsflyer_api",
        settings={"app_id": "id123456789"},
        credentials={"api_token": "af-token"},
        repull_days=7,
        **extra,
    )


def test_an_appsflyer_report_of_the_last_days_is_pulled_after_its_rate_limit(source, monkeypatch):
    calls: list[httpx.Request] = []
    monkeypatch.setattr(feeds_http, "TRANSPORT", httpx.MockTransport(appsflyer_handler(calls, rate_limited=1)))
    sleeps = Sleeps()

    result = import_schedule_run(schedule_id=appsflyer_schedule(source).pk, today=TODAY, sleep=sleeps)

    assert sleeps == [30.0]
    assert (result["imported"], result["error"]) == (1, "")
    asked = calls[-1]
    assert asked.url.path == "/api/agg-data/export/app/id123456789/partners_by_date_report/v5"
    assert (asked.url.params["from"], asked.url.params["to"]) == ("2026-05-03", "2026-05-10")
    assert ImportJob.objects.get().format == "appsflyer_partners"


def test_the_same_report_again_changes_nothing_and_a_restated_one_updates_what_changed(source, monkeypatch):
    calls: list[httpx.Request] = []
    monkeypatch.setattr(feeds_http, "TRANSPORT", httpx.MockTransport(appsflyer_handler(calls)))
    schedule = appsflyer_schedule(source)
    import_schedule_run(schedule_id=schedule.pk, today=TODAY)

    again = import_schedule_run(schedule_id=schedule.pk, today=TODAY)
    restated = (FIXTURES / "appsflyer_partners_by_date.csv").read_bytes().replace(b"210.00", b"215.00")
    monkeypatch.setattr(feeds_http, "TRANSPORT", httpx.MockTransport(appsflyer_handler(calls, body=restated)))
    later = import_schedule_run(schedule_id=schedule.pk, today=TODAY)

    assert again["already_imported"] == 1
    assert later["imported"] == 1
    job = ImportJob.objects.order_by("-pk").first()
    assert (job.rows_updated, job.rows_inserted) == (1, 0)


def test_a_refused_appsflyer_token_is_the_schedule_s_error(source, monkeypatch):
    calls: list[httpx.Request] = []
    monkeypatch.setattr(feeds_http, "TRANSPORT", httpx.MockTransport(appsflyer_handler(calls)))
    schedule = appsflyer_schedule(source)
    schedule = import_schedule_save(
        schedule=schedule, name="AppsFlyer", kind="appsflyer_api", settings=schedule.settings,
        credentials={"api_token": "wrong"},
    )  # fmt: skip

    result = import_schedule_run(schedule_id=schedule.pk, today=TODAY)

    assert "403" in result["error"]
    assert not ImportJob.objects.exists()
