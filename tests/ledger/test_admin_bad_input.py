"""The admin's posting and invoice forms refuse overflowing amounts and out-of-range dates with a form
error, never a server error, and save nothing."""

from __future__ import annotations

import pytest

from apps.ledger.models import Invoice, Transaction
from tests.ledger.factories import CounterpartyFactory
from tests.ledger.test_admin_books import bookkeeper, client, posting, url  # noqa: F401  (fixtures and helpers)
from tests.ledger.test_invoices_admin import _add_invoice, _clock, bookkeeper_client  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("amount", ["1e30", "123456789012345678901", "100000000000000000000.00"])
def test_an_overflowing_amount_on_the_posting_form_is_a_form_error(client, books, amount):  # noqa: F811
    data = posting(books, [{"account": books.rent, "debit": amount}, {"account": books.bank, "credit": amount}])

    response = client.post(url("transaction_add"), data)

    assert response.status_code == 200
    assert "debit" in response.context["legs"].forms[0].errors
    assert not Transaction.objects.exists()


def test_a_date_past_the_accepted_range_on_the_posting_form_is_a_form_error(client, books):  # noqa: F811
    data = posting(books, [{"account": books.rent, "debit": "1"}, {"account": books.bank, "credit": "1"}])
    data["date"] = "2206-03-02"

    response = client.post(url("transaction_add"), data)

    assert response.status_code == 200
    assert "2100-12-31" in str(response.context["adminform"].form.errors["date"])
    assert not Transaction.objects.exists()


def test_an_invoice_line_that_overflows_is_a_form_error(bookkeeper_client, organization, books):  # noqa: F811
    customer = CounterpartyFactory(organization=organization)

    response = _add_invoice(
        bookkeeper_client,
        organization,
        customer,
        [{"position": "1", "description": "A lot", "quantity": "99999999999999", "unit_price": "99999999999999999999"}],
    )

    assert response.status_code == 200
    [formset] = [f for f in response.context["inline_admin_formsets"] if f.formset.prefix == "lines"]
    assert "too large" in str(formset.formset.forms[0].errors["unit_price"])
    assert not Invoice.objects.exists()
