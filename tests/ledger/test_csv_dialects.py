"""CSV downloads in two dialects: semicolons and a decimal comma for Russian Excel, commas and a point for
scripts; numbers stay numbers and formula-like text stays neutralised in both."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from apps.core.accounts.roles import Role
from apps.core.mechanisms.exports import EXCEL_RU, STANDARD, csv_cell, csv_dialect
from apps.ledger.admin.reports import url_name
from tests.ledger.test_reports import build_books

pytestmark = pytest.mark.django_db


def _body(response) -> str:
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    return raw.decode("utf-8-sig")


def test_cells_of_each_dialect():
    assert csv_cell(Decimal("-1234.50"), EXCEL_RU) == "-1234,50"
    assert csv_cell(Decimal("-1234.50"), STANDARD) == "-1234.50"
    assert csv_cell("=1+1", EXCEL_RU) == "'=1+1"
    assert csv_cell("1.5 kg", EXCEL_RU) == "1.5 kg"  # text is not touched


def test_the_default_dialect_follows_the_language():
    assert csv_dialect(language="ru") is EXCEL_RU
    assert csv_dialect(language="en") is STANDARD
    assert csv_dialect("standard", language="ru") is STANDARD
    with pytest.raises(ValueError, match="tsv"):
        csv_dialect("tsv")


PERIOD = {"date_from": "2026-01-01", "date_to": "2026-03-31"}
NUMBER = re.compile(r"-?[0-9]+([.,][0-9]+)?")


@pytest.fixture
def viewer(client, organization, member_of):
    build_books(organization)
    client.force_login(member_of(organization, role=Role.VIEWER))
    return client


def _cash_flow(client, language="ru", **extra):
    url = reverse(f"admin:{url_name('cash-flow')}")
    return client.get(url, {**PERIOD, "download": "csv", **extra}, HTTP_ACCEPT_LANGUAGE=language)


def _numbers(rows) -> list[str]:
    return [cell for row in rows[1:] for cell in row if NUMBER.fullmatch(cell)]


def test_a_russian_download_opens_as_columns_with_decimal_commas(viewer):
    response = _cash_flow(viewer)

    rows = list(csv.reader(io.StringIO(_body(response)), delimiter=";"))
    assert len(rows[0]) == 8  # the header split into its columns
    numbers = _numbers(rows)
    assert numbers
    assert all("." not in number for number in numbers)
    assert any("," in number for number in numbers)
    assert Decimal(numbers[-1].replace(",", "."))  # a plain number, no grouping


def test_the_standard_dialect_can_be_chosen_explicitly(viewer):
    response = _cash_flow(viewer, dialect="standard")

    rows = list(csv.reader(io.StringIO(_body(response))))
    assert len(rows[0]) == 8
    assert all("," not in number for number in _numbers(rows))


def test_an_english_interface_gets_the_standard_dialect(viewer):
    rows = list(csv.reader(io.StringIO(_body(_cash_flow(viewer, language="en")))))
    assert rows[0][0] == "Section"
    assert len(rows[0]) == 8


def test_an_unknown_dialect_is_refused_by_name(viewer):
    response = _cash_flow(viewer, language="en", dialect="tsv")

    assert response.status_code == 200
    assert "“tsv” is not a CSV dialect" in response.content.decode()
