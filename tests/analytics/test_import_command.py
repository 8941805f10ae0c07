"""``manage.py import_traffic``: the same pipeline as uploads, from a file on disk, with a progress bar on
stderr, a summary on stdout and a non-zero exit when the file is refused."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from apps.analytics.models import Campaign, ImportJob, MetricFact, TrafficSource
from apps.analytics.services import import_job_create, import_rows
from tests.analytics.factories import TrafficSourceFactory, fact_rows

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"
MOLOCO = FIXTURES / "moloco_dashboard.csv"


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_traffic", *map(str, args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_a_missing_file_is_named(organization, english):
    with pytest.raises(CommandError, match="No file at /nowhere.csv"):
        run("/nowhere.csv", "--org", organization.slug, "--source", "Moloco")


def test_an_unknown_organization_is_named(tmp_path, organization, english):
    path = tmp_path / "a.csv"
    path.write_text("x\n")
    with pytest.raises(CommandError, match="No organization with the slug nope"):
        run(path, "--org", "nope", "--source", "Moloco")


def test_a_file_already_imported_is_not_imported_again(tmp_path, organization, english):
    source = TrafficSourceFactory(organization=organization, name="Moloco")
    path = tmp_path / "report.csv"
    path.write_bytes(b"Date,Campaign\n2026-05-01,Brand\n")
    job = import_job_create(organization=organization, source=source, file=path)
    import_rows(job, [fact_rows(2)])

    out, _err = run(path, "--org", organization.slug, "--source", "Moloco")

    assert f"already imported into Moloco (import #{job.pk}); nothing to do" in out
    assert ImportJob.objects.count() == 1


def test_a_moloco_export_is_imported_with_a_progress_bar_and_a_summary(organization, english):
    out, err = run(MOLOCO, "--org", organization.slug, "--source", "Moloco")

    source = TrafficSource.objects.get(organization=organization, name="Moloco")
    job = ImportJob.objects.get(source=source)
    assert job.status == ImportJob.Status.DONE
    assert job.format == "moloco_csv"
    assert "Created the traffic source Moloco." in err
    assert "100%" in err
    facts = MetricFact.objects.filter(source=source).count()
    assert facts == job.rows_inserted > 0
    assert f"{job.rows_read} rows read, {job.rows_inserted} inserted, 0 updated, 0 unchanged, 0 rejected" in out
    assert Campaign.objects.filter(source=source, external_id="cmp-101").exists()

    again, _err = run(MOLOCO, "--org", organization.slug, "--source", "Moloco", "--force")
    assert f"0 inserted, 0 updated, {facts} unchanged" in again


def test_a_file_with_bad_cells_imports_nothing_and_exits_with_an_error(tmp_path, organization, english):
    bad = MOLOCO.read_text(encoding="utf-8").splitlines()
    header, first, *rest = bad
    cells = first.split(";")
    cells[0], cells[8], cells[11] = "2026-13-45", "many", "ten"
    path = tmp_path / "bad.csv"
    path.write_text("\n".join([header, ";".join(cells), *rest]) + "\n", encoding="utf-8")

    with pytest.raises(CommandError, match="3 bad cells; nothing was imported"):
        run(path, "--org", organization.slug, "--source", "Moloco")

    assert MetricFact.objects.count() == 0
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.REJECTED
    assert sorted(error["line"] for error in job.errors) == [2, 2, 2]


def test_an_upload_runs_as_a_celery_task_once(organization):
    from apps.analytics.tasks import traffic_import_task

    source = TrafficSourceFactory(organization=organization)
    job = import_job_create(organization=organization, source=source, file=MOLOCO)

    assert traffic_import_task(job.pk) == ImportJob.Status.DONE
    facts = MetricFact.objects.count()
    assert traffic_import_task(job.pk) == ImportJob.Status.DONE  # a second delivery of the task
    assert MetricFact.objects.count() == facts > 0


def test_a_file_of_no_known_format_is_rejected_naming_the_formats_tried(tmp_path, organization, english):
    path = tmp_path / "mystery.csv"
    path.write_text("Foo,Bar\n1,2\n", encoding="utf-8")

    with pytest.raises(CommandError) as refused:
        run(path, "--org", organization.slug, "--source", "Moloco")

    assert "moloco" in str(refused.value).lower()
    assert ImportJob.objects.get().status == ImportJob.Status.REJECTED
    assert MetricFact.objects.count() == 0


def test_a_binom_cost_file_is_imported_in_the_time_zone_its_lines_name(organization, english):
    source = TrafficSourceFactory(organization=organization, name="Binom", time_zone="Europe/Berlin", currency="USD")

    run(FIXTURES / "binom_cost.csv", "--org", organization.slug, "--source", "Binom")

    job = ImportJob.objects.get(source=source)
    assert (job.status, job.format, job.time_zone) == (ImportJob.Status.DONE, "binom_cost", "UTC+03:00")
    facts = MetricFact.objects.filter(source=source).order_by("line")
    assert [(f.campaign.external_id, str(f.report_date), f.spend, f.sub_id, f.time_zone) for f in facts] == [
        ("17", "2026-05-01", Decimal("12.50"), "", "UTC+03:00"),
        ("17", "2026-05-02", Decimal("13.75"), "", "UTC+03:00"),
        ("18", "2026-05-02", Decimal("1000.00"), "pubdomain.com", "UTC+03:00"),
    ]
