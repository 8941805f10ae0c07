"""Affiliate payouts in the books: approval posts one balanced transaction (receivable against income), paying
moves the receivable to cash, reversing undoes the approval's posting; repeats and races post once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from apps.analytics.models import Payout
from apps.analytics.services import payout_approve, payout_create, payout_pay, payout_reject, payout_reverse
from apps.core.mechanisms.idempotency import is_replay
from apps.ledger.models import Account, AccountType, Transaction
from apps.ledger.selectors import account_balance, books_verify
from tests.analytics.factories import AffiliateProgramFactory
from tests.helpers import assert_nothing_written, run_in_threads
from tests.ledger.factories import AccountFactory


def new_payout(organization, amount="1250.40", currency="USD", program_name="AdCombo"):
    program = AffiliateProgramFactory(organization=organization, name=program_name)
    return payout_create(
        organization=organization,
        program=program,
        period_start=date(2026, 4, 1),
        period_end=date(2026, 4, 30),
        amount=Decimal(amount),
        currency=currency,
    )


def legs(transaction_id):
    return sorted(
        Transaction.objects.get(pk=transaction_id).entries.values_list("account__code", "amount"),
        key=lambda leg: leg[1],
    )


@pytest.mark.django_db
def test_approving_posts_the_receivable_against_income_on_accounts_made_on_first_use(organization):
    payout = new_payout(organization)

    approved = payout_approve(payout=payout, date=date(2026, 5, 3))

    assert approved.status == Payout.Status.APPROVED
    assert not is_replay(approved)
    assert legs(approved.approval_transaction_id) == [
        ("AFFILIATE-USD", Decimal("-1250.40000000")),
        ("AR-USD", Decimal("1250.40000000")),
    ]
    income = Account.objects.get(organization=organization, code="AFFILIATE-USD")
    assert (income.type, income.currency_id) == (AccountType.INCOME, "USD")
    assert Transaction.objects.get(pk=approved.approval_transaction_id).date == date(2026, 5, 3)
    assert books_verify(organization_id=organization.pk) == []


@pytest.mark.django_db
def test_approving_again_posts_nothing(organization):
    payout = new_payout(organization)
    payout_approve(payout=payout)

    again = payout_approve(payout=payout)

    assert is_replay(again)
    assert Transaction.objects.filter(organization_id=organization.pk).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_approvals_post_once(organization):
    payout = new_payout(organization)

    results = run_in_threads(lambda _index: payout_approve(payout=payout.pk), 3)

    assert sorted(is_replay(result) for result in results) == [False, True, True]
    assert Transaction.objects.filter(organization_id=organization.pk).count() == 1
    assert {result.approval_transaction_id for result in results} == {Payout.objects.get().approval_transaction_id}


@pytest.mark.django_db
def test_paying_moves_the_receivable_to_cash(organization):
    bank = AccountFactory(organization=organization, code="1030", name="Bank USD", currency_id="USD")
    payout = payout_approve(payout=new_payout(organization))

    paid = payout_pay(payout=payout, cash_account=bank, date=date(2026, 5, 20))

    assert paid.status == Payout.Status.PAID
    assert legs(paid.payment_transaction_id) == [
        ("AR-USD", Decimal("-1250.40000000")),
        ("1030", Decimal("1250.40000000")),
    ]
    receivable = Account.objects.get(organization=organization, code="AR-USD")
    assert account_balance(account_id=receivable.pk) == 0
    assert account_balance(account_id=bank.pk) == Decimal("1250.40")
    assert is_replay(payout_pay(payout=payout, cash_account=bank))
    assert Transaction.objects.filter(organization_id=organization.pk).count() == 2


@pytest.mark.django_db
def test_a_cash_account_in_another_currency_is_refused(organization, english):
    rub = AccountFactory(organization=organization, code="1010", name="Cash", currency_id="RUB")
    payout = payout_approve(payout=new_payout(organization))

    with assert_nothing_written("ledger", "analytics"), pytest.raises(ValidationError, match="account .* in USD"):
        payout_pay(payout=payout, cash_account=rub)


@pytest.mark.django_db
def test_reversing_an_approved_payout_reverses_its_posting(organization):
    payout = payout_approve(payout=new_payout(organization))

    reversed_payout = payout_reverse(payout=payout, reason="program clawback")

    assert reversed_payout.status == Payout.Status.REVERSED
    reversal = Transaction.objects.get(pk=reversed_payout.reversal_transaction_id)
    assert reversal.reverses_id == payout.approval_transaction_id
    receivable = Account.objects.get(organization=organization, code="AR-USD")
    assert account_balance(account_id=receivable.pk) == 0
    assert is_replay(payout_reverse(payout=payout))
    assert Transaction.objects.filter(organization_id=organization.pk).count() == 2


@pytest.mark.django_db
def test_only_pending_payouts_are_approved_and_paid_ones_are_not_reversed(organization, english):
    bank = AccountFactory(organization=organization, code="1030", name="Bank USD", currency_id="USD")
    rejected = payout_reject(payout=new_payout(organization), reason="fraud")
    with assert_nothing_written("ledger"), pytest.raises(ValidationError, match="Only a pending payout"):
        payout_approve(payout=rejected)

    paid = payout_pay(payout=payout_approve(payout=new_payout(organization, program_name="Other")), cash_account=bank)
    with assert_nothing_written("ledger"), pytest.raises(ValidationError, match="not paid yet"):
        payout_reverse(payout=paid)


@pytest.mark.django_db
def test_amounts_finer_than_the_currency_are_refused(organization, english):
    with pytest.raises(ValidationError, match="more decimals than USD allows"):
        new_payout(organization, amount="1.005")
