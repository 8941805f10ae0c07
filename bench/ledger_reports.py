"""Speed of the ledger reports over one organization with 1,000,000 entries (the ``bench-pnl-<entries>`` books
that ledger_posting.py builds: a cash account against 20 income and expense accounts over a year, in RUB);
``pnl_entries`` prints how many entries the books really hold.

Each figure is the median of 5 calls of the report function, from the call to the dataclasses it returns:
the P&L (one column, by month, by category), the balance sheet, the trial balance, the cash flow, a page of
the cash account's statement (500,000 entries; the last month, and the whole year), and, with
LEDGER_BENCH_EXPORT=1, the beancount export of all of it.

    .venv/bin/python bench/run.py ledger_reports
"""

from __future__ import annotations

import io
import os
import time
from datetime import date, timedelta

from _django import figure, median

PNL_ENTRIES = int(os.environ.get("LEDGER_BENCH_PNL_ENTRIES", "1000000"))
START = date(2026, 1, 1)
END = START + timedelta(days=365)


def organization():
    """The bench-pnl organization, built as ledger_posting.py builds it when it is not there yet."""
    import ledger_posting

    from apps.core.models import Organization
    from apps.ledger.models import Account

    existing = Organization.objects.filter(slug=ledger_posting.PNL_SLUG).first()
    if existing is None:
        ledger_posting.pnl_ms()
        existing = Organization.objects.get(slug=ledger_posting.PNL_SLUG)
    # The cash flow reads cash accounts only; mark the bench's cash account as one (a setting, not a posting).
    Account.objects.filter(organization=existing, code="1000").update(purpose=Account.Purpose.CASH)
    return existing


def timed(call, repeat: int = 5) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return median(samples)


def main() -> None:
    from apps.ledger.models import Account, TransactionEntry
    from apps.ledger.reports import (
        account_statement,
        balance_sheet,
        cash_flow,
        profit_and_loss,
        trial_balance,
    )

    org = organization()
    cash = Account.objects.get(organization=org, code="1000")
    figures = {
        "pnl_entries": TransactionEntry.objects.filter(organization=org).count(),
        "pnl_1m_entries_ms": timed(lambda: profit_and_loss(organization=org, date_from=START, date_to=END)),
        "pnl_by_month_ms": timed(
            lambda: profit_and_loss(organization=org, date_from=START, date_to=END, period="month")
        ),
        "pnl_by_category_ms": timed(
            lambda: profit_and_loss(organization=org, date_from=START, date_to=END, group_by="category")
        ),
        "balance_sheet_ms": timed(lambda: balance_sheet(organization=org, date_to=END)),
        "trial_balance_ms": timed(lambda: trial_balance(organization=org, date_from=START, date_to=END)),
        "cash_flow_ms": timed(lambda: cash_flow(organization=org, date_from=START, date_to=END)),
        "statement_last_month_page_ms": timed(
            lambda: account_statement(
                organization=org, account=cash, date_from=END - timedelta(days=30), date_to=END
            ).rows[0:100]
        ),
        "statement_year_page_ms": timed(
            lambda: account_statement(organization=org, account=cash, date_from=START, date_to=END).rows[0:100]
        ),
    }
    if os.environ.get("LEDGER_BENCH_EXPORT") == "1":
        from apps.ledger.reports.journal import journal_export

        started = time.perf_counter()
        summary = journal_export(organization=org, fmt="beancount", out=io.StringIO())
        figures["export_postings_per_s"] = summary.postings / (time.perf_counter() - started)
    for name, value in figures.items():
        figure(name, value)


if __name__ == "__main__":
    main()
