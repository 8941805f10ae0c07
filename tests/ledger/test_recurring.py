"""Recurring payments: the schedule, posting each due occurrence exactly once, catching up after downtime,
closed periods, refusals, pausing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from apps.core.accounts.roles import Role
from apps.core.models import AuditLog
from apps.ledger.models import RecurringPayment, Transaction, TransactionEntry
from apps.ledger.services import (
    period_lock,
    recurring_payment_create,
    recurring_payment_pause,
    recurring_payment_post_due,
    recurring_payment_resume,
    recurring_payment_update,
    recurring_payments_post_due,
)
from apps.ledger.services.recurring import Schedule
from tests.helpers import assert_nothing_written
from tests.ledger.factories import AccountFactory, RecurringPaymentFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def at(year, month, day, hour=9):
    """A moment in UTC (noon in Moscow, the default organization time zone)."""
    return dt.datetime(year, month, day, hour, tzinfo=dt.UTC)


def posted_dates(recurring) -> list[dt.date]:
    return list(
        Transaction.objects.filter(idempotency_key__startswith=f"recurring:{recurring.pk}:")
        .order_by("date")
        .values_list("date", flat=True)
    )


# --- the schedule -----------------------------------------------------------------------------------------


def _dates(schedule, first, last):
    return list(schedule.between(first, last))


def test_monthly_on_the_31st_clamps_to_the_months_last_day():
    schedule = Schedule(unit="months", count=1, start=dt.date(2027, 12, 31))

    assert _dates(schedule, dt.date(2027, 12, 1), dt.date(2028, 5, 1)) == [
        dt.date(2027, 12, 31),
        dt.date(2028, 1, 31),
        dt.date(2028, 2, 29),  # leap year
        dt.date(2028, 3, 31),
        dt.date(2028, 4, 30),
    ]


def test_monthly_on_a_day_before_the_start_day_begins_next_month():
    schedule = Schedule(unit="months", count=2, start=dt.date(2026, 1, 20), day_of_month=5)

    assert _dates(schedule, dt.date(2026, 1, 1), dt.date(2026, 8, 1)) == [
        dt.date(2026, 2, 5),
        dt.date(2026, 4, 5),
        dt.date(2026, 6, 5),
    ]


def test_days_and_weeks_and_the_end_date():
    every_3_days = Schedule(unit="days", count=3, start=dt.date(2026, 1, 30), end=dt.date(2026, 2, 7))
    fortnightly = Schedule(unit="weeks", count=2, start=dt.date(2026, 1, 1))

    assert _dates(every_3_days, dt.date(2026, 1, 1), dt.date(2026, 12, 31)) == [
        dt.date(2026, 1, 30),
        dt.date(2026, 2, 2),
        dt.date(2026, 2, 5),
    ]
    assert every_3_days.after(dt.date(2026, 2, 5)) is None
    assert _dates(fortnightly, dt.date(2026, 1, 2), dt.date(2026, 2, 12)) == [
        dt.date(2026, 1, 15),
        dt.date(2026, 1, 29),
        dt.date(2026, 2, 12),
    ]


# --- creating ---------------------------------------------------------------------------------------------


def test_from_and_to_accounts_make_a_balanced_template(organization, books):
    recurring = recurring_payment_create(
        organization=organization,
        user=None,
        name="Office rent",
        start_date=dt.date(2026, 1, 31),
        from_account=books.bank,
        to_account=books.rent,
        amount="85000.00",
    )

    assert {(leg.account_id, leg.amount) for leg in recurring.legs.all()} == {
        (books.rent.pk, Decimal("85000")),
        (books.bank.pk, Decimal("-85000")),
    }
    assert recurring.next_due_date == dt.date(2026, 1, 31)


def test_a_bad_template_is_refused_naming_the_leg(organization, other_organization, books):
    foreign = AccountFactory(organization=other_organization)
    cases = [
        ([{"account": books.rent, "amount": "10"}, {"account": books.bank, "amount": "-9"}], "legs", "do not balance"),
        ([{"account": books.rent, "amount": "10"}, {"account": foreign, "amount": "-10"}], "legs.1.account", "No such"),
        ([{"account": books.rent, "amount": "0.001"}, {"account": books.bank, "amount": "-0.001"}], "legs.0.amount",
         "more decimals"),
        ([{"account": books.rent, "amount": 10.0}, {"account": books.bank, "amount": "-10"}], "legs.0.amount",
         "floating-point"),
        ([{"account": books.rent, "amount": "10"}], "legs", "at least two"),
    ]  # fmt: skip
    for legs, field, message in cases:
        with assert_nothing_written(), pytest.raises(ValidationError) as caught:
            recurring_payment_create(
                organization=organization, user=None, name="x", start_date=dt.date(2026, 1, 1), legs=legs
            )
        assert message in " ".join(caught.value.message_dict[field]), (field, caught.value.message_dict)
    assert not RecurringPayment.objects.exists()


def test_a_bad_schedule_is_refused(organization, books):
    with assert_nothing_written(), pytest.raises(ValidationError) as caught:
        recurring_payment_create(
            organization=organization,
            user=None,
            name="",
            start_date=dt.date(2026, 1, 1),
            end_date=dt.date(2025, 1, 1),
            interval_unit="weeks",
            interval_count=0,
            day_of_month=5,
            from_account=books.bank,
            to_account=books.rent,
            amount="1",
        )

    assert set(caught.value.message_dict) == {"name", "end_date", "interval_count", "day_of_month"}


def test_a_viewer_cannot_create_recurring_payments(organization, books, member_of):
    with assert_nothing_written(), pytest.raises(PermissionDenied):
        recurring_payment_create(
            organization=organization,
            user=member_of(organization, role=Role.VIEWER),
            name="x",
            start_date=dt.date(2026, 1, 1),
            from_account=books.bank,
            to_account=books.rent,
            amount="1",
        )


# --- posting ----------------------------------------------------------------------------------------------


def test_each_due_occurrence_posts_once_in_date_order_and_a_rerun_posts_nothing(organization):
    recurring = RecurringPaymentFactory(organization=organization, start_date=dt.date(2026, 1, 31))

    with time_machine.travel(at(2026, 4, 15), tick=False):
        first = recurring_payments_post_due()
        second = recurring_payments_post_due()

    assert first.posted == 3
    assert second.posted == 0
    assert posted_dates(recurring) == [dt.date(2026, 1, 31), dt.date(2026, 2, 28), dt.date(2026, 3, 31)]
    recurring.refresh_from_db()
    assert (recurring.last_posted_date, recurring.next_due_date) == (dt.date(2026, 3, 31), dt.date(2026, 4, 30))
    posted = Transaction.objects.get(idempotency_key=f"recurring:{recurring.pk}:2026-02-28")
    assert posted.kind == Transaction.Kind.RECURRING
    assert sorted(e.amount for e in posted.entries.all()) == [Decimal("-1000"), Decimal("1000")]


def test_nothing_is_due_before_the_organizations_local_midnight(organization):
    organization.time_zone = "Asia/Vladivostok"  # UTC+10
    organization.save()
    recurring = RecurringPaymentFactory(organization=organization, start_date=dt.date(2026, 3, 1))

    with time_machine.travel(dt.datetime(2026, 2, 28, 13, 0, tzinfo=dt.UTC), tick=False):  # 23:00 local
        assert recurring_payments_post_due().posted == 0
    with time_machine.travel(dt.datetime(2026, 2, 28, 14, 30, tzinfo=dt.UTC), tick=False):  # 00:30 local, Mar 1
        assert recurring_payments_post_due().posted == 1

    assert posted_dates(recurring) == [dt.date(2026, 3, 1)]


def test_a_lost_progress_marker_still_posts_nothing_twice(organization):
    recurring = RecurringPaymentFactory(organization=organization, start_date=dt.date(2026, 1, 31))
    with time_machine.travel(at(2026, 4, 15), tick=False):
        recurring_payments_post_due()
        # As if a worker died after posting but before recording its progress.
        RecurringPayment.objects.filter(pk=recurring.pk).update(next_due_date=dt.date(2026, 1, 31))
        rerun = recurring_payments_post_due()

    assert len(rerun.results[0].posted) == 3  # the keys answered with the existing transactions
    assert Transaction.objects.filter(kind="recurring").count() == 3


def test_catching_up_after_downtime_is_capped_per_run(organization):
    recurring = RecurringPaymentFactory(organization=organization, interval_unit="days", start_date=dt.date(2026, 1, 1))

    with time_machine.travel(at(2026, 6, 1), tick=False):
        first = recurring_payments_post_due(limit=100)
        second = recurring_payments_post_due(limit=100)
        third = recurring_payments_post_due(limit=100)

    assert (first.posted, first.capped) == (100, 1)
    assert (second.posted, second.capped) == (52, 0)  # Jan 1 … Jun 1 is 152 days
    assert third.posted == 0
    dates = posted_dates(recurring)
    assert dates == [dt.date(2026, 1, 1) + dt.timedelta(days=n) for n in range(152)]


def test_the_end_date_stops_the_schedule(organization):
    recurring = RecurringPaymentFactory(
        organization=organization, start_date=dt.date(2026, 1, 15), end_date=dt.date(2026, 3, 1)
    )

    with time_machine.travel(at(2026, 12, 1), tick=False):
        recurring_payments_post_due()

    assert posted_dates(recurring) == [dt.date(2026, 1, 15), dt.date(2026, 2, 15)]
    recurring.refresh_from_db()
    assert recurring.next_due_date is None


def test_occurrences_in_a_closed_period_are_skipped_reported_and_not_retried(organization):
    recurring = RecurringPaymentFactory(organization=organization, start_date=dt.date(2026, 1, 31))
    period_lock(organization=organization, user=None, locked_through=dt.date(2026, 2, 28))

    with time_machine.travel(at(2026, 4, 15), tick=False):
        first = recurring_payments_post_due()
        second = recurring_payments_post_due()

    assert (first.posted, first.skipped_closed) == (1, 2)
    assert (second.posted, second.skipped_closed) == (0, 0)
    assert posted_dates(recurring) == [dt.date(2026, 3, 31)]
    skipped = AuditLog.objects.filter(action="ledger.recurring.skip_closed_period", object_id=str(recurring.pk))
    assert sorted(entry.changes["occurrence"] for entry in skipped) == ["2026-01-31", "2026-02-28"]


def test_a_refused_posting_is_recorded_and_retried_by_the_next_run(organization):
    bank = AccountFactory(organization=organization, non_negative=True)
    rent = AccountFactory(organization=organization, type="expense")
    recurring = RecurringPaymentFactory(
        organization=organization,
        start_date=dt.date(2026, 1, 31),
        legs=[{"account": rent, "amount": "1000"}, {"account": bank, "amount": "-1000"}],
    )

    with time_machine.travel(at(2026, 2, 10), tick=False):
        refused = recurring_payments_post_due()
    recurring.refresh_from_db()

    assert refused.failed == 1
    assert "below zero" in recurring.last_error
    assert recurring.next_due_date == dt.date(2026, 1, 31)
    assert posted_dates(recurring) == []

    funding = AccountFactory(organization=organization, type="equity")
    from apps.ledger.services import transaction_post

    transaction_post(  # the owner's capital paid in (a capital account is no cash or bank to transfer from)
        organization=organization,
        user=None,
        date=dt.date(2026, 1, 1),
        entries=[{"account": bank.pk, "amount": "5000"}, {"account": funding.pk, "amount": "-5000"}],
        idempotency_key="funding",
    )
    with time_machine.travel(at(2026, 2, 10, 10), tick=False):
        retried = recurring_payments_post_due()
    recurring.refresh_from_db()

    assert retried.posted == 1
    assert recurring.last_error == ""
    assert posted_dates(recurring) == [dt.date(2026, 1, 31)]


def test_paused_ones_post_nothing_and_resuming_skips_what_fell_due_meanwhile(organization):
    recurring = RecurringPaymentFactory(organization=organization, start_date=dt.date(2026, 1, 31))
    recurring_payment_pause(recurring_payment=recurring, user=None)

    with time_machine.travel(at(2026, 4, 15), tick=False):
        assert recurring_payments_post_due().posted == 0
        resumed = recurring_payment_resume(recurring_payment=recurring, user=None)
        assert recurring_payments_post_due().posted == 0

    assert resumed.next_due_date == dt.date(2026, 4, 30)
    audit = AuditLog.objects.get(action="ledger.recurring.resume")
    assert audit.changes["skipped"] == ["2026-01-31", "2026-02-28", "2026-03-31"]


def test_resuming_with_catch_up_posts_what_fell_due(organization):
    recurring = RecurringPaymentFactory(organization=organization, start_date=dt.date(2026, 1, 31), paused=True)

    with time_machine.travel(at(2026, 3, 5), tick=False):
        recurring_payment_resume(recurring_payment=recurring, user=None, catch_up=True)
        recurring_payments_post_due()

    assert posted_dates(recurring) == [dt.date(2026, 1, 31), dt.date(2026, 2, 28)]


def test_changing_the_schedule_continues_after_the_last_posted_occurrence(organization):
    recurring = RecurringPaymentFactory(organization=organization, start_date=dt.date(2026, 1, 31))
    with time_machine.travel(at(2026, 2, 10), tick=False):
        recurring_payments_post_due()

    changed = recurring_payment_update(recurring_payment=recurring, user=None, day_of_month=15)

    assert changed.next_due_date == dt.date(2026, 2, 15)
    with time_machine.travel(at(2026, 3, 20), tick=False):
        recurring_payments_post_due()
    assert posted_dates(recurring) == [dt.date(2026, 1, 31), dt.date(2026, 2, 15), dt.date(2026, 3, 15)]


def test_post_due_now_checks_the_members_power(organization, member_of):
    recurring = RecurringPaymentFactory(organization=organization, start_date=dt.date(2026, 1, 31))

    with time_machine.travel(at(2026, 2, 2), tick=False):
        with assert_nothing_written(), pytest.raises(PermissionDenied):
            recurring_payment_post_due(recurring_payment=recurring, user=member_of(organization, role=Role.VIEWER))
        result = recurring_payment_post_due(
            recurring_payment=recurring, user=member_of(organization, role=Role.BOOKKEEPER)
        )

    assert result.posted == [dt.date(2026, 1, 31)]


def test_the_beat_task_posts_what_is_due(organization):
    from apps.ledger.tasks import recurring_payments_post_due_task

    recurring = RecurringPaymentFactory(organization=organization, start_date=dt.date(2026, 1, 31))
    with time_machine.travel(at(2026, 3, 1), tick=False):
        summary = recurring_payments_post_due_task.apply().get()

    assert summary["posted"] == 2
    assert len(posted_dates(recurring)) == 2
    assert TransactionEntry.objects.filter(organization=organization).count() == 4


def test_changing_the_schedule_after_a_resume_does_not_bring_back_the_skipped_occurrences(organization):
    recurring = RecurringPaymentFactory(organization=organization, start_date=dt.date(2026, 1, 31), paused=True)
    with time_machine.travel(at(2026, 4, 15), tick=False):
        recurring_payment_resume(recurring_payment=recurring, user=None)
        changed = recurring_payment_update(recurring_payment=recurring, user=None, name="Renamed", day_of_month=20)
        recurring_payments_post_due()

    assert changed.next_due_date == dt.date(2026, 4, 20)
    assert posted_dates(recurring) == []


def test_extending_an_ended_schedule_continues_after_its_last_occurrence(organization):
    recurring = RecurringPaymentFactory(
        organization=organization, start_date=dt.date(2026, 1, 10), end_date=dt.date(2026, 2, 28)
    )
    with time_machine.travel(at(2026, 4, 15), tick=False):
        recurring_payments_post_due()
        extended = recurring_payment_update(recurring_payment=recurring, user=None, end_date=None)
        recurring_payments_post_due()

    assert extended.next_due_date == dt.date(2026, 3, 10)
    assert posted_dates(recurring) == [dt.date(2026, 1, 10), dt.date(2026, 2, 10), dt.date(2026, 3, 10),
                                       dt.date(2026, 4, 10)]  # fmt: skip
