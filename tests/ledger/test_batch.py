from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from apps.ledger.models import AccountBalance, Transaction
from apps.ledger.services import Leg, Posting, transactions_post_batch

pytestmark = pytest.mark.django_db


def sale(books, n, amount="10.00"):
    return Posting(
        date=date(2026, 5, 1 + n % 28),
        idempotency_key=f"import-{n}",
        kind="income",
        entries=[Leg(books.cash.pk, Decimal(amount)), Leg(books.sales.pk, -Decimal(amount))],
    )


def test_a_batch_posts_every_transaction_and_moves_balances_once_per_account(books):
    ids = transactions_post_batch(
        organization=books.organization, user=None, postings=[sale(books, n) for n in range(300)]
    )

    assert len(set(ids)) == 300
    assert AccountBalance.objects.get(account=books.cash).balance == Decimal("3000.00")
    assert AccountBalance.objects.get(account=books.cash).entry_count == 300


def test_repeating_a_batch_posts_nothing_new(books):
    first = transactions_post_batch(
        organization=books.organization, user=None, postings=[sale(books, n) for n in range(5)]
    )
    again = transactions_post_batch(
        organization=books.organization, user=None, postings=[sale(books, n) for n in range(7)]
    )

    assert again[:5] == first
    assert Transaction.objects.count() == 7
    assert AccountBalance.objects.get(account=books.cash).balance == Decimal("70.00")


def test_one_bad_posting_refuses_the_whole_batch_and_names_it(books):
    postings = [sale(books, n) for n in range(10)]
    postings[6] = Posting(
        date=date(2026, 5, 2),
        idempotency_key="bad",
        entries=[Leg(books.cash.pk, Decimal("5")), Leg(books.sales.pk, Decimal("-4.99"))],
    )

    with pytest.raises(ValidationError) as refused:
        transactions_post_batch(organization=books.organization, user=None, postings=postings)

    assert list(refused.value.message_dict) == ["postings.6.entries"]
    assert not Transaction.objects.exists()


def test_a_key_twice_in_one_batch_is_refused(books):
    with pytest.raises(ValidationError) as refused:
        transactions_post_batch(
            organization=books.organization, user=None, postings=[sale(books, 1), sale(books, 2), sale(books, 1)]
        )

    assert refused.value.message_dict == {
        "postings.0.idempotency_key": ["The idempotency key import-1 appears more than once in this batch."]
    }


def test_a_malformed_posting_is_named_before_anything_is_sent(books):
    postings = [sale(books, 1), Posting(date=date(2026, 5, 2), idempotency_key="", entries=[])]

    with pytest.raises(ValidationError) as refused:
        transactions_post_batch(organization=books.organization, user=None, postings=postings)

    assert "postings.1.entries" in refused.value.message_dict
