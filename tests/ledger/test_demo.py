"""The demo books: a realistic month for the demo organization, posted through the services, seeded once."""

import re
from decimal import Decimal

import pytest
from django.db.models import Count

from apps.core.models import Organization
from apps.core.operations.demo import seed_demo
from apps.ledger.models import Account, AccountBalance, Invoice, PeriodLock, Transaction
from apps.ledger.selectors import books_verify
from apps.ledger.services.posting import POSTABLE_KINDS

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    seed_demo()
    return Organization.objects.get(slug="demo")


def test_the_demo_has_a_month_of_books_in_rubles_and_dollars(demo):
    posted = Transaction.objects.filter(organization=demo, idempotency_key__startswith="demo:")
    kinds = dict(posted.values_list("kind").annotate(n=Count("id")))

    assert 60 <= posted.count() <= 120
    assert {"income", "expense", "transfer", "exchange", "complex", "opening"} <= set(kinds)
    assert set(kinds) <= {kind for kind, _label in POSTABLE_KINDS} | {"exchange", "reversal"}
    assert Transaction.objects.filter(organization=demo, kind="payment").exists()  # the invoices' payments
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
    monkeypatch.setattr(timezone, "now", lambda: later)

    seed_demo()

    assert Transaction.objects.count() == before


LATIN_WORD = re.compile(r"[A-Za-z]{3,}")
# Codes and brands a Russian bookkeeper writes in Latin letters as they are.
ALLOWED_LATIN = {"RUB", "USD", "EUR", "AWS", "API", "INV", "BILL", "DEMO"}  # and invoice numbers


def _english_words(texts) -> set[str]:
    return {word for text in texts for word in LATIN_WORD.findall(text or "") if word not in ALLOWED_LATIN}


def test_every_name_and_description_of_the_demo_books_is_russian(demo):
    from apps.ledger.models import Category, Counterparty, InvoiceLine, Project

    texts = [
        *Account.objects.filter(organization=demo).values_list("name", flat=True),
        *Counterparty.objects.filter(organization=demo).values_list("name", flat=True),
        *Category.objects.filter(organization=demo).values_list("name", flat=True),
        *Project.objects.filter(organization=demo).values_list("name", flat=True),
        *Transaction.objects.filter(organization=demo).values_list("description", flat=True),
        *InvoiceLine.objects.filter(invoice__organization=demo).values_list("description", flat=True),
        *Invoice.objects.filter(organization=demo).values_list("notes", flat=True),
    ]

    assert _english_words(texts) == set()


def test_accounts_a_service_creates_are_named_in_the_organizations_language(demo):
    from django.utils import translation

    from apps.ledger.services.invoices import invoice_balance_account_for
    from apps.ledger.services.posting import exchange_account_for

    with translation.override("en"):  # a person with an English interface, or a task
        receivable = invoice_balance_account_for(organization_id=demo.pk, kind="receivable", currency="EUR")
        exchange = exchange_account_for(organization_id=demo.pk, currency="EUR")

    assert receivable.name == "Дебиторская задолженность EUR"
    assert exchange.name == "Обмен валюты EUR"
