"""Quota reservations under contention: two processes reserve 1 message each, as fast as they can, against one
organization whose plan leaves fewer units than they ask for; every granted reservation is then settled.

Figures: ``quota_reservations_per_s`` (reservation attempts per second, both processes together, granted or
refused) and ``quota_overshoot`` (units granted beyond the limit; must be 0), with ``quota_granted`` and
``quota_counter_agrees`` (1 when the counter equals what the append-only records add up to).

    .venv/bin/python bench/run.py billing_quota
    BILLING_QUOTA_ATTEMPTS=2000 .venv/bin/python bench/run.py billing_quota   # a quicker run
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time

from _django import figure
from django.db import connections

ATTEMPTS = int(os.environ.get("BILLING_QUOTA_ATTEMPTS", "10000"))  # both processes together
PROCESSES = 2
LIMIT = ATTEMPTS * 3 // 4  # a quarter of the attempts must be refused


def set_up():
    from apps.billing.models import Plan, PlanLimit, Resource, Subscription
    from apps.core.models import Organization

    stamp = int(time.time() * 1000)
    organization = Organization.objects.create(name="Quota bench", slug=f"quota-bench-{stamp}")
    plan = Plan.objects.create(code=f"bench-{stamp}", name_ru="Бенч", name_en="Bench", is_public=False)
    PlanLimit.objects.create(plan=plan, resource=Resource.MESSAGES, amount=LIMIT)
    Subscription.objects.create(organization=organization, plan=plan, status="active")
    return organization


def worker(args) -> None:
    organization_id, number, count, start_at = args
    from apps.billing.models import Resource
    from apps.billing.services.usage import LimitExceeded, usage_reserve, usage_settle
    from apps.core.mechanisms.idempotency import product_key
    from apps.core.models import Organization

    organization = Organization.objects.get(pk=organization_id)
    while time.time() < start_at:
        time.sleep(0.001)
    granted = []
    for n in range(count):
        key = product_key("bench", number, n)
        try:
            usage_reserve(organization=organization, resource=Resource.MESSAGES, amount=1, key=key)
        except LimitExceeded:
            continue
        granted.append(key)
    for key in granted:
        usage_settle(organization=organization, key=key, actual=1)
    connections.close_all()


def main() -> None:
    from apps.billing.models import Resource, UsageCounter, UsageRecord, usage_period
    from apps.billing.selectors import usage_counter_recompute

    organization = set_up()
    ctx = mp.get_context("fork")
    connections.close_all()
    start_at = time.time() + 1.5
    per_process = ATTEMPTS // PROCESSES
    processes = [
        ctx.Process(target=worker, args=((organization.pk, number, per_process, start_at),))
        for number in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
        assert process.exitcode == 0, f"a bench worker failed ({process.exitcode})"
    elapsed = time.time() - start_at  # reservations and settles; the settles are a small, uncontended part

    period = usage_period(organization, Resource.MESSAGES)
    counter = UsageCounter.objects.get(organization=organization, resource=Resource.MESSAGES, period=period)
    granted = UsageRecord.objects.filter(organization=organization, kind="reserve").count()
    derived = usage_counter_recompute(organization=organization, resource=Resource.MESSAGES, period=period)
    figure("quota_reservations_per_s", PROCESSES * per_process / elapsed)
    figure("quota_granted", granted)
    figure("quota_overshoot", max(0, granted - LIMIT, counter.used + counter.reserved - LIMIT))
    figure("quota_counter_agrees", int(derived == (counter.used, counter.reserved)))


if __name__ == "__main__":
    main()
