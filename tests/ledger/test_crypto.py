"""Crypto transfers: registering by hash, verifying on the network (recorded TronScan answers at the HTTP
transport), posting with the network fee as its own leg, the database's rules, and the beat task."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import httpx
import pytest
from django.apps import apps as django_apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from apps.core.accounts.roles import Role
from apps.core.models import AuditLog
from apps.core.operations import beat
from apps.ledger.models import (
    Account,
    AccountBalance,
    AccountType,
    CryptoStatus,
    CryptoTransactionDetail,
    Transaction,
)
from apps.ledger.schedules import VERIFY, VERIFY_TASK_NAME
from apps.ledger.services import (
    crypto_transfer_delete,
    crypto_transfer_register,
    crypto_transfer_verify,
    crypto_transfers_verify_pending,
    period_lock,
)
from apps.ledger.tasks.crypto import CRYPTO_VERIFY_PENDING_TASK, crypto_transfers_verify_pending_task
from apps.ledger.tronscan import USDT_TRC20_CONTRACT, TronScanNotConfigured, TronScanUnavailable
from config.celery import app as celery_app
from tests.core.factories import OrganizationFactory
from tests.ledger.factories import AccountFactory
from tests.ledger.tronscan_stubs import (
    CUSTOMER,
    MISSING,
    OUR_WALLET,
    RECORDED,
    STRANGER,
    SUPPLIER,
    TRX_IN,
    USDT_FAILED,
    USDT_OUT,
    USDT_UNCONFIRMED,
    recorded,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def wallets(organization):
    class Wallets:
        usdt = AccountFactory(organization=organization, code="1110", name="USDT wallet", currency_id="USDT")
        trx = AccountFactory(organization=organization, code="1111", name="TRX wallet", currency_id="TRX")
        customers = AccountFactory(organization=organization, code="1210", name="Customers USDT", currency_id="USDT")
        trx_sales = AccountFactory(
            organization=organization, code="4100", name="Sales in TRX", type=AccountType.INCOME, currency_id="TRX"
        )
        suppliers = AccountFactory(
            organization=organization,
            code="2110",
            name="Suppliers USDT",
            type=AccountType.LIABILITY,
            currency_id="USDT",
        )
        fees = AccountFactory(
            organization=organization,
            code="5900",
            name="Network fees",
            type=AccountType.EXPENSE,
            currency_id="TRX",
            purpose=Account.Purpose.CRYPTO_FEE,
        )

    Wallets.organization = organization
    return Wallets


def register_trx_in(wallets, **changes):
    claims = {
        "token": "TRX",
        "direction": "in",
        "tx_hash": TRX_IN,
        "from_address": CUSTOMER,
        "to_address": OUR_WALLET,
        "amount": "1250",
        "account": wallets.trx,
        "counter_account": wallets.trx_sales,
        **changes,
    }
    return crypto_transfer_register(organization=wallets.organization, user=None, **claims)


def register_usdt_out(wallets, **changes):
    claims = {
        "token": "USDT",
        "direction": "out",
        "tx_hash": USDT_OUT,
        "from_address": OUR_WALLET,
        "to_address": SUPPLIER,
        "amount": "2500",
        "account": wallets.usdt,
        "counter_account": wallets.suppliers,
        "fee_source_account": wallets.trx,
        **changes,
    }
    return crypto_transfer_register(organization=wallets.organization, user=None, **claims)


def register_usdt_in(wallets, tx_hash=USDT_UNCONFIRMED, **changes):
    claims = {
        "token": "USDT",
        "direction": "in",
        "tx_hash": tx_hash,
        "from_address": CUSTOMER,
        "to_address": OUR_WALLET,
        "amount": "480.5",
        "account": wallets.usdt,
        "counter_account": wallets.customers,
        **changes,
    }
    return crypto_transfer_register(organization=wallets.organization, user=None, **claims)


def legs(posting: Transaction) -> list[tuple[str, Decimal]]:
    return [(entry.account.code, entry.amount) for entry in posting.entries.select_related("account").order_by("id")]


def balance(account) -> Decimal:
    return AccountBalance.objects.get(account=account).balance


# --- registering ------------------------------------------------------------------------------------------


def test_a_transfer_is_registered_pending_with_what_it_should_be(wallets):
    detail, created = register_usdt_in(wallets, tx_hash="0x" + USDT_UNCONFIRMED.upper())

    assert created
    assert detail.status == CryptoStatus.PENDING
    assert detail.tx_hash == USDT_UNCONFIRMED  # normalized: lower case, no 0x
    assert (detail.token, detail.token_contract, detail.network) == ("USDT", USDT_TRC20_CONTRACT, "tron")
    assert detail.amount == Decimal("480.5")
    assert detail.transaction is None
    assert detail.fee_account is None  # the sender pays the fee of an incoming transfer
    assert AuditLog.objects.filter(action="ledger.crypto.register", object_id=str(detail.pk)).count() == 1


def test_the_same_hash_registered_twice_is_one_detail(wallets):
    first, created = register_trx_in(wallets)
    again, created_again = register_trx_in(wallets, tx_hash=TRX_IN.upper())

    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert CryptoTransactionDetail.objects.count() == 1


def test_the_same_hash_with_other_details_is_refused_naming_them(wallets):
    register_trx_in(wallets)

    with pytest.raises(ValidationError) as caught:
        register_trx_in(wallets, amount="1200", from_address=STRANGER)

    assert set(caught.value.message_dict) == {"amount", "from_address"}
    assert "already registered (Pending) with other details: from_address, amount" in str(caught.value)
    assert CryptoTransactionDetail.objects.count() == 1


def test_an_outgoing_transfer_takes_the_organizations_fee_account_by_default(wallets):
    detail, _created = register_usdt_out(wallets)

    assert detail.fee_account == wallets.fees
    assert detail.fee_source_account == wallets.trx
    trx_out, _created = register_trx_in(wallets, direction="out", from_address=OUR_WALLET, to_address=CUSTOMER)
    assert trx_out.fee_source_account == wallets.trx  # a TRX wallet pays its own fee


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"tx_hash": "abc123"}, "tx_hash", "64 hexadecimal characters"),
        ({"from_address": "0x52908400098527886E0F7030069857D2E4169EE7"}, "from_address", "is not a TRON address"),
        ({"to_address": CUSTOMER}, "to_address", "two different addresses"),
        ({"amount": 1250.0}, "amount", "not floating-point numbers"),
        ({"amount": "0"}, "amount", "must be positive"),
        ({"amount": "1.1234567"}, "amount", "more decimals than TRX allows (6)"),
        ({"token": "BTC"}, "token", "not a token Kontora checks"),
        ({"direction": "sideways"}, "direction", "Choose"),
    ],
)
def test_a_bad_registration_is_refused_naming_the_field(wallets, changes, field, message):
    with pytest.raises(ValidationError) as caught:
        register_trx_in(wallets, **changes)

    assert message in " ".join(caught.value.message_dict[field])
    assert not CryptoTransactionDetail.objects.exists()


def test_accounts_must_be_the_organizations_and_hold_the_token(wallets, other_organization):
    foreign = AccountFactory(organization=other_organization, currency_id="TRX")

    with pytest.raises(ValidationError) as caught:
        register_trx_in(wallets, account=wallets.usdt, counter_account=foreign)

    errors = caught.value.message_dict
    assert "holds USDT; a TRX transfer needs a TRX account" in errors["account"][0]
    assert errors["counter_account"] == ["No such account in this organization."]


def test_an_outgoing_usdt_transfer_needs_the_trx_account_that_pays_the_fee(wallets):
    with pytest.raises(ValidationError) as caught:
        register_usdt_out(wallets, fee_source_account=None)

    assert "paid in TRX" in caught.value.message_dict["fee_source_account"][0]

    with pytest.raises(ValidationError) as caught:
        register_usdt_out(wallets, fee_source_account=wallets.customers, fee_account=wallets.trx_sales)
    assert "network fees are paid in TRX" in caught.value.message_dict["fee_source_account"][0]
    assert "not of purpose “network fees”" in caught.value.message_dict["fee_account"][0]


def test_without_a_fee_account_an_outgoing_transfer_says_how_to_make_one(organization):
    usdt = AccountFactory(organization=organization, currency_id="USDT")
    suppliers = AccountFactory(organization=organization, currency_id="USDT", type=AccountType.LIABILITY)
    trx = AccountFactory(organization=organization, currency_id="TRX")

    with pytest.raises(ValidationError) as caught:
        crypto_transfer_register(
            organization=organization,
            user=None,
            token="USDT",
            direction="out",
            tx_hash=USDT_OUT,
            from_address=OUR_WALLET,
            to_address=SUPPLIER,
            amount="2500",
            account=usdt,
            counter_account=suppliers,
            fee_source_account=trx,
        )

    assert "create a TRX account of purpose “network fees”" in caught.value.message_dict["fee_account"][0]


def test_a_viewer_cannot_register(wallets, member_of):
    with pytest.raises(PermissionDenied):
        crypto_transfer_register(
            organization=wallets.organization,
            user=member_of(wallets.organization, role=Role.VIEWER),
            token="TRX",
            direction="in",
            tx_hash=TRX_IN,
            from_address=CUSTOMER,
            to_address=OUR_WALLET,
            amount="1250",
            account=wallets.trx,
            counter_account=wallets.trx_sales,
        )


# --- verifying and posting --------------------------------------------------------------------------------


def test_a_confirmed_incoming_trx_transfer_is_posted_once(wallets, tronscan, member_of):
    detail, _created = register_trx_in(wallets)
    bookkeeper = member_of(wallets.organization, role=Role.BOOKKEEPER)

    verified = crypto_transfer_verify(detail=detail, user=bookkeeper)

    assert verified.status == CryptoStatus.CONFIRMED
    assert (verified.confirmations, verified.fee_trx, verified.block_number) == (4217, Decimal("0.267"), 77420315)
    posting = verified.transaction
    assert posting.idempotency_key == f"crypto:tron:{TRX_IN}"
    assert posting.kind == Transaction.Kind.TRANSFER
    assert posting.date == date(2026, 11, 14)
    assert posting.created_by == bookkeeper
    # The sender paid the fee: no fee leg on our books.
    assert legs(posting) == [("1111", Decimal("1250")), ("4100", Decimal("-1250"))]
    assert balance(wallets.trx) == Decimal("1250")
    assert tronscan.hashes_asked == [TRX_IN]
    # Verified again: it is confirmed, TronScan is not asked, nothing more is posted.
    assert crypto_transfer_verify(detail=detail).transaction_id == posting.pk
    assert tronscan.hashes_asked == [TRX_IN]
    assert Transaction.objects.count() == 1
    assert AuditLog.objects.filter(action="ledger.crypto.confirmed", object_id=str(detail.pk)).count() == 1


def test_an_outgoing_usdt_transfer_books_the_network_fee_as_its_own_trx_leg(wallets, tronscan):
    detail, _created = register_usdt_out(wallets, description="Hosting, November")

    verified = crypto_transfer_verify(detail=detail)

    assert verified.status == CryptoStatus.CONFIRMED
    posting = verified.transaction
    assert posting.description == "Hosting, November"
    assert legs(posting) == [
        ("2110", Decimal("2500")),
        ("1110", Decimal("-2500")),
        ("5900", Decimal("13.84485")),
        ("1111", Decimal("-13.84485")),
    ]
    # 21:02 UTC on the 16th is already the 17th in Moscow, the organization's time zone.
    assert posting.date == date(2026, 11, 17)
    assert (balance(wallets.usdt), balance(wallets.trx), balance(wallets.fees)) == (
        Decimal("-2500"),
        Decimal("-13.84485"),
        Decimal("13.84485"),
    )


def test_an_outgoing_trx_transfer_takes_amount_and_fee_from_the_same_wallet(wallets, tronscan):
    payload = recorded(RECORDED[TRX_IN])
    payload["contractData"].update(owner_address=OUR_WALLET, to_address=SUPPLIER)
    tronscan.answer_for(TRX_IN, payload)
    detail, _created = register_trx_in(
        wallets, direction="out", from_address=OUR_WALLET, to_address=SUPPLIER, counter_account=wallets.trx_sales
    )

    posting = crypto_transfer_verify(detail=detail).transaction

    assert legs(posting) == [
        ("4100", Decimal("1250")),
        ("1111", Decimal("-1250")),
        ("5900", Decimal("0.267")),
        ("1111", Decimal("-0.267")),
    ]


def test_too_few_confirmations_leave_the_transfer_pending_until_there_are_enough(wallets, tronscan):
    detail, _created = register_usdt_in(wallets)

    waiting = crypto_transfer_verify(detail=detail)

    assert (waiting.status, waiting.confirmations, waiting.transaction) == (CryptoStatus.PENDING, 4, None)
    assert waiting.checked_at is not None
    assert not Transaction.objects.exists()

    later = recorded(RECORDED[USDT_UNCONFIRMED])
    later.update(confirmations=23, confirmed=True)
    tronscan.answer_for(USDT_UNCONFIRMED, later)
    confirmed = crypto_transfer_verify(detail=detail)

    assert (confirmed.status, confirmed.confirmations) == (CryptoStatus.CONFIRMED, 23)
    assert legs(confirmed.transaction) == [("1110", Decimal("480.5")), ("1210", Decimal("-480.5"))]


def test_the_minimum_confirmations_are_configurable(wallets, tronscan, monkeypatch):
    monkeypatch.setenv("TRON_MIN_CONFIRMATIONS", "5000")
    detail, _created = register_trx_in(wallets)

    assert crypto_transfer_verify(detail=detail).status == CryptoStatus.PENDING  # 4217 < 5000


def test_a_transfer_that_failed_on_the_network_fails_with_the_reason(wallets, tronscan):
    detail, _created = register_usdt_out(wallets, tx_hash=USDT_FAILED, amount="900")

    failed = crypto_transfer_verify(detail=detail)

    assert failed.status == CryptoStatus.FAILED
    assert failed.error == "The transaction failed on the network (OUT_OF_ENERGY): it moved nothing."
    assert failed.transaction is None
    assert not Transaction.objects.exists()
    assert crypto_transfer_verify(detail=detail).status == CryptoStatus.FAILED  # final, not asked again
    assert tronscan.hashes_asked == [USDT_FAILED]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"amount": "1200"}, "The transaction moves 1250 TRX, not 1200 TRX as registered."),
        (
            {"from_address": STRANGER},
            f"The transaction moves TRX from {CUSTOMER} to {OUR_WALLET}, not from {STRANGER} to {OUR_WALLET}.",
        ),
        (
            {"token": "USDT", "account": "usdt", "counter_account": "customers", "amount": "1250"},
            "The transaction does not move USDT; it moves TRX (TRX).",
        ),
    ],
)
def test_a_transfer_that_does_not_match_its_registration_fails_with_the_reason(wallets, tronscan, changes, reason):
    changes = {name: getattr(wallets, value, value) for name, value in changes.items()}
    detail, _created = register_trx_in(wallets, **changes)

    failed = crypto_transfer_verify(detail=detail)

    assert (failed.status, failed.error) == (CryptoStatus.FAILED, reason)
    assert not Transaction.objects.exists()


def test_a_token_calling_itself_usdt_at_another_contract_is_not_usdt(wallets, tronscan):
    fake = recorded(RECORDED[USDT_OUT])
    fake["trc20TransferInfo"][0]["contract_address"] = "TXYZopYRdj2D9XRtbG411XZZ3kM5VkAeBf"
    tronscan.answer_for(USDT_OUT, fake)
    detail, _created = register_usdt_out(wallets)

    failed = crypto_transfer_verify(detail=detail)

    assert failed.status == CryptoStatus.FAILED
    assert "does not move USDT; it moves USDT (TXYZopYRdj2D9XRtbG411XZZ3kM5VkAeBf)" in failed.error


def test_an_unknown_hash_waits_then_fails_a_day_later(wallets, tronscan):
    detail, _created = register_usdt_in(wallets, tx_hash=MISSING)

    waiting = crypto_transfer_verify(detail=detail)

    assert waiting.status == CryptoStatus.PENDING
    assert waiting.error.startswith("Not found on the network yet")
    CryptoTransactionDetail.objects.filter(pk=detail.pk).update(created_at=timezone.now() - timedelta(hours=25))
    failed = crypto_transfer_verify(detail=detail)
    assert failed.status == CryptoStatus.FAILED
    assert "does not know this transaction, 24 hours after" in failed.error


def test_an_unreachable_tronscan_posts_nothing_and_notes_why(wallets, tronscan):
    detail, _created = register_trx_in(wallets)
    tronscan.queue(httpx.ConnectError("connection refused"))

    with pytest.raises(TronScanUnavailable, match="could not be reached"):
        crypto_transfer_verify(detail=detail)

    detail.refresh_from_db()
    assert detail.status == CryptoStatus.PENDING
    assert detail.error == "TronScan could not be reached at https://apilist.tronscanapi.com: ConnectError."
    assert not Transaction.objects.exists()


def test_without_tronscan_the_transfer_stays_pending_and_says_so(wallets, tronscan, monkeypatch):
    monkeypatch.setenv("TRONSCAN_API_URL", "")
    detail, _created = register_trx_in(wallets)

    with pytest.raises(TronScanNotConfigured):
        crypto_transfer_verify(detail=detail)

    detail.refresh_from_db()
    assert (detail.status, detail.transaction) == (CryptoStatus.PENDING, None)
    assert "Checking TRON transfers is turned off: TRONSCAN_API_URL is empty" in detail.error
    assert tronscan.requests == []


def test_when_the_books_refuse_the_posting_the_transfer_stays_pending_with_the_reason(wallets, tronscan):
    period_lock(organization=wallets.organization, user=None, locked_through=date(2026, 11, 30))
    detail, _created = register_trx_in(wallets)

    with pytest.raises(ValidationError, match="closed"):
        crypto_transfer_verify(detail=detail)

    detail.refresh_from_db()
    assert detail.status == CryptoStatus.PENDING
    assert detail.error.startswith("The books refused the posting: The books are closed through 11/30/2026")
    assert not Transaction.objects.exists()


# --- deleting a registration ------------------------------------------------------------------------------


def test_a_registration_never_posted_may_be_deleted_a_posted_one_stays(wallets, tronscan):
    wrong, _created = register_trx_in(wallets, amount="1200")
    crypto_transfer_verify(detail=wrong)
    crypto_transfer_delete(detail=wrong, user=None)
    right, created = register_trx_in(wallets)
    assert created

    crypto_transfer_verify(detail=right)

    with pytest.raises(ValidationError, match="posted; it stays"):
        crypto_transfer_delete(detail=right, user=None)
    assert CryptoTransactionDetail.objects.get().status == CryptoStatus.CONFIRMED


# --- what the database holds ------------------------------------------------------------------------------


def raw_detail(wallets, **fields):
    values = {
        "organization": wallets.organization,
        "token": "TRX",
        "direction": "in",
        "tx_hash": TRX_IN,
        "from_address": CUSTOMER,
        "to_address": OUR_WALLET,
        "amount": Decimal("1250"),
        "account": wallets.trx,
        "counter_account": wallets.trx_sales,
        **fields,
    }
    return CryptoTransactionDetail.objects.create(**values)


def test_the_database_keeps_one_detail_per_hash_and_network_in_an_organization(wallets):
    raw_detail(wallets)
    elsewhere = OrganizationFactory()
    # The other party of the transfer may keep its books in Kontora too: its own detail of the same hash.
    raw_detail(
        wallets,
        organization=elsewhere,
        account=AccountFactory(organization=elsewhere, currency_id="TRX"),
        counter_account=AccountFactory(organization=elsewhere, currency_id="TRX"),
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        raw_detail(wallets)


@pytest.mark.parametrize(
    "fields",
    [
        {"account_id": "usdt"},  # not the token's currency
        {"status": "confirmed"},  # confirmed without a posting
        {"status": "lost"},
        {"amount": Decimal("-1")},
        {"to_address": CUSTOMER},
    ],
)
def test_the_database_refuses_an_inconsistent_detail(wallets, fields):
    fields = {name: getattr(wallets, value).pk if name.endswith("_id") else value for name, value in fields.items()}

    with pytest.raises(IntegrityError), transaction.atomic():
        raw_detail(wallets, **fields)


def test_a_confirmed_detail_never_changes_nor_goes(wallets, tronscan):
    detail, _created = register_trx_in(wallets)
    crypto_transfer_verify(detail=detail)

    with pytest.raises(IntegrityError, match="ledger_crypto_final|is confirmed"), transaction.atomic():
        CryptoTransactionDetail.objects.filter(pk=detail.pk).update(amount=Decimal("1"))
    with pytest.raises(IntegrityError, match="is confirmed"), transaction.atomic():
        CryptoTransactionDetail.objects.filter(pk=detail.pk).delete()


# --- the beat task ----------------------------------------------------------------------------------------


def test_the_task_posts_the_confirmed_fails_the_failed_and_waits_for_the_rest(wallets, tronscan):
    confirmed, _c = register_trx_in(wallets)
    waiting, _c = register_usdt_in(wallets)
    failed, _c = register_usdt_out(wallets, tx_hash=USDT_FAILED, amount="900")

    first = crypto_transfers_verify_pending_task.apply().get()
    second = crypto_transfers_verify_pending_task.apply().get()

    assert first == {"checked": 3, "confirmed": 1, "failed": 1, "pending": 1, "refused": 0}
    assert second == {"checked": 1, "confirmed": 0, "failed": 0, "pending": 1, "refused": 0}
    assert Transaction.objects.count() == 1
    statuses = dict(CryptoTransactionDetail.objects.values_list("pk", "status"))
    assert statuses == {confirmed.pk: "confirmed", waiting.pk: "pending", failed.pk: "failed"}


def test_the_task_checks_the_least_recently_checked_first_within_its_limit(wallets, tronscan):
    first, _c = register_usdt_in(wallets)
    second, _c = register_usdt_in(wallets, tx_hash=MISSING)

    crypto_transfers_verify_pending(limit=1)
    crypto_transfers_verify_pending(limit=1)

    assert tronscan.hashes_asked == [USDT_UNCONFIRMED, MISSING]


def test_the_task_posts_nothing_and_logs_when_tronscan_is_down(wallets, tronscan, caplog):
    register_trx_in(wallets)
    register_usdt_in(wallets)
    tronscan.queue(httpx.Response(503, text="Service Unavailable"))

    summary = crypto_transfers_verify_pending_task.apply().get()

    assert summary["unavailable"] == "TronScan could not answer (HTTP 503)."
    assert len(tronscan.requests) == 1  # stops at once; the next run tries again
    assert "checked again later" in caplog.text
    assert not Transaction.objects.exists()
    assert set(CryptoTransactionDetail.objects.values_list("status", flat=True)) == {"pending"}


def test_the_task_logs_and_skips_when_tronscan_is_not_configured(wallets, tronscan, monkeypatch, caplog):
    monkeypatch.setenv("TRONSCAN_API_URL", "none")
    register_trx_in(wallets)

    summary = crypto_transfers_verify_pending_task.apply().get()

    assert "TRONSCAN_API_URL is empty" in summary["skipped"]
    assert "not checked" in caplog.text
    assert tronscan.requests == []


def test_the_task_goes_on_past_a_transfer_the_books_refuse(wallets, tronscan):
    period_lock(organization=wallets.organization, user=None, locked_through=date(2026, 11, 15))
    register_trx_in(wallets)  # 14 November: closed
    register_usdt_out(wallets)  # 17 November in Moscow: open

    summary = crypto_transfers_verify_pending(limit=10)

    assert (summary["refused"], summary["confirmed"]) == (1, 1)


def test_the_migration_scheduled_the_task_every_minute():
    task = PeriodicTask.objects.select_related("crontab").get(name=VERIFY_TASK_NAME)

    assert task.task == CRYPTO_VERIFY_PENDING_TASK
    assert task.enabled
    assert (task.crontab.minute, task.crontab.hour) == ("*", "*")
    celery_app.loader.import_default_modules()
    assert CRYPTO_VERIFY_PENDING_TASK in celery_app.tasks


def test_the_schedule_is_idempotent_and_reversible():
    beat.install(django_apps, None, specs=(VERIFY,))
    assert PeriodicTask.objects.filter(name=VERIFY_TASK_NAME).count() == 1

    beat.uninstall(django_apps, None, specs=(VERIFY,))
    assert not PeriodicTask.objects.filter(name=VERIFY_TASK_NAME).exists()
    beat.install(django_apps, None, specs=(VERIFY,))
    assert PeriodicTask.objects.filter(name=VERIFY_TASK_NAME).count() == 1
