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

CSV comes in two dialects (:data:`DIALECTS`), chosen in the download (``?dialect=excel-ru|standard``):

- ``excel-ru``: what Excel with Russian regional settings opens as columns: semicolons between fields and a
  decimal comma (``-1234,50``), still without grouping so the cell is a number. The default for a person whose
  interface is in Russian.
- ``standard``: commas and a decimal point, for scripts and every other locale.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class CsvDialect:
    name: str
    delimiter: str
    decimal_mark: str


STANDARD = CsvDialect("standard", ",", ".")
EXCEL_RU = CsvDialect("excel-ru", ";", ",")
DIALECTS = {dialect.name: dialect for dialect in (STANDARD, EXCEL_RU)}
# The dialect a person gets by default, by the language of their interface.
DEFAULT_BY_LANGUAGE = {"ru": EXCEL_RU}


def csv_dialect(name: str | None = None, *, language: str | None = None) -> CsvDialect:
    """The dialect named ``name`` (``excel-ru``, ``standard``), else the default for ``language``; refused
    (ValueError) is a name that is none of them."""
    if name:
        if name not in DIALECTS:
            raise ValueError(name)
        return DIALECTS[name]
    return DEFAULT_BY_LANGUAGE.get((language or "").split("-")[0], STANDARD)


def csv_writer(file, dialect: CsvDialect = STANDARD):
    """A ``csv.writer`` on ``file`` separating fields as ``dialect`` does."""
    return csv.writer(file, delimiter=dialect.delimiter)


def safe_text(text: str) -> str:
    """``text`` as a spreadsheet shows it literally: an apostrophe before a formula's first character."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_cell(value, dialect: CsvDialect = STANDARD) -> str:
    """One CSV field: numbers as plain decimals with the dialect's decimal mark and no grouping (so they stay
    numbers), dates in ISO 8601, text neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f").replace(".", dialect.decimal_mark)
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
