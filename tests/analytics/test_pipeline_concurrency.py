"""Imports that race on real parallel connections: the same file uploaded twice at once is one job, the same
job run twice at once writes once, and two imports of one file into one source apply it once."""

from __future__ import annotations

import io

import pytest

from apps.analytics.models import Campaign, ImportJob, MetricFact
from apps.analytics.services import import_job_create, import_rows
from apps.core.mechanisms.idempotency import is_replay
from tests.analytics.factories import TrafficSourceFactory, fact_rows, import_job
from tests.helpers import run_in_threads

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def source(organization):
    return TrafficSourceFactory(organization=organization)


def test_the_same_file_uploaded_twice_at_once_makes_one_job(source):
    def upload(_index):
        return import_job_create(
            organization=source.organization, source=source, file=io.BytesIO(b"date,campaign\n"), file_name="a.csv"
        ).pk

    ids = run_in_threads(upload, 2)

    assert ids[0] == ids[1]
    assert ImportJob.objects.count() == 1


def test_one_job_run_twice_at_once_writes_once(source):
    job = import_job(source)

    results = run_in_threads(lambda _index: import_rows(job, [fact_rows(50)]), 2)

    assert sorted(is_replay(result) for result in results) == [False, True]
    assert MetricFact.objects.count() == 50
    assert ImportJob.objects.get().rows_inserted == 50


def test_two_imports_of_one_file_into_one_source_at_once_apply_it_once(source):
    jobs = [import_job(source), import_job(source, force=True)]

    results = run_in_threads(lambda index: import_rows(jobs[index], [fact_rows(60)]), 2)

    assert sorted((job.rows_inserted, job.rows_unchanged) for job in results) == [(0, 60), (60, 0)]
    assert MetricFact.objects.count() == 60
    assert Campaign.objects.count() == 3
