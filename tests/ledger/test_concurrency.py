"""Concurrent writers, each on its own PostgreSQL connection: balances stay exact, keys post once."""

import random
import threading
import time
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django.db.models import Sum

from apps.ledger.models import AccountBalance, Transaction, TransactionEntry
from apps.ledger.services import Leg, period_lock, transaction_post
from tests.helpers import run_in_threads
from tests.ledger.factories import AccountFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_postings_over_shared_accounts_keep_every_balance_exact(organization):
    accounts = [AccountFactory(organization=organization) for _ in range(5)]

    def work(worker):
        rng = random.Random(worker)
        for n in range(40):
            debit, credit = rng.sample(accounts, 2)
            amount = Decimal(rng.randint(1, 100_000)) / 100
            transaction_post(
                organization=organization,
                user=None,
                date=date(2026, 1, 1 + n % 28),
                entries=[Leg(debit.pk, amount), Leg(credit.pk, -amount)],
                idempotency_key=f"w{worker}-{n}",
            )

    run_in_threads(work, 4)

    assert Transaction.objects.count() == 160
    for balance in AccountBalance.objects.filter(account__in=accounts):
        summed = TransactionEntry.objects.filter(account_id=balance.account_id).aggregate(s=Sum("amount"))["s"]
        assert balance.balance == (summed or 0)
        assert balance.entry_count == TransactionEntry.objects.filter(account_id=balance.account_id).count()
    assert sum(b.balance for b in AccountBalance.objects.filter(account__in=accounts)) == 0


def test_the_same_idempotency_key_from_parallel_requests_posts_once(organization):
    cash, sales = AccountFactory(organization=organization), AccountFactory(organization=organization)
    results = []

    def work(_worker):
        posted = transaction_post(
            organization=organization,
            user=None,
            date=date(2026, 1, 5),
            entries=[Leg(cash.pk, Decimal("99.90")), Leg(sales.pk, Decimal("-99.90"))],
            idempotency_key="double-click",
        )
        results.append(posted.pk)

    run_in_threads(work, 6)

    assert len(set(results)) == 1
    assert Transaction.objects.count() == 1
    assert AccountBalance.objects.get(account=cash).balance == Decimal("99.90")


def test_a_non_negative_account_never_goes_below_zero_under_concurrent_spending(organization):
    wallet = AccountFactory(organization=organization, non_negative=True)
    source, shop = AccountFactory(organization=organization), AccountFactory(organization=organization)
    transaction_post(
        organization=organization,
        user=None,
        date=date(2026, 1, 1),
        entries=[Leg(wallet.pk, Decimal("100")), Leg(source.pk, Decimal("-100"))],
        idempotency_key="fund",
    )
    outcomes = []

    def work(worker):
        from django.core.exceptions import ValidationError

        for n in range(5):
            try:
                transaction_post(
                    organization=organization,
                    user=None,
                    date=date(2026, 1, 2),
                    entries=[Leg(shop.pk, Decimal("7")), Leg(wallet.pk, Decimal("-7"))],
                    idempotency_key=f"spend-{worker}-{n}",
                )
                outcomes.append("ok")
            except ValidationError:
                outcomes.append("refused")

    run_in_threads(work, 4)

    assert outcomes.count("ok") == 14  # 14 × 7 = 98 fits in 100; the 15th would overdraw
    assert AccountBalance.objects.get(account=wallet).balance == Decimal("2")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM ledger_transaction")
        assert cursor.fetchone()[0] == 15


def test_a_posting_racing_the_closing_of_its_period_waits_and_is_refused(organization):
    # The period is being closed (not yet committed) when a posting dated inside it arrives: the posting must
    # wait for the closing to commit and then be refused. Without the period's lock it would read the old,
    # still open period and commit inside a closed one.
    cash, sales = AccountFactory(organization=organization), AccountFactory(organization=organization)
    closing_started, closing_may_commit = threading.Event(), threading.Event()

    def close_the_period():
        with transaction.atomic():
            period_lock(organization=organization, user=None, locked_through=date(2026, 3, 31))
            closing_started.set()
            assert closing_may_commit.wait(60), "the posting never started waiting"

    def post_inside_it():
        assert closing_started.wait(60)
        with pytest.raises(ValidationError) as refused:
            transaction_post(
                organization=organization,
                user=None,
                date=date(2026, 3, 15),
                entries=[Leg(cash.pk, Decimal("5")), Leg(sales.pk, Decimal("-5"))],
                idempotency_key="racing-the-close",
            )
        return refused.value.message_dict

    def work(index):
        if index == 0:
            return close_the_period()
        return post_inside_it()

    def release_once_the_posting_waits():
        # The posting waits on the period's lock, which the closing holds until it commits.
        try:
            for _ in range(600):
                with connection.cursor() as cursor:
                    cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
                    if cursor.fetchone()[0]:
                        break
                time.sleep(0.05)
        finally:
            closing_may_commit.set()
            connections.close_all()

    watcher = threading.Thread(target=release_once_the_posting_waits, daemon=True)
    watcher.start()
    _closed, refusal = run_in_threads(work, 2)
    watcher.join(1)

    assert refusal == {"date": ["The books are closed through 03/31/2026; 03/15/2026 is inside the closed period."]}
    assert not Transaction.objects.exists()
    assert AccountBalance.objects.get(account=cash).balance == 0
