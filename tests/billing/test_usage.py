"""Usage quotas: reserve before the work, settle or release after; never more than the plan allows, even when
requests race; the append-only records are the truth the counters agree with."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction

from apps.billing.models import PlanLimit, Resource, UsageCounter, UsageRecord, UsageThreshold
from apps.billing.selectors import usage_counter_recompute, usage_overage, usage_summary
from apps.billing.services.usage import (
    LimitExceeded,
    usage_allows,
    usage_free,
    usage_release,
    usage_release_stale,
    usage_reserve,
    usage_settle,
)
from apps.core.mechanisms.idempotency import IdempotencyConflict, product_key
from tests.billing.plan_helpers import catalogue
from tests.helpers import assert_nothing_written, run_in_threads

pytestmark = pytest.mark.django_db

MARCH = dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC)
APRIL = dt.datetime(2026, 4, 2, 12, tzinfo=dt.UTC)


@pytest.fixture
def free_plan(db):
    return catalogue()["free"]


def _counter(organization, resource, period=None):
    return UsageCounter.objects.get(organization=organization, resource=resource, period=period)


def _agrees_with_records(organization, resource, period=None):
    counter = _counter(organization, resource, period)
    return usage_counter_recompute(organization=organization, resource=resource, period=period) == (
        counter.used,
        counter.reserved,
    )


def test_a_reservation_within_the_limit_is_granted_and_counted_as_reserved(organization, free_plan):
    reservation = usage_reserve(organization=organization, resource=Resource.AGENTS, amount=1, key="agent-1")

    assert (reservation.amount, reservation.limit, reservation.replay) == (1, 1, False)
    counter = _counter(organization, Resource.AGENTS)
    assert (counter.used, counter.reserved) == (0, 1)
    assert _agrees_with_records(organization, Resource.AGENTS)


def test_a_reservation_beyond_the_limit_is_refused_naming_the_resource_limit_and_whats_left(
    organization, free_plan, english
):
    first = usage_reserve(organization=organization, resource=Resource.MESSAGES, amount=998, key="batch-1")

    with pytest.raises(LimitExceeded) as refused:
        usage_reserve(organization=organization, resource=Resource.MESSAGES, amount=5, key="batch-2")

    message = refused.value.messages[0]
    assert "messages per month" in message
    assert "allows 1000, 2 left, and this needs 5" in message
    assert not UsageRecord.objects.filter(key="client:batch-2").exists()
    assert _counter(organization, Resource.MESSAGES, first.period).reserved == 998


def test_a_refused_reservation_writes_nothing(organization, free_plan):
    usage_reserve(organization=organization, resource=Resource.SEATS, amount=1, key="seat-1")

    with assert_nothing_written("billing"), pytest.raises(LimitExceeded):
        usage_reserve(organization=organization, resource=Resource.SEATS, amount=1, key="seat-2")


def test_usage_allows_answers_without_reserving(organization, free_plan):
    assert usage_allows(organization=organization, resource=Resource.AGENTS, amount=1)
    assert not usage_allows(organization=organization, resource=Resource.AGENTS, amount=2)
    assert not UsageRecord.objects.exists()


def test_the_same_key_twice_reserves_once(organization, free_plan):
    first = usage_reserve(organization=organization, resource=Resource.LLM_TOKENS, amount=500, key="run-7")
    again = usage_reserve(organization=organization, resource=Resource.LLM_TOKENS, amount=500, key="run-7")

    assert (first.replay, again.replay) == (False, True)
    assert _counter(organization, Resource.LLM_TOKENS, first.period).reserved == 500
    assert UsageRecord.objects.filter(key="client:run-7").count() == 1


def test_the_same_key_for_a_different_amount_is_a_conflict(organization, free_plan):
    usage_reserve(organization=organization, resource=Resource.LLM_TOKENS, amount=500, key="run-7")

    with pytest.raises(IdempotencyConflict):
        usage_reserve(organization=organization, resource=Resource.LLM_TOKENS, amount=600, key="run-7")


def test_settling_with_less_than_reserved_frees_the_rest(organization, free_plan):
    reservation = usage_reserve(organization=organization, resource=Resource.LLM_TOKENS, amount=4000, key="run-1")

    change = usage_settle(organization=organization, key="run-1", actual=3120)

    assert (change.used, change.reserved) == (3120, 0)
    counter = _counter(organization, Resource.LLM_TOKENS, reservation.period)
    assert (counter.used, counter.reserved) == (3120, 0)
    assert _agrees_with_records(organization, Resource.LLM_TOKENS, reservation.period)
    assert usage_allows(organization=organization, resource=Resource.LLM_TOKENS, amount=100_000 - 3120)


def test_settling_twice_settles_once_and_a_release_after_it_is_refused(organization, free_plan):
    usage_reserve(organization=organization, resource=Resource.MESSAGES, amount=10, key="send-1")
    usage_settle(organization=organization, key="send-1", actual=10)

    again = usage_settle(organization=organization, key="send-1", actual=10)

    assert again.replay
    assert again.used == 10
    with pytest.raises(IdempotencyConflict):
        usage_release(organization=organization, key="send-1")


def test_releasing_gives_the_whole_reservation_back(organization, free_plan):
    reservation = usage_reserve(organization=organization, resource=Resource.MESSAGES, amount=1000, key="send-2")
    assert not usage_allows(organization=organization, resource=Resource.MESSAGES, amount=1)

    change = usage_release(organization=organization, key="send-2")

    assert (change.used, change.reserved) == (0, 0)
    assert usage_allows(organization=organization, resource=Resource.MESSAGES, amount=1000)
    assert _agrees_with_records(organization, Resource.MESSAGES, reservation.period)


def test_settling_an_unknown_key_is_refused(organization, free_plan):
    with pytest.raises(ValidationError, match="Nothing is reserved"):
        usage_settle(organization=organization, key="never", actual=1)


def test_usage_beyond_the_reservation_is_counted_as_overage(organization, free_plan):
    reservation = usage_reserve(organization=organization, resource=Resource.LLM_TOKENS, amount=99_000, key="big")

    usage_settle(organization=organization, key="big", actual=100_250)

    assert usage_overage(organization=organization, resource=Resource.LLM_TOKENS, period=reservation.period) == 250
    assert not usage_allows(organization=organization, resource=Resource.LLM_TOKENS, amount=1)


def test_monthly_resources_start_again_at_zero_the_next_month(organization, free_plan):
    with time_machine.travel(MARCH, tick=False):
        march = usage_reserve(organization=organization, resource=Resource.MESSAGES, amount=1000, key="m-1")
        usage_settle(organization=organization, key="m-1", actual=1000)
        assert not usage_allows(organization=organization, resource=Resource.MESSAGES, amount=1)

    with time_machine.travel(APRIL, tick=False):
        april = usage_reserve(organization=organization, resource=Resource.MESSAGES, amount=1000, key="m-2")

    assert (march.period, april.period) == (dt.date(2026, 3, 1), dt.date(2026, 4, 1))
    assert _counter(organization, Resource.MESSAGES, dt.date(2026, 3, 1)).used == 1000
    assert _counter(organization, Resource.MESSAGES, dt.date(2026, 4, 1)).reserved == 1000


def test_standing_counts_do_not_reset_and_are_given_back_when_freed(organization, free_plan):
    with time_machine.travel(MARCH, tick=False):
        usage_reserve(organization=organization, resource=Resource.AGENTS, amount=1, key="agent-1")
        usage_settle(organization=organization, key="agent-1", actual=1)
    with time_machine.travel(APRIL, tick=False):
        assert not usage_allows(organization=organization, resource=Resource.AGENTS, amount=1)

        usage_free(organization=organization, resource=Resource.AGENTS, amount=1, key="agent-1-deleted")
        usage_free(organization=organization, resource=Resource.AGENTS, amount=1, key="agent-1-deleted")

        assert usage_allows(organization=organization, resource=Resource.AGENTS, amount=1)
    assert _counter(organization, Resource.AGENTS).used == 0
    assert _agrees_with_records(organization, Resource.AGENTS)


def test_per_month_usage_cannot_be_given_back(organization, free_plan):
    with pytest.raises(ValidationError):
        usage_free(organization=organization, resource=Resource.MESSAGES, amount=1, key="x")


def test_thresholds_at_80_and_100_percent_are_reported_once_a_month(organization, free_plan):
    reported = []
    with time_machine.travel(MARCH, tick=False):
        for number, amount in enumerate([700, 100, 50, 150]):
            key = f"send-{number}"
            usage_reserve(organization=organization, resource=Resource.MESSAGES, amount=amount, key=key)
            reported.append(usage_settle(organization=organization, key=key, actual=amount).thresholds_crossed)

    assert reported == [[], [80], [], [100]]
    assert UsageThreshold.objects.filter(organization=organization, period=dt.date(2026, 3, 1)).count() == 2


def test_an_unlimited_resource_is_always_granted(organization, free_plan):
    PlanLimit.objects.filter(plan=free_plan, resource=Resource.LLM_TOKENS).update(amount=None)

    reservation = usage_reserve(organization=organization, resource=Resource.LLM_TOKENS, amount=10**12, key="huge")

    assert reservation.limit is None


def test_without_any_plan_nothing_is_allowed(organization, english):
    with pytest.raises(LimitExceeded, match="allows 0"):
        usage_reserve(organization=organization, resource=Resource.SEATS, amount=1, key="seat")


def test_the_summary_lists_every_resource_against_its_limit(organization, free_plan):
    usage_reserve(organization=organization, resource=Resource.MESSAGES, amount=250, key="s")
    usage_settle(organization=organization, key="s", actual=250)

    lines = {line.resource: line for line in usage_summary(organization=organization)}

    assert set(lines) == set(Resource.values)
    assert (lines["messages"].used, lines["messages"].limit, str(lines["messages"].percent)) == (250, 1000, "25.0")
    assert lines["seats"].per_period is False


def test_usage_records_are_append_only_in_the_database(organization, free_plan):
    usage_reserve(organization=organization, resource=Resource.MESSAGES, amount=5, key="r")
    record = UsageRecord.objects.get(key="client:r")

    for statement in (
        "UPDATE billing_usagerecord SET amount = 1 WHERE id = %s",
        "DELETE FROM billing_usagerecord WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [record.pk])

    assert UsageRecord.objects.get(pk=record.pk).amount == 5


def test_the_database_refuses_a_negative_counter(organization, free_plan):
    usage_reserve(organization=organization, resource=Resource.SEATS, amount=1, key="seat")

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE billing_usagecounter SET reserved = reserved - 2")


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_reservations_with_three_units_left_grant_exactly_three(organization):
    free = catalogue()["free"]
    PlanLimit.objects.filter(plan=free, resource=Resource.AGENTS).update(amount=5)
    usage_reserve(organization=organization, resource=Resource.AGENTS, amount=2, key="existing")

    def reserve(index):
        return usage_reserve(organization=organization, resource=Resource.AGENTS, amount=1, key=f"agent-{index}")

    results = run_in_threads(reserve, 10, raises=False)

    granted = [result for result in results if not isinstance(result, BaseException)]
    refused = [result for result in results if isinstance(result, LimitExceeded)]
    assert (len(granted), len(refused)) == (3, 7)
    counter = _counter(organization, Resource.AGENTS)
    assert (counter.used, counter.reserved) == (0, 5)
    assert UsageRecord.objects.filter(organization=organization, kind="reserve").count() == 4
    assert _agrees_with_records(organization, Resource.AGENTS)


@pytest.mark.django_db(transaction=True)
def test_the_same_key_reserved_by_ten_workers_at_once_reserves_once(organization):
    catalogue()

    results = run_in_threads(
        lambda _index: usage_reserve(
            organization=organization, resource=Resource.LLM_TOKENS, amount=700, key=product_key("agent-run", 1)
        ),
        10,
    )

    assert sorted(result.replay for result in results) == [False] + [True] * 9
    counter = UsageCounter.objects.get(organization=organization, resource=Resource.LLM_TOKENS)
    assert counter.reserved == 700


def test_reservations_abandoned_by_a_dead_worker_are_released_after_a_while(organization, free_plan):
    with time_machine.travel(MARCH, tick=False):
        usage_reserve(organization=organization, resource=Resource.MESSAGES, amount=600, key="died")
        usage_reserve(organization=organization, resource=Resource.MESSAGES, amount=100, key="finished")
        usage_settle(organization=organization, key="finished", actual=100)
    with time_machine.travel(MARCH + dt.timedelta(minutes=30), tick=False):
        usage_reserve(organization=organization, resource=Resource.MESSAGES, amount=50, key="running")

        released = usage_release_stale(older_than=dt.timedelta(minutes=15))
        again = usage_release_stale(older_than=dt.timedelta(minutes=15))

    assert (released, again) == (1, 0)
    counter = _counter(organization, Resource.MESSAGES, dt.date(2026, 3, 1))
    assert (counter.used, counter.reserved) == (100, 50)
    assert _agrees_with_records(organization, Resource.MESSAGES, dt.date(2026, 3, 1))
