"""The invoices and recurring payments in the admin: drafts with lines, the issue / record payment / void
actions, read-only issued invoices, payment reversal, recurring payments with their legs and actions."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse

from apps.core.accounts.roles import Role
from apps.ledger.models import AccountType, Invoice, InvoicePayment, InvoiceStatus, RecurringPayment, Transaction
from apps.ledger.services import invoice_payment_record, period_lock
from tests.ledger.factories import AccountFactory, CounterpartyFactory, InvoiceFactory, RecurringPaymentFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:ledger_invoice_changelist"


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(dt.datetime(2026, 3, 10, 9, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def bookkeeper_client(client, organization, member_of):
    client.force_login(member_of(organization, role=Role.BOOKKEEPER))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _inline(prefix: str, rows: list[dict], initial: int = 0) -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{name}": value for name, value in row.items()})
    return data


def _add_invoice(client, organization, customer, lines):
    data = {
        "organization": organization.pk,
        "kind": "receivable",
        "counterparty": customer.pk,
        "currency": "RUB",
        "issue_date": "2026-03-02",
        "due_date": "2026-03-16",
        "reference": "PO-7",
        "notes": "",
        **_inline("lines", lines),
        **_inline("payments", []),
    }
    return client.post(reverse("admin:ledger_invoice_add"), data)


def _act(client, action, invoices, **extra):
    return client.post(
        reverse(CHANGELIST), {"action": action, "_selected_action": [i.pk for i in invoices], **extra}, follow=True
    )


# --- drafts -----------------------------------------------------------------------------------------------


def test_a_draft_is_added_with_its_lines_and_the_service_computes_the_amounts(bookkeeper_client, organization, books):
    customer = CounterpartyFactory(organization=organization)

    response = _add_invoice(
        bookkeeper_client,
        organization,
        customer,
        [
            {
                "position": "1",
                "description": "Consulting",
                "quantity": "3",
                "unit_price": "1000",
                "account": books.sales.pk,
            },
            {"position": "2", "description": "Travel", "quantity": "1", "unit_price": "0.125"},
        ],
    )

    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    invoice = Invoice.objects.get()
    assert (invoice.status, invoice.total) == (InvoiceStatus.DRAFT, Decimal("3000.12"))
    assert [line.amount for line in invoice.lines.order_by("position")] == [Decimal("3000"), Decimal("0.12")]


def test_a_bad_line_is_shown_on_its_row_and_nothing_is_saved(bookkeeper_client, organization, books):
    customer = CounterpartyFactory(organization=organization)
    usd_sales = AccountFactory(organization=organization, code="4010", type=AccountType.INCOME, currency_id="USD")

    response = _add_invoice(
        bookkeeper_client,
        organization,
        customer,
        [
            {"position": "1", "description": "Fine", "quantity": "1", "unit_price": "10"},
            {"position": "2", "description": "Dollars", "quantity": "1", "unit_price": "10", "account": usd_sales.pk},
        ],
    )

    assert response.status_code == 200
    [formset] = [f for f in response.context["inline_admin_formsets"] if f.formset.prefix == "lines"]
    assert "holds USD; the invoice is in RUB" in str(formset.formset.forms[1].errors["account"])
    assert not Invoice.objects.exists()


def test_an_issued_invoice_is_read_only(bookkeeper_client, organization):
    invoice = InvoiceFactory(organization=organization, issued=True)
    url = reverse("admin:ledger_invoice_change", args=[invoice.pk])

    page = bookkeeper_client.get(url)
    post = bookkeeper_client.post(url, {"notes": "changed"})

    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert post.status_code == 403
    assert (
        bookkeeper_client.post(reverse("admin:ledger_invoice_delete", args=[invoice.pk]), {"post": "yes"}).status_code
        == 403
    )


# --- actions ----------------------------------------------------------------------------------------------


def test_issue_action_issues_drafts_and_names_the_invoice_that_was_refused(bookkeeper_client, organization):
    good = InvoiceFactory(organization=organization)
    closed = InvoiceFactory(organization=organization, issue_date=dt.date(2026, 1, 10), due_date=dt.date(2026, 2, 1))
    period_lock(organization=organization, user=None, locked_through=dt.date(2026, 1, 31))

    response = _act(bookkeeper_client, "issue_invoices", [good, closed], apply="1")

    shown = _messages(response)
    assert "1 invoice issued." in shown
    assert any(
        m.startswith(f"Invoice Draft invoice #{closed.pk}:") and "closed through 01/31/2026" in m for m in shown
    ), shown
    assert Invoice.objects.get(pk=good.pk).number == "INV-2026-000001"
    assert Invoice.objects.get(pk=closed.pk).status == InvoiceStatus.DRAFT


def test_the_issue_action_asks_for_confirmation_first(bookkeeper_client, organization):
    draft = InvoiceFactory(organization=organization)

    response = _act(bookkeeper_client, "issue_invoices", [draft])

    assert response.status_code == 200
    assert "Issue: number them and post them to the books" in response.content.decode()
    assert Invoice.objects.get(pk=draft.pk).status == InvoiceStatus.DRAFT


# --- the invoice page's own actions --------------------------------------------------------------------------


def _page(invoice) -> str:
    return reverse("admin:ledger_invoice_change", args=[invoice.pk])


def _on_page(invoice, name: str) -> str:
    return reverse(f"admin:ledger_invoice_{name}", args=[invoice.pk])


def test_a_draft_page_offers_issue_which_asks_then_issues_and_comes_back(bookkeeper_client, organization):
    draft = InvoiceFactory(organization=organization)

    page = bookkeeper_client.get(_page(draft)).content.decode()
    confirm = bookkeeper_client.get(_on_page(draft, "issue"))
    still_draft = Invoice.objects.get(pk=draft.pk).status
    issued = bookkeeper_client.post(_on_page(draft, "issue"), {"apply": "1"})

    assert _on_page(draft, "issue") in page
    assert _on_page(draft, "pay") not in page
    assert _on_page(draft, "void") not in page
    assert confirm.status_code == 200
    assert "Issuing numbers an invoice and posts it to the books" in confirm.content.decode()
    assert f'href="{_page(draft)}" class="button cancel-link"' in confirm.content.decode()
    assert still_draft == InvoiceStatus.DRAFT
    assert issued.status_code == 302
    assert issued["Location"] == _page(draft)
    assert "1 invoice issued." in _messages(issued)
    invoice = Invoice.objects.get(pk=draft.pk)
    assert invoice.status == InvoiceStatus.ISSUED
    assert invoice.number == "INV-2026-000001"


def test_an_issued_page_records_a_payment_and_comes_back(bookkeeper_client, organization, books):
    invoice = InvoiceFactory(organization=organization, issued=True)

    page = bookkeeper_client.get(_page(invoice)).content.decode()
    form = bookkeeper_client.get(_on_page(invoice, "pay"))
    key = re.search(r'name="idempotency_key" value="(\w+)"', form.content.decode()).group(1)
    paid = bookkeeper_client.post(
        _on_page(invoice, "pay"),
        {"apply": "1", "amount": "1000", "date": "2026-03-05", "account": books.bank.pk, "idempotency_key": key},
    )

    assert _on_page(invoice, "pay") in page
    assert _on_page(invoice, "void") in page
    assert _on_page(invoice, "issue") not in page
    assert form.status_code == 200
    assert paid.status_code == 302
    assert paid["Location"] == _page(invoice)
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.PAID
    assert InvoicePayment.objects.get().account_id == books.bank.pk


def test_an_issued_page_voids_the_invoice_with_a_reason(bookkeeper_client, organization):
    invoice = InvoiceFactory(organization=organization, issued=True)

    form = bookkeeper_client.get(_on_page(invoice, "void"))
    voided = bookkeeper_client.post(_on_page(invoice, "void"), {"apply": "1", "reason": "sent twice"})

    assert "Void them: post the reversals" in form.content.decode()
    assert voided.status_code == 302
    assert voided["Location"] == _page(invoice)
    voided_invoice = Invoice.objects.get(pk=invoice.pk)
    assert voided_invoice.status == InvoiceStatus.VOID
    assert voided_invoice.void_transaction.reverses_id == voided_invoice.issue_transaction_id
    assert _on_page(invoice, "void") not in bookkeeper_client.get(_page(invoice)).content.decode()


def test_a_viewer_sees_no_actions_and_cannot_use_them(client, organization, member_of):
    draft = InvoiceFactory(organization=organization)
    client.force_login(member_of(organization, role=Role.VIEWER))

    page = client.get(_page(draft)).content.decode()
    refused = client.post(_on_page(draft, "issue"), {"apply": "1"})

    assert _on_page(draft, "issue") not in page
    assert refused.status_code == 403
    assert Invoice.objects.get(pk=draft.pk).status == InvoiceStatus.DRAFT


def test_another_organizations_invoice_answers_404(bookkeeper_client, other_organization):
    theirs = InvoiceFactory(organization=other_organization)

    for name in ("issue", "pay", "void"):
        assert bookkeeper_client.post(_on_page(theirs, name), {"apply": "1"}).status_code == 404
    assert Invoice.objects.get(pk=theirs.pk).status == InvoiceStatus.DRAFT


def test_record_payment_shows_a_form_then_pays_once_per_form(bookkeeper_client, organization, books):
    invoice = InvoiceFactory(organization=organization, issued=True)

    page = _act(bookkeeper_client, "record_payment", [invoice])
    key = re.search(r'name="idempotency_key" value="(\w+)"', page.content.decode()).group(1)
    submit = {"apply": "1", "amount": "400", "date": "2026-03-05", "account": books.bank.pk, "idempotency_key": key}
    paid = _act(bookkeeper_client, "record_payment", [invoice], **submit)
    resent = _act(bookkeeper_client, "record_payment", [invoice], **submit)

    assert page.status_code == 200
    assert "1000.00 RUB" in page.content.decode()
    assert any("Payment of 400.00\u00a0RUB recorded against invoice INV-2026-000001" in m for m in _messages(paid))
    assert resent.status_code == 200
    assert InvoicePayment.objects.count() == 1
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.PARTIALLY_PAID


def test_record_payment_shows_the_services_refusal_on_the_form(bookkeeper_client, organization, books):
    invoice = InvoiceFactory(organization=organization, issued=True)

    response = _act(
        bookkeeper_client,
        "record_payment",
        [invoice],
        apply="1",
        amount="5000",
        date="2026-03-05",
        account=books.bank.pk,
        idempotency_key="k",
    )

    assert response.status_code == 200
    assert "more than the 1,000.00\u00a0RUB still due" in str(response.context["form"].errors["amount"])
    assert not InvoicePayment.objects.exists()


def test_void_is_refused_while_payments_stand_then_works_after_reversing_them(bookkeeper_client, organization, books):
    invoice = InvoiceFactory(organization=organization, issued=True)
    invoice_payment_record(
        invoice=invoice, user=None, amount="100", date=dt.date(2026, 3, 5), account=books.bank, idempotency_key="p"
    )

    confirm = _act(bookkeeper_client, "void_invoices", [invoice])
    refused = _act(bookkeeper_client, "void_invoices", [invoice], apply="1", reason="wrong customer")
    reversed_ = bookkeeper_client.post(
        reverse("admin:ledger_invoicepayment_changelist"),
        {"action": "reverse_payments", "_selected_action": list(InvoicePayment.objects.values_list("pk", flat=True))},
        follow=True,
    )
    voided = _act(bookkeeper_client, "void_invoices", [invoice], apply="1", reason="wrong customer")

    assert confirm.status_code == 200
    assert "Void them" in confirm.content.decode()
    assert any("INV-2026-000001 cannot be voided" in m and "Reverse the payment first" in m for m in _messages(refused))
    assert "1 payment reversed." in _messages(reversed_)
    assert "1 invoice voided." in _messages(voided)
    voided_invoice = Invoice.objects.get(pk=invoice.pk)
    assert voided_invoice.status == InvoiceStatus.VOID
    assert "wrong customer" in voided_invoice.void_transaction.description
    assert Transaction.objects.filter(kind="reversal").count() == 2


def test_a_viewer_gets_no_actions(client, organization, member_of):
    client.force_login(member_of(organization, role=Role.VIEWER))
    invoice = InvoiceFactory(organization=organization)

    page = client.get(reverse(CHANGELIST))
    attempt = _act(client, "issue_invoices", [invoice])

    assert page.status_code == 200
    assert "issue_invoices" not in page.content.decode()
    assert attempt.status_code == 200
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.DRAFT


# --- recurring payments -----------------------------------------------------------------------------------


def _add_recurring(client, organization, legs):
    data = {
        "organization": organization.pk,
        "name": "Office rent",
        "description": "",
        "interval_unit": "months",
        "interval_count": "1",
        "day_of_month": "31",
        "start_date": "2026-01-31",
        "end_date": "",
        **_inline("legs", legs),
    }
    return client.post(reverse("admin:ledger_recurringpayment_add"), data)


def test_a_recurring_payment_is_added_with_its_legs(bookkeeper_client, organization, books):
    response = _add_recurring(
        bookkeeper_client,
        organization,
        [{"account": books.rent.pk, "amount": "85000"}, {"account": books.bank.pk, "amount": "-85000"}],
    )

    assert response.status_code == 302
    recurring = RecurringPayment.objects.get()
    assert recurring.next_due_date == dt.date(2026, 1, 31)
    assert recurring.legs.count() == 2


def test_an_unbalanced_template_is_refused_on_the_page(bookkeeper_client, organization, books):
    response = _add_recurring(
        bookkeeper_client,
        organization,
        [{"account": books.rent.pk, "amount": "85000"}, {"account": books.bank.pk, "amount": "-8500"}],
    )

    assert response.status_code == 200
    [formset] = [f for f in response.context["inline_admin_formsets"] if f.formset.prefix == "legs"]
    assert "do not balance in RUB" in str(formset.formset.non_form_errors())
    assert not RecurringPayment.objects.exists()


def test_recurring_actions_pause_resume_and_post_due_now(bookkeeper_client, organization):
    recurring = RecurringPaymentFactory(organization=organization, start_date=dt.date(2026, 1, 31))
    changelist = reverse("admin:ledger_recurringpayment_changelist")

    def act(action):
        return bookkeeper_client.post(changelist, {"action": action, "_selected_action": [recurring.pk]}, follow=True)

    posted = act("post_due_now")
    again = act("post_due_now")
    paused = act("pause")
    resumed = act("resume")

    assert any("2 occurrences posted (01/31/2026, 02/28/2026)" in m for m in _messages(posted))  # the locale's dates
    assert any("nothing is due" in m for m in _messages(again))
    assert "1 paused." in _messages(paused)
    assert "1 resumed." in _messages(resumed)
    assert Transaction.objects.filter(kind="recurring").count() == 2


def test_the_posted_occurrences_are_dated_as_russian_reads_dates(bookkeeper_client, organization):
    recurring = RecurringPaymentFactory(organization=organization, start_date=dt.date(2026, 1, 31))
    response = bookkeeper_client.post(
        reverse("admin:ledger_recurringpayment_changelist"),
        {"action": "post_due_now", "_selected_action": [recurring.pk]},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="ru",
    )
    assert any("(31.01.2026, 28.02.2026)" in m for m in _messages(response)), _messages(response)


def test_editing_the_schedule_goes_through_the_service(bookkeeper_client, organization):
    recurring = RecurringPaymentFactory(organization=organization, start_date=dt.date(2026, 1, 31))
    legs = list(recurring.legs.all())
    url = reverse("admin:ledger_recurringpayment_change", args=[recurring.pk])

    response = bookkeeper_client.post(
        url,
        {
            "organization": organization.pk,
            "name": recurring.name,
            "description": "",
            "interval_unit": "months",
            "interval_count": "1",
            "day_of_month": "15",
            "start_date": "2026-01-31",
            "end_date": "",
            **_inline(
                "legs",
                [
                    {
                        "id": leg.pk,
                        "recurring_payment": recurring.pk,
                        "account": leg.account_id,
                        "amount": str(leg.amount),
                    }
                    for leg in legs
                ],
                initial=len(legs),
            ),  # fmt: skip
        },
    )

    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    recurring.refresh_from_db()
    assert (recurring.day_of_month, recurring.next_due_date) == (15, dt.date(2026, 2, 15))


def test_change_pages_open(bookkeeper_client, organization, books):
    draft = InvoiceFactory(organization=organization)
    paid = InvoiceFactory(organization=organization, issued=True)
    payment = invoice_payment_record(
        invoice=paid, user=None, amount="1000", date=dt.date(2026, 3, 5), account=books.bank, idempotency_key="p"
    )
    recurring = RecurringPaymentFactory(organization=organization)

    for name, pk in [
        ("invoice", draft.pk),
        ("invoice", paid.pk),
        ("invoicepayment", payment.pk),
        ("recurringpayment", recurring.pk),
    ]:
        response = bookkeeper_client.get(reverse(f"admin:ledger_{name}_change", args=[pk]))
        assert response.status_code == 200, name
    page = bookkeeper_client.get(reverse("admin:ledger_invoice_change", args=[paid.pk])).content.decode()
    assert "1,000.00\u00a0RUB" in page
    assert "invoice-status-paid" in page
