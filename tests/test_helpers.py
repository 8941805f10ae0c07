"""The shared test helpers catch what they promise to catch: a thread that hangs, a thread that fails, a
refusal that wrote something."""

import threading

import pytest
from django.core.exceptions import ValidationError

from apps.ledger.models import Account
from tests.helpers import assert_nothing_written, run_in_threads
from tests.ledger.factories import AccountFactory


def test_the_threads_start_together_and_return_in_order():
    arrived = []
    gate = threading.Lock()

    def work(index):
        with gate:
            arrived.append(index)
        return index * 10

    assert run_in_threads(work, 4) == [0, 10, 20, 30]
    assert sorted(arrived) == [0, 1, 2, 3]


def test_a_thread_that_does_not_finish_fails_the_test():
    release = threading.Event()

    def work(index):
        if index == 1:
            release.wait(10)

    try:
        with pytest.raises(pytest.fail.Exception, match="1 of 2 threads did not finish"):
            run_in_threads(work, 2, timeout=0.5)
    finally:
        release.set()


def test_a_threads_error_is_raised_in_the_test_or_returned_in_its_place():
    def work(index):
        if index:
            raise ValueError(f"worker {index}")
        return "ok"

    with pytest.raises(ValueError, match="worker 1"):
        run_in_threads(work, 2)
    with pytest.raises(BaseExceptionGroup):
        run_in_threads(work, 3)
    outcome = run_in_threads(work, 2, raises=False)
    assert outcome[0] == "ok"
    assert isinstance(outcome[1], ValueError)


@pytest.mark.django_db
def test_assert_nothing_written_sees_a_row_written_behind_a_refusal(organization):
    def refuse(write: bool):
        if write:
            AccountFactory(organization=organization)
        raise ValidationError("refused")

    with assert_nothing_written(), pytest.raises(ValidationError):
        refuse(write=False)
    guard = assert_nothing_written()
    guard.__enter__()
    with pytest.raises(ValidationError):
        refuse(write=True)
    with pytest.raises(AssertionError, match="ledger.Account"):
        guard.__exit__(None, None, None)
    assert Account.objects.count() == 1
