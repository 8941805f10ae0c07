"""Invoices: drafts, issuing with gap-free numbers, payments, voiding, overdue — and the rules the database
holds whatever writes the rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import translation

from apps.core.accounts.roles import Role
from apps.core.models import AuditLog
from apps.ledger.demo import invoices as demo_invoices
from apps.ledger.models import (
    Account,
    AccountBalance,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoicePayment,
    InvoiceStatus,
    Transaction,
    TransactionEntry,
)
from apps.ledger.services import (
    income_post,
    invoice_create,
    invoice_delete,
    invoice_issue,
    invoice_payment_record,
    invoice_payment_reverse,
    invoice_update,
    invoice_void,
    invoices_mark_overdue,
    period_lock,
    transaction_reverse,
)
from tests.helpers import assert_nothing_written
from tests.ledger.factories import AccountFactory, CounterpartyFactory, InvoiceFactory

pytestmark = pytest.mark.django_db

MARCH_2 = dt.date(2026, 3, 2)
# Noon in Moscow on 2026-03-10: before every due date used here unless a test moves the clock.
BEFORE_DUE = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _clock_and_language():
    with time_machine.travel(BEFORE_DUE, tick=False), translation.override("en"):
        yield


@pytest.fixture
def bookkeeper(organization, member_of):
    return member_of(organization, role=Role.BOOKKEEPER)


@pytest.fixture
def customer(organization):
    return CounterpartyFactory(organization=organization, name="Romashka LLC")


def _sql(*statements, params=()):
    """Run raw SQL in a savepoint, checking deferred constraints at the end as a commit would."""
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement, params)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def _balance(account) -> Decimal:
    return AccountBalance.objects.get(account=account).balance


def _draft(organization, customer, books, user, **kwargs):
    defaults = {
        "organization": organization,
        "user": user,
        "kind": InvoiceKind.RECEIVABLE,
        "counterparty": customer,
        "currency": "RUB",
        "issue_date": MARCH_2,
        "due_date": MARCH_2 + dt.timedelta(days=14),
        "lines": [
            {"description": "Consulting", "quantity": "3", "unit_price": "1000.00", "account": books.sales},
            {"description": "Travel", "quantity": "1", "unit_price": "250.50", "account": books.sales},
        ],
    }
    defaults.update(kwargs)
    return invoice_create(**defaults)


# --- drafts -----------------------------------------------------------------------------------------------


def test_a_draft_has_computed_amounts_no_number_and_posts_nothing(organization, books, customer, bookkeeper):
    invoice = _draft(organization, customer, books, bookkeeper)

    assert invoice.status == InvoiceStatus.DRAFT
    assert invoice.number == ""
    assert invoice.total == Decimal("3250.50")
    assert [line.amount for line in invoice.lines.all()] == [Decimal("3000.00"), Decimal("250.50")]
    assert not Transaction.objects.filter(organization=organization).exists()


def test_line_amounts_round_half_even_to_the_currency_precision(organization, books, customer, bookkeeper):
    invoice = _draft(
        organization,
        customer,
        books,
        bookkeeper,
        lines=[
            {"description": "a", "quantity": "1", "unit_price": "0.125"},  # 0.12 (half to even)
            {"description": "b", "quantity": "1", "unit_price": "0.135"},  # 0.14
            {"description": "c", "quantity": "3", "unit_price": "0.3333"},  # 0.9999 → 1.00
        ],
    )

    assert [line.amount for line in invoice.lines.all()] == [Decimal("0.12"), Decimal("0.14"), Decimal("1.00")]
    assert invoice.total == Decimal("1.26")


def test_bad_lines_are_refused_naming_the_line_and_field_and_nothing_is_written(
    organization, other_organization, books, customer, bookkeeper
):
    foreign = AccountFactory(organization=other_organization, type="income")
    with assert_nothing_written(), pytest.raises(ValidationError) as caught:
        _draft(
            organization,
            customer,
            books,
            bookkeeper,
            lines=[
                {"description": "ok", "quantity": "1", "unit_price": "10"},
                {"description": "", "quantity": "0", "unit_price": 1.5},
                {"description": "usd", "quantity": "1", "unit_price": "1", "account": books.usd},
                {"description": "cash", "quantity": "1", "unit_price": "1", "account": books.cash},
                {"description": "foreign", "quantity": "1", "unit_price": "1", "account": foreign},
            ],
        )

    errors = caught.value.message_dict
    assert set(errors) == {
        "lines.1.description",
        "lines.1.quantity",
        "lines.1.unit_price",
        "lines.2.account",
        "lines.3.account",
        "lines.4.account",
    }
    assert "not floating-point" in errors["lines.1.unit_price"][0]
    assert "holds USD; the invoice is in RUB" in errors["lines.2.account"][0]
    assert "No such account in this organization" in errors["lines.4.account"][0]
    assert not Invoice.objects.exists()


def test_the_header_is_checked(organization, other_organization, books, bookkeeper):
    stranger = CounterpartyFactory(organization=other_organization)
    with assert_nothing_written(), pytest.raises(ValidationError) as caught:
        _draft(organization, stranger, books, bookkeeper, due_date=MARCH_2 - dt.timedelta(days=1))

    assert set(caught.value.message_dict) == {"counterparty", "due_date"}


def test_a_viewer_cannot_create_invoices(organization, books, customer, member_of):
    viewer = member_of(organization, role=Role.VIEWER)
    with assert_nothing_written(), pytest.raises(PermissionDenied):
        _draft(organization, customer, books, viewer)


def test_a_draft_can_be_edited_and_deleted(organization, books, customer, bookkeeper):
    invoice = _draft(organization, customer, books, bookkeeper)

    invoice = invoice_update(
        invoice=invoice,
        user=bookkeeper,
        due_date=MARCH_2 + dt.timedelta(days=30),
        lines=[{"description": "Only line", "quantity": "2", "unit_price": "99.99"}],
    )

    assert invoice.total == Decimal("199.98")
    assert invoice.lines.count() == 1
    invoice_delete(invoice=invoice, user=bookkeeper)
    assert not Invoice.objects.exists()
    assert AuditLog.objects.filter(action="ledger.invoice.delete").exists()


# --- issuing ----------------------------------------------------------------------------------------------


def test_issuing_a_receivable_numbers_it_and_posts_debit_receivable_credit_income(
    organization, books, customer, bookkeeper
):
    invoice = _draft(organization, customer, books, bookkeeper)

    invoice = invoice_issue(invoice=invoice, user=bookkeeper)

    assert invoice.status == InvoiceStatus.ISSUED
    assert invoice.number == "INV-2026-000001"
    receivable = invoice.balance_account
    assert (receivable.purpose, receivable.currency_id, receivable.type) == ("receivable", "RUB", "asset")
    posted = invoice.issue_transaction
    assert posted.kind == Transaction.Kind.INVOICE
    assert posted.idempotency_key == f"invoice:{invoice.pk}:issue"
    assert posted.date == MARCH_2
    legs = {(e.account_id, e.amount, e.counterparty_id) for e in posted.entries.all()}
    assert legs == {
        (receivable.pk, Decimal("3250.50"), customer.pk),
        (books.sales.pk, Decimal("-3000.00"), customer.pk),
        (books.sales.pk, Decimal("-250.50"), customer.pk),
    }
    assert _balance(receivable) == Decimal("3250.50")
    assert AuditLog.objects.filter(action="ledger.invoice.issue", object_id=str(invoice.pk)).exists()


def test_issuing_a_payable_posts_the_mirror(organization, books, bookkeeper):
    supplier = CounterpartyFactory(organization=organization, kind="supplier")
    invoice = _draft(
        organization,
        supplier,
        books,
        bookkeeper,
        kind=InvoiceKind.PAYABLE,
        lines=[{"description": "Office rent", "quantity": "1", "unit_price": "85000", "account": books.rent}],
    )

    invoice = invoice_issue(invoice=invoice, user=bookkeeper)

    assert invoice.number == "BILL-2026-000001"
    payable = invoice.balance_account
    assert (payable.purpose, payable.type) == ("payable", "liability")
    assert _balance(payable) == Decimal("-85000")
    assert _balance(books.rent) == Decimal("85000")


def test_lines_without_an_account_go_to_the_default_sales_account(organization, customer, bookkeeper):
    invoice = InvoiceFactory(organization=organization, counterparty=customer, issued=True)

    sales = Account.objects.get(organization=organization, code="SALES-RUB")
    assert sales.type == "income"
    assert _balance(sales) == Decimal("-1000")
    assert invoice.issue_transaction.entries.count() == 2


def test_an_existing_receivable_account_is_used(organization, books, customer, bookkeeper):
    own = AccountFactory(organization=organization, code="1200", purpose="receivable", name="Customers")

    invoice = invoice_issue(invoice=_draft(organization, customer, books, bookkeeper), user=bookkeeper)

    assert invoice.balance_account == own


def test_numbers_run_per_kind_and_year_and_issuing_twice_changes_nothing(organization, books, customer, bookkeeper):
    first = invoice_issue(invoice=_draft(organization, customer, books, bookkeeper), user=bookkeeper)
    second = invoice_issue(invoice=_draft(organization, customer, books, bookkeeper), user=bookkeeper)
    next_year = invoice_issue(
        invoice=_draft(
            organization,
            customer,
            books,
            bookkeeper,
            issue_date=dt.date(2027, 1, 5),
            due_date=dt.date(2027, 1, 20),
        ),
        user=bookkeeper,
    )
    again = invoice_issue(invoice=first, user=bookkeeper)

    assert [first.number, second.number, next_year.number] == [
        "INV-2026-000001",
        "INV-2026-000002",
        "INV-2027-000001",
    ]
    assert again.number == first.number
    assert Transaction.objects.filter(kind="invoice").count() == 3


def test_a_failed_issue_leaves_no_gap_in_the_numbers(organization, books, customer, bookkeeper):
    period_lock(organization=organization, user=bookkeeper, locked_through=dt.date(2026, 2, 28))
    closed = _draft(
        organization, customer, books, bookkeeper, issue_date=dt.date(2026, 2, 20), due_date=dt.date(2026, 3, 20)
    )

    with assert_nothing_written(), pytest.raises(ValidationError) as caught:
        invoice_issue(invoice=closed, user=bookkeeper)

    assert "closed" in caught.value.message_dict["date"][0]
    closed.refresh_from_db()
    assert (closed.status, closed.number) == (InvoiceStatus.DRAFT, "")
    issued = invoice_issue(invoice=_draft(organization, customer, books, bookkeeper), user=bookkeeper)
    assert issued.number == "INV-2026-000001"


def test_an_invoice_without_lines_or_total_is_not_issued(organization, books, customer, bookkeeper):
    empty = _draft(organization, customer, books, bookkeeper, lines=[])
    free = _draft(organization, customer, books, bookkeeper, lines=[{"description": "gift", "unit_price": "0"}])

    for invoice in (empty, free):
        with assert_nothing_written(), pytest.raises(ValidationError) as caught:
            invoice_issue(invoice=invoice, user=bookkeeper)
        assert "lines" in caught.value.message_dict


def test_an_invoice_already_past_due_is_issued_overdue(organization, books, customer, bookkeeper):
    invoice = _draft(
        organization, customer, books, bookkeeper, issue_date=dt.date(2026, 2, 1), due_date=dt.date(2026, 3, 1)
    )

    assert invoice_issue(invoice=invoice, user=bookkeeper).status == InvoiceStatus.OVERDUE


def test_an_issued_invoice_cannot_be_edited_or_deleted(organization, books, customer, bookkeeper):
    invoice = invoice_issue(invoice=_draft(organization, customer, books, bookkeeper), user=bookkeeper)

    with assert_nothing_written(), pytest.raises(ValidationError, match="only a draft can be changed"):
        invoice_update(invoice=invoice, user=bookkeeper, notes="changed")
    with assert_nothing_written(), pytest.raises(ValidationError, match="void it instead"):
        invoice_delete(invoice=invoice, user=bookkeeper)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_invoice SET total = total + 1 WHERE id = %s",
        "UPDATE ledger_invoice SET due_date = due_date + 1 WHERE id = %s",
        "UPDATE ledger_invoice SET number = 'X' WHERE id = %s",
        "DELETE FROM ledger_invoice WHERE id = %s",
        "UPDATE ledger_invoiceline SET unit_price = 1 WHERE invoice_id = %s",
        "DELETE FROM ledger_invoiceline WHERE invoice_id = %s",
        "INSERT INTO ledger_invoiceline (invoice_id, position, description, quantity, unit_price, amount) "
        "VALUES (%s, 9, 'sneaked in', 1, 1, 1)",
        "UPDATE ledger_invoice SET paid_amount = total WHERE id = %s",
        "UPDATE ledger_invoice SET status = 'paid', paid_amount = total WHERE id = %s",
    ],
)
def test_the_database_refuses_changes_to_an_issued_invoice(organization, books, customer, bookkeeper, statement):
    invoice = invoice_issue(invoice=_draft(organization, customer, books, bookkeeper), user=bookkeeper)

    with pytest.raises(DatabaseError):
        _sql(statement, params=[invoice.pk])


def test_the_database_refuses_issuing_with_a_total_other_than_the_lines(organization, books, customer, bookkeeper):
    invoice = _draft(organization, customer, books, bookkeeper)
    posted = income_post(
        organization=organization,
        user=bookkeeper,
        date=MARCH_2,
        account=books.cash,
        income_account=books.sales,
        amount="1",
        idempotency_key="any",
    )

    with pytest.raises(DatabaseError, match="not the sum of its lines"):
        _sql(
            "UPDATE ledger_invoice SET status = 'issued', number = 'INV-X', issue_transaction_id = %s, "
            "balance_account_id = %s, total = total + 1 WHERE id = %s",
            params=[posted.pk, books.cash.pk, invoice.pk],
        )


# --- payments ---------------------------------------------------------------------------------------------


@pytest.fixture
def issued(organization, books, customer, bookkeeper):
    return invoice_issue(invoice=_draft(organization, customer, books, bookkeeper), user=bookkeeper)


def _pay(invoice, books, user, amount, key, date=dt.date(2026, 3, 5), account=None):
    return invoice_payment_record(
        invoice=invoice, user=user, amount=amount, date=date, account=account or books.bank, idempotency_key=key
    )


def test_a_payment_posts_debit_cash_credit_receivable_and_updates_the_invoice(issued, books, bookkeeper):
    payment = _pay(issued, books, bookkeeper, "1000.50", "click-1")

    invoice = Invoice.objects.get(pk=issued.pk)
    assert invoice.paid_amount == Decimal("1000.50")
    assert invoice.status == InvoiceStatus.PARTIALLY_PAID
    assert payment.transaction.kind == Transaction.Kind.PAYMENT
    assert {(e.account_id, e.amount) for e in payment.transaction.entries.all()} == {
        (books.bank.pk, Decimal("1000.50")),
        (invoice.balance_account_id, Decimal("-1000.50")),
    }
    assert _balance(invoice.balance_account) == Decimal("2250.00")


def test_paying_the_rest_makes_it_paid(issued, books, bookkeeper):
    _pay(issued, books, bookkeeper, "3000", "a")
    _pay(issued, books, bookkeeper, "250.50", "b")

    invoice = Invoice.objects.get(pk=issued.pk)
    assert (invoice.status, invoice.paid_amount) == (InvoiceStatus.PAID, invoice.total)
    with assert_nothing_written(), pytest.raises(ValidationError, match="already paid in full"):
        _pay(invoice, books, bookkeeper, "1", "c")


def test_the_same_key_pays_once(issued, books, bookkeeper):
    first = _pay(issued, books, bookkeeper, "3250.50", "double-click")
    second = _pay(issued, books, bookkeeper, "3250.50", "double-click")

    assert first.pk == second.pk
    assert InvoicePayment.objects.count() == 1
    assert Transaction.objects.filter(kind="payment").count() == 1


def test_a_payable_payment_posts_debit_payable_credit_cash(organization, books, bookkeeper):
    supplier = CounterpartyFactory(organization=organization)
    bill = invoice_issue(
        invoice=_draft(
            organization,
            supplier,
            books,
            bookkeeper,
            kind=InvoiceKind.PAYABLE,
            lines=[{"description": "Hosting", "unit_price": "900", "account": books.rent}],
        ),
        user=bookkeeper,
    )

    payment = _pay(bill, books, bookkeeper, "900", "p1")

    assert {(e.account_id, e.amount) for e in payment.transaction.entries.all()} == {
        (bill.balance_account_id, Decimal("900")),
        (books.bank.pk, Decimal("-900")),
    }
    assert _balance(bill.balance_account) == 0


@pytest.mark.parametrize(
    ("amount", "field", "message"),
    [
        ("0", "amount", "above zero"),
        ("-5", "amount", "above zero"),
        ("3250.51", "amount", "more than the 3,250.50\u00a0RUB still due"),
        ("10.001", "amount", "more decimals than RUB allows"),
        (10.5, "amount", "not floating-point"),
    ],
)
def test_bad_payment_amounts_are_refused(issued, books, bookkeeper, amount, field, message):
    with assert_nothing_written(), pytest.raises(ValidationError) as caught:
        _pay(issued, books, bookkeeper, amount, "k")

    assert message in caught.value.message_dict[field][0]
    assert not InvoicePayment.objects.exists()
    assert not Transaction.objects.filter(kind="payment").exists()


def test_bad_payment_accounts_and_dates_are_refused(issued, books, bookkeeper, other_organization):
    cases = [
        ({"account": books.usd}, "account", "holds USD"),
        ({"account": AccountFactory(organization=other_organization)}, "account", "No such account"),
        ({"account": issued.balance_account}, "account", "not "),
        ({"date": dt.date(2026, 3, 1)}, "date", "before the invoice's issue date"),
    ]
    for overrides, field, message in cases:
        with assert_nothing_written(), pytest.raises(ValidationError) as caught:
            _pay(issued, books, bookkeeper, "10", "k", **overrides)
        assert message in caught.value.message_dict[field][0], (overrides, caught.value.message_dict)
    assert not InvoicePayment.objects.exists()


def test_a_draft_takes_no_payment_and_a_key_is_required(organization, books, customer, bookkeeper, issued):
    draft = _draft(organization, customer, books, bookkeeper)
    with assert_nothing_written(), pytest.raises(ValidationError, match="issue it before"):
        _pay(draft, books, bookkeeper, "10", "k")
    with assert_nothing_written(), pytest.raises(ValidationError) as caught:
        _pay(issued, books, bookkeeper, "10", "  ")
    assert "idempotency_key" in caught.value.message_dict


def test_a_partial_payment_after_the_due_date_stays_overdue(issued, books, bookkeeper):
    with time_machine.travel(dt.datetime(2026, 4, 1, 9, tzinfo=dt.UTC), tick=False):
        invoice = _pay(issued, books, bookkeeper, "100", "late", date=dt.date(2026, 3, 31)).invoice

    assert invoice.status == InvoiceStatus.OVERDUE


def test_reversing_a_payment_takes_it_off_the_invoice(issued, books, bookkeeper):
    payment = _pay(issued, books, bookkeeper, "3250.50", "full")

    reversed_payment = invoice_payment_reverse(payment=payment, user=bookkeeper, reason="bounced")
    again = invoice_payment_reverse(payment=payment, user=bookkeeper)

    invoice = Invoice.objects.get(pk=issued.pk)
    assert (invoice.status, invoice.paid_amount) == (InvoiceStatus.ISSUED, 0)
    assert reversed_payment.reversal_transaction.reverses_id == payment.transaction_id
    assert again.reversal_transaction_id == reversed_payment.reversal_transaction_id
    assert _balance(books.bank) == 0


def test_a_payment_cannot_be_reversed_past_its_invoice_but_an_existing_reversal_is_adopted(issued, books, bookkeeper):
    payment = _pay(issued, books, bookkeeper, "50", "p")
    with assert_nothing_written(), pytest.raises(ValidationError, match="Reverse the invoice payment instead"):
        transaction_reverse(transaction=payment.transaction, user=bookkeeper)
    # A reversal already in the books (posted before this rule, or by a script) is taken over, not doubled.
    direct = transaction_reverse(transaction=payment.transaction, user=bookkeeper, for_document=True)

    reversed_payment = invoice_payment_reverse(payment=payment, user=bookkeeper)

    assert reversed_payment.reversal_transaction_id == direct.pk
    assert Invoice.objects.get(pk=issued.pk).paid_amount == 0


def test_the_database_refuses_a_paid_amount_that_is_not_the_sum_of_payments(issued):
    with pytest.raises(DatabaseError, match="not the sum of its payments"):
        _sql("UPDATE ledger_invoice SET paid_amount = 1, status = 'partially_paid' WHERE id = %s", params=[issued.pk])


def test_the_database_refuses_paying_more_than_the_total(issued):
    with pytest.raises(DatabaseError, match="ledger_invoice_paid_within_total"):
        _sql("UPDATE ledger_invoice SET paid_amount = total + 1 WHERE id = %s", params=[issued.pk])


def test_payments_are_never_edited_or_deleted(issued, books, bookkeeper):
    payment = _pay(issued, books, bookkeeper, "10", "p")
    for statement in (
        "UPDATE ledger_invoicepayment SET amount = 20 WHERE id = %s",
        "DELETE FROM ledger_invoicepayment WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="reverse it instead"):
            _sql(statement, params=[payment.pk])


# --- voiding ----------------------------------------------------------------------------------------------


def test_voiding_an_issued_invoice_posts_the_reversal_and_keeps_its_number(issued, bookkeeper):
    invoice = invoice_void(invoice=issued, user=bookkeeper, reason="wrong customer")

    assert invoice.status == InvoiceStatus.VOID
    assert invoice.number == "INV-2026-000001"
    assert invoice.void_transaction.reverses_id == invoice.issue_transaction_id
    assert invoice.void_transaction.date == dt.date(2026, 3, 10)  # today in Moscow
    assert _balance(invoice.balance_account) == 0
    assert invoice_void(invoice=invoice, user=bookkeeper).void_transaction_id == invoice.void_transaction_id
    assert Transaction.objects.filter(kind="reversal").count() == 1


def test_voiding_is_refused_while_payments_stand_and_allowed_once_they_are_reversed(issued, books, bookkeeper):
    payment = _pay(issued, books, bookkeeper, "100", "p1")
    _pay(issued, books, bookkeeper, "50", "p2")

    with assert_nothing_written(), pytest.raises(ValidationError) as caught:
        invoice_void(invoice=issued, user=bookkeeper)

    message = caught.value.messages[0]
    assert "INV-2026-000001 cannot be voided: 2 payments totalling 150.00\u00a0RUB" in message
    assert "Reverse the payments first" in message
    assert Invoice.objects.get(pk=issued.pk).status == InvoiceStatus.PARTIALLY_PAID
    for each in InvoicePayment.objects.all():
        invoice_payment_reverse(payment=each, user=bookkeeper)
    assert payment.pk
    assert invoice_void(invoice=issued, user=bookkeeper).status == InvoiceStatus.VOID


def test_voiding_a_draft_posts_nothing(organization, books, customer, bookkeeper):
    invoice = invoice_void(invoice=_draft(organization, customer, books, bookkeeper), user=bookkeeper)

    assert (invoice.status, invoice.number, invoice.void_transaction_id) == (InvoiceStatus.VOID, "", None)
    with assert_nothing_written(), pytest.raises(ValidationError, match="void and cannot be issued"):
        invoice_issue(invoice=invoice, user=bookkeeper)
    with assert_nothing_written(), pytest.raises(ValidationError, match="takes no payments"):
        _pay(invoice, books, bookkeeper, "1", "k")


def test_a_void_invoice_never_changes_in_the_database(issued, bookkeeper):
    invoice = invoice_void(invoice=issued, user=bookkeeper)

    with pytest.raises(DatabaseError, match="void and cannot change"):
        _sql("UPDATE ledger_invoice SET status = 'issued' WHERE id = %s", params=[invoice.pk])


# --- overdue ----------------------------------------------------------------------------------------------


def test_overdue_follows_the_organizations_time_zone(organization, other_organization, books, bookkeeper):
    organization.time_zone = "Asia/Vladivostok"  # UTC+10
    organization.save()
    other_organization.time_zone = "America/New_York"  # UTC-4 in March
    other_organization.save()
    east = InvoiceFactory(organization=organization, due_date=dt.date(2026, 3, 15), issued=True)
    west = InvoiceFactory(organization=other_organization, due_date=dt.date(2026, 3, 15), issued=True)

    # 2026-03-16 02:00 UTC: noon of the 16th in Vladivostok, 22:00 of the 15th in New York.
    changed = invoices_mark_overdue(now=dt.datetime(2026, 3, 16, 2, 0, tzinfo=dt.UTC))

    assert changed == 1
    assert Invoice.objects.get(pk=east.pk).status == InvoiceStatus.OVERDUE
    assert Invoice.objects.get(pk=west.pk).status == InvoiceStatus.ISSUED
    assert invoices_mark_overdue(now=dt.datetime(2026, 3, 16, 2, 0, tzinfo=dt.UTC)) == 0
    assert invoices_mark_overdue(now=dt.datetime(2026, 3, 16, 5, 0, tzinfo=dt.UTC)) == 1


def test_overdue_marks_partly_paid_invoices_but_not_paid_void_or_drafts(organization, books, bookkeeper):
    partly = InvoiceFactory(organization=organization, issued=True)
    _pay(partly, books, bookkeeper, "10", "p")
    paid = InvoiceFactory(organization=organization, issued=True)
    _pay(paid, books, bookkeeper, "1000", "p")
    void = invoice_void(invoice=InvoiceFactory(organization=organization, issued=True), user=bookkeeper)
    draft = InvoiceFactory(organization=organization)

    invoices_mark_overdue(now=dt.datetime(2026, 6, 1, tzinfo=dt.UTC))

    statuses = dict(Invoice.objects.values_list("pk", "status"))
    assert statuses == {
        partly.pk: InvoiceStatus.OVERDUE,
        paid.pk: InvoiceStatus.PAID,
        void.pk: InvoiceStatus.VOID,
        draft.pk: InvoiceStatus.DRAFT,
    }


def test_the_overdue_task_runs_the_sweep(organization):
    from apps.ledger.tasks import invoices_mark_overdue_task

    InvoiceFactory(organization=organization, issued=True)
    with time_machine.travel(dt.datetime(2026, 5, 1, tzinfo=dt.UTC), tick=False):
        assert invoices_mark_overdue_task.apply().get() == 1


def test_the_beat_schedules_exist():
    from django_celery_beat.models import PeriodicTask

    mine = [
        "apps.ledger.tasks.invoices.invoices_mark_overdue_task",
        "apps.ledger.tasks.recurring.recurring_payments_post_due_task",
    ]
    tasks = dict(PeriodicTask.objects.filter(task__in=mine).values_list("task", "enabled"))
    assert tasks == {
        "apps.ledger.tasks.invoices.invoices_mark_overdue_task": True,
        "apps.ledger.tasks.recurring.recurring_payments_post_due_task": True,
    }


# --- demo data --------------------------------------------------------------------------------------------


def test_demo_invoices_cover_every_state_and_seeding_twice_adds_nothing(organization, books, bookkeeper):
    accounts = {"bank": books.bank, "sales": books.sales, "rent": books.rent}

    first = demo_invoices.seed(organization=organization, user=bookkeeper, accounts=accounts)
    second = demo_invoices.seed(organization=organization, user=bookkeeper, accounts=accounts)

    assert [i.pk for i in first] == [i.pk for i in second]
    statuses = set(Invoice.objects.filter(organization=organization).values_list("status", flat=True))
    assert statuses == {"draft", "issued", "overdue", "paid", "void"}
    assert {"receivable", "payable"} == set(Invoice.objects.values_list("kind", flat=True))
    assert InvoiceLine.objects.filter(invoice__organization=organization).exists()
    entries = TransactionEntry.objects.filter(organization=organization)
    assert sum(e.amount for e in entries) == 0
