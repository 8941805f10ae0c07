"""Imports racing into one source leave a rollup equal to the facts: refreshes wait for each other and for
the imports' writes (one advisory lock per source)."""

from __future__ import annotations

import pytest

from apps.analytics.models import ImportJob
from apps.analytics.services import import_job_run
from tests.analytics.factories import TrafficSourceFactory, import_job
from tests.analytics.test_rollups import FILE, facts_summed, moloco, rolled_up
from tests.helpers import run_in_threads

pytestmark = pytest.mark.django_db(transaction=True)


def test_racing_imports_and_restatements_keep_the_rollup_equal_to_the_facts(organization):
    source = TrafficSourceFactory(organization=organization, name="Moloco", time_zone="UTC", currency="USD")
    files = [
        FILE,
        [line.replace(";10,50;", ";11,50;").replace(";30,00;", ";31,00;") for line in FILE],
        [*FILE[:2], "2026-05-04;Late;cmp-9;A;video;UNITY;USA;IOS;7;7;7;7,00;USD"],
    ]
    jobs = [import_job(source, moloco(lines), force=True, name=f"f{i}.csv") for i, lines in enumerate(files)]

    finished = run_in_threads(lambda index: import_job_run(job=jobs[index]), len(jobs))

    assert all(job.status == ImportJob.Status.DONE for job in finished)
    assert rolled_up(organization) == facts_summed(organization)
