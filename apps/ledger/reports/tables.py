"""A report as a flat table (a header row and typed cells): what the CSV and XLSX downloads write."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

TEXT, MONEY, AMOUNT, DATE, NUMBER = "text", "money", "amount", "date", "number"


@dataclass(frozen=True)
class Column:
    label: str
    # TEXT; MONEY: a Decimal in the report currency; AMOUNT: a Decimal in a currency that varies by row (an
    # account's own), shown as it is; DATE; NUMBER: an integer.
    kind: str = TEXT
    precision: int | None = None  # MONEY in another precision than the table's (a statement's own currency)


@dataclass
class Table:
    """``rows`` may be any iterable (a statement streams its rows from a server-side cursor)."""

    title: str
    columns: list[Column]
    rows: Iterable[list]
    precision: int = 2  # of the MONEY cells
    notes: list[str] = field(default_factory=list)  # lines above the header: organization, period, filters
    filename: str = "report"
