"""Numbers, amounts and dates read as the active language writes them, with one minus sign
(``apps.core.language.formatting``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation
from django.utils.formats import date_format

from apps.core.language.formatting import field_decimals, format_date, format_money, format_number, format_quantity

NBSP = "\u00a0"


@pytest.fixture
def ru():
    with translation.override("ru"):
        yield


@pytest.fixture
def en():
    with translation.override("en"):
        yield


def test_amounts_in_russian_group_digits_and_use_the_decimal_comma(ru):
    assert format_money(Decimal("50000"), "RUB") == f"50{NBSP}000,00{NBSP}RUB"
    assert format_money(Decimal("1000.5"), "RUB") == f"1{NBSP}000,50{NBSP}RUB"
    assert format_money(Decimal("0.000001"), "USDT") == f"0,000001{NBSP}USDT"
    assert format_money(Decimal("1.5"), "BTC") == f"1,50000000{NBSP}BTC"


def test_amounts_in_english(en):
    assert format_money(Decimal("50000"), "RUB") == f"50,000.00{NBSP}RUB"
    assert format_money(Decimal("-1234.5"), "USD") == f"-1,234.50{NBSP}USD"


def test_negative_amounts_use_one_minus_sign(ru):
    text = format_money(Decimal("-1500"), "RUB")
    assert text == f"-1{NBSP}500,00{NBSP}RUB"
    assert "\u2212" not in text


def test_an_extra_decimal_is_shown_not_rounded_away(ru):
    assert format_money(Decimal("10.005"), "RUB") == f"10,005{NBSP}RUB"


def test_quantities_and_prices_keep_only_their_meaningful_decimals(ru):
    assert format_quantity(Decimal("2.00000000")) == "2"
    assert format_quantity(Decimal("0.50000000")) == "0,5"
    assert format_quantity(Decimal("1234.12500000")) == f"1{NBSP}234,125"
    assert format_quantity(Decimal("92.500000000000")) == "92,5"


def test_stored_decimals_show_at_least_the_cents(ru):
    assert field_decimals(Decimal("50000.00000000"), 8) == 2
    assert field_decimals(Decimal("0.12345678"), 8) == 8
    assert format_number(Decimal("50000.00000000"), field_decimals(Decimal("50000.00000000"), 8)) == f"50{NBSP}000,00"


def test_dates_are_never_iso_in_a_sentence(ru):
    assert format_date(dt.date(2025, 12, 31)) == "31.12.2025"
    assert format_date("2025-01-02") == "02.01.2025"


def test_dates_in_english(en):
    assert format_date(dt.date(2025, 12, 31)) == "12/31/2025"


def test_a_day_of_a_month_is_written_with_the_month_in_the_genitive(ru):
    # The admin's date drill-down writes its days so: «7 декабря», not Django's «7 Декабрь».
    assert date_format(dt.date(2026, 12, 7), "MONTH_DAY_FORMAT") == "7 декабря"
    assert date_format(dt.date(2026, 12, 7), "YEAR_MONTH_FORMAT") == "Декабрь 2026 г."  # a month alone: nominative


def test_english_days_of_a_month_keep_djangos_format(en):
    assert date_format(dt.date(2026, 12, 7), "MONTH_DAY_FORMAT") == "December 7"
