"""Cells of spreadsheet exports (CSV and XLSX), safe to open: every export of every app writes its cells
through :func:`csv_cell` and :func:`xlsx_cell`.

Text a person typed (a description, a counterparty's name, a memo) may begin with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return; a spreadsheet reads such a cell as a formula (``=HYPERLINK(…)`` that leaks data
or runs a command: "CSV injection"). So text is neutralised:

- CSV: text starting with one of those characters gets a leading apostrophe, which spreadsheets take as
  "this is text" (the OWASP recommendation);
- XLSX: text is always written as a string cell, never a formula (openpyxl would store ``=…`` as one).

Numbers stay numbers: a Decimal or int is written as a number (``-1234.50`` in CSV, a numeric cell in XLSX),
so a negative amount is never taken for text.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(text: str) -> str:
    """``text`` as a spreadsheet shows it literally: an apostrophe before a formula's first character."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_cell(value) -> str:
    """One CSV field: numbers as plain decimals, dates in ISO 8601, text neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return safe_text(str(value))


def xlsx_cell(sheet, value, **style):
    """One cell of an openpyxl write-only ``sheet``: numbers and dates as such, anything else as a string
    cell (never a formula), with ``style`` (``font=…``, ``number_format=…``) applied."""
    from openpyxl.cell import WriteOnlyCell

    if value is not None and not isinstance(value, Decimal | int | float | dt.date):
        text = str(value)
        cell = WriteOnlyCell(sheet, value=text)
        cell.data_type = "s"  # openpyxl makes "=…" a formula; a string cell is shown as typed
    else:
        cell = WriteOnlyCell(sheet, value=value)
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell
