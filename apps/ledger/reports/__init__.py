"""Reports of the books. Each is a function of (organization, period, filters, currency) that returns plain
dataclasses with Decimal amounts; the admin, the API and the CSV/XLSX downloads render those.

- profit_and_loss, cash_flow, balance_sheet, trial_balance, account_statement (one module each; shared
  machinery, currency conversion and rounding rules in ``base``);
- journal: the books as a beancount or hledger journal (``manage.py ledger_export``);
- aging: receivables and payables by how long they are overdue.
"""

from .balance_sheet import BalanceSheet, balance_sheet
from .base import MissingRate, ReportFilters, ReportHeader
from .cash_flow import CashFlow, cash_flow
from .profit_and_loss import ProfitAndLoss, profit_and_loss
from .statement import AccountStatement, account_statement
from .trial_balance import TrialBalance, trial_balance

__all__ = [
    "AccountStatement",
    "BalanceSheet",
    "CashFlow",
    "MissingRate",
    "ProfitAndLoss",
    "ReportFilters",
    "ReportHeader",
    "TrialBalance",
    "account_statement",
    "balance_sheet",
    "cash_flow",
    "profit_and_loss",
    "trial_balance",
]
