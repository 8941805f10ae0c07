"""The demo books: a realistic month for the demo organization, posted through the services, seeded once."""

from decimal import Decimal

import pytest
from django.db.models import Count

from apps.core.demo import seed_demo
from apps.core.models import Organization
from apps.ledger.models import Account, AccountBalance, Invoice, PeriodLock, Transaction
from apps.ledger.selectors import books_verify

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    seed_demo()
    return Organization.objects.get(slug="demo")


def test_the_demo_has_a_month_of_books_in_rubles_and_dollars(demo):
    posted = Transaction.objects.filter(organization=demo, idempotency_key__startswith="demo:")
    kinds = dict(posted.values_list("kind").annotate(n=Count("id")))

    assert 60 <= posted.count() <= 120
    assert {"income", "expense", "transfer", "exchange", "complex", "opening", "payment"} <= set(kinds)
    assert Transaction.objects.filter(organization=demo, kind="reversal").count() >= 1
    assert set(Account.objects.filter(organization=demo).values_list("currency_id", flat=True)) == {"RUB", "USD"}
    assert Transaction.objects.filter(organization=demo, kind="exchange", fx_rate__isnull=False).exists()
    assert books_verify(organization_id=demo.pk) == []


def test_cash_never_goes_below_zero_and_the_books_have_russian_names(demo):
    cash = AccountBalance.objects.filter(account__organization=demo, account__purpose=Account.Purpose.CASH)

    assert cash.count() >= 4
    assert all(row.balance >= 0 for row in cash)
    assert Account.objects.get(organization=demo, code="50").name == "Касса"
    assert PeriodLock.objects.filter(organization=demo).exists()


def test_running_the_demo_again_adds_nothing(demo):
    before = (Transaction.objects.count(), Account.objects.count(), Invoice.objects.count())
    balances = dict(AccountBalance.objects.values_list("account_id", "balance"))

    seed_demo()

    assert (Transaction.objects.count(), Account.objects.count(), Invoice.objects.count()) == before
    assert dict(AccountBalance.objects.values_list("account_id", "balance")) == balances


def test_the_demo_includes_the_invoices_when_they_exist(demo):
    assert Invoice.objects.filter(organization=demo, reference__startswith="DEMO-").exists()
    receivable = AccountBalance.objects.get(account__organization=demo, account__code="62")
    assert receivable.balance > Decimal(0)


def test_running_the_demo_in_a_later_month_adds_nothing(demo, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    before = Transaction.objects.count()
    later = timezone.now() + timedelta(days=45)
    monkeypatch.setattr("apps.ledger.demo.timezone.now", lambda: later)

    seed_demo()

    assert Transaction.objects.count() == before
