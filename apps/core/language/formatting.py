"""Numbers, amounts and dates as a person reads them, in the active language: the one place that writes them
for messages, admin columns, pages and e-mails.

- Amounts: grouped digits and the locale's decimal mark, the currency's decimals (never fewer than the amount
  has: a mistyped extra decimal is shown, not rounded away), the code after a no-break space:
  «1 500,00 RUB», "1,500.00 RUB".
- Quantities, prices per unit and rates: their meaningful decimals only («0,5», not «0,50000000»).
- Dates: the locale's short date («31.12.2025», "12/31/2025"), never ISO in a sentence.
- The minus sign is always the ASCII hyphen-minus, the one the forms and the API accept back ("-1 500,00").

Machine-read outputs (the API, CSV and XLSX cells, journal files) keep plain numbers and ISO dates.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils.formats import date_format, number_format

from apps.core.money.amounts import decimals_of

MINUS = "-"
NO_BREAK_SPACE = "\u00a0"

_PRECISIONS: dict[str, int] = {}


def currency_precision(currency) -> int:
    """The decimals of ``currency`` (a Currency or its code); 2 for a code Kontora does not know."""
    precision = getattr(currency, "precision", None)
    if precision is not None:
        return precision
    code = str(currency)
    if code not in _PRECISIONS:
        from apps.core.money.currencies import CURRENCIES

        _PRECISIONS.update({each[0]: each[2] for each in CURRENCIES})
    return _PRECISIONS.get(code, 2)


def _code(currency) -> str:
    return getattr(currency, "code", None) or str(currency)


def format_number(value, places: int | None = None) -> str:
    """``value`` with grouped digits and the locale's decimal mark, with ``places`` decimals (all it has when
    None)."""
    if value is None:
        return ""
    amount = value if isinstance(value, Decimal) else Decimal(str(value))
    if places is None:
        places = decimals_of(amount)
    text = number_format(amount, decimal_pos=places, use_l10n=True, force_grouping=True)
    return text.replace("\u2212", MINUS)


def format_money(amount, currency=None, *, precision: int | None = None) -> str:
    """An amount in ``currency`` (a Currency or a code): «1 500,00 RUB», «-0,000001 USDT»."""
    if amount is None:
        return ""
    amount = amount if isinstance(amount, Decimal) else Decimal(str(amount))
    places = precision if precision is not None else (currency_precision(currency) if currency else 2)
    text = format_number(amount, max(places, decimals_of(amount)))
    return f"{text}{NO_BREAK_SPACE}{_code(currency)}" if currency else text


def format_quantity(value) -> str:
    """A quantity, a price per unit or a rate with its meaningful decimals only: «2», «0,5», «1 234,125»."""
    if value is None:
        return ""
    return format_number(value if isinstance(value, Decimal) else Decimal(str(value)), None)


def format_date(value) -> str:
    """A business date (or a datetime's date) in the locale's short form: «31.12.2025»."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    if isinstance(value, dt.datetime):
        value = value.date()
    return date_format(value, "SHORT_DATE_FORMAT", use_l10n=True)


def field_decimals(value: Decimal, decimal_places: int) -> int:
    """How many decimals to show of ``value`` stored in a column of ``decimal_places``: its meaningful ones,
    and at least two where the column has them (an amount reads «1 500,00», a quantity «0,5» → «0,50»)."""
    return max(min(2, decimal_places), decimals_of(value))


def install_admin_number_display() -> None:
    """Make the admin show stored decimals (list columns, read-only fields) with their meaningful decimals:
    a NUMERIC(28, 8) column would otherwise read «50 000,00000000»."""
    from django.contrib.admin import helpers, utils
    from django.contrib.admin.templatetags import admin_list
    from django.db import models

    original = utils.display_for_field
    if getattr(original, "kontora", False):
        return

    def display_for_field(value, field, empty_value_display, avoid_link=False):
        if isinstance(field, models.DecimalField) and isinstance(value, Decimal) and not field.flatchoices:
            return format_number(value, field_decimals(value, field.decimal_places))
        return original(value, field, empty_value_display, avoid_link=avoid_link)

    display_for_field.kontora = True
    for module in (utils, helpers, admin_list):
        module.display_for_field = display_for_field
