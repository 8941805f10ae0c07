"""Crypto transfers under concurrency, each worker on its own PostgreSQL connection: two verifications of
the same transfer at once post it once; the same hash registered at once is one detail."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest

from apps.ledger.models import AccountBalance, CryptoStatus, CryptoTransactionDetail, Transaction, TransactionEntry
from apps.ledger.services import crypto_transfer_register, crypto_transfer_verify, crypto_transfers_verify_pending
from tests.helpers import run_in_threads
from tests.ledger.factories import AccountFactory
from tests.ledger.tronscan_stubs import (
    CUSTOMER,
    OUR_WALLET,
    RECORDED,
    TRX_IN,
    USDT_OUT,
    json_response,
    recorded,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("english")]


@pytest.fixture
def accounts(organization):
    return {
        "wallet": AccountFactory(organization=organization, code="1111", currency_id="TRX"),
        "sales": AccountFactory(organization=organization, code="4100", type="income", currency_id="TRX"),
    }


def register(organization, accounts):
    return crypto_transfer_register(
        organization=organization,
        user=None,
        token="TRX",
        direction="in",
        tx_hash=TRX_IN,
        from_address=CUSTOMER,
        to_address=OUR_WALLET,
        amount="1250",
        account=accounts["wallet"],
        counter_account=accounts["sales"],
    )


def test_two_verifications_at_once_post_the_transfer_once(organization, accounts, tronscan):
    detail, _created = register(organization, accounts)
    both_asked = threading.Barrier(2, timeout=30)

    def answer_when_both_asked(request):
        # Both workers have TronScan's answer before either decides: they race for the row and the posting.
        both_asked.wait()
        return json_response(recorded(RECORDED[TRX_IN]))

    tronscan.queue(answer_when_both_asked, answer_when_both_asked)
    postings = []

    def verify(_worker):
        verified = crypto_transfer_verify(detail=CryptoTransactionDetail(pk=detail.pk))
        postings.append((verified.status, verified.transaction_id))

    run_in_threads(verify, 2)

    assert len(tronscan.requests) == 2
    assert len(set(postings)) == 1
    assert postings[0][0] == CryptoStatus.CONFIRMED
    assert Transaction.objects.count() == 1
    assert TransactionEntry.objects.count() == 2
    assert AccountBalance.objects.get(account=accounts["wallet"]).balance == Decimal("1250")


def test_the_same_hash_registered_at_once_is_one_detail(organization, accounts):
    details = []

    def register_it(_worker):
        detail, created = register(organization, accounts)
        details.append((detail.pk, created))

    run_in_threads(register_it, 4)

    assert CryptoTransactionDetail.objects.count() == 1
    assert len({pk for pk, _created in details}) == 1
    assert sum(created for _pk, created in details) == 1


def test_overlapping_task_runs_post_each_transfer_once(organization, accounts, tronscan):
    register(organization, accounts)
    usdt = AccountFactory(organization=organization, code="1110", currency_id="USDT")
    suppliers = AccountFactory(organization=organization, code="2110", type="liability", currency_id="USDT")
    AccountFactory(organization=organization, code="5900", type="expense", currency_id="TRX", purpose="crypto_fee")
    crypto_transfer_register(
        organization=organization,
        user=None,
        token="USDT",
        direction="out",
        tx_hash=USDT_OUT,
        from_address=OUR_WALLET,
        to_address="TPb1GcXJvqxjrJBbrfeYF32u4qGE9BHwKF",
        amount="2500",
        account=usdt,
        counter_account=suppliers,
        fee_source_account=accounts["wallet"],
    )

    run_in_threads(lambda _worker: crypto_transfers_verify_pending(limit=10), 3)

    assert Transaction.objects.count() == 2
    assert set(CryptoTransactionDetail.objects.values_list("status", flat=True)) == {CryptoStatus.CONFIRMED}
    assert AccountBalance.objects.get(account=accounts["wallet"]).balance == Decimal("1250") - Decimal("13.84485")
