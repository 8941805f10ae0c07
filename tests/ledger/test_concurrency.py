"""Concurrent writers, each on its own PostgreSQL connection: balances stay exact, keys post once."""

import random
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum

from apps.ledger.models import AccountBalance, Transaction, TransactionEntry
from apps.ledger.services import Leg, transaction_post
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
