"""Use cases that write to the books. Each area has its module; import from here.

- posting: every posting goes through ``transaction_post`` / ``transactions_post_batch`` (the database
  function ``ledger_post_many`` enforces the rules); income, expense, transfer, reversal, period lock.
- invoices, recurring: invoices and their payments, recurring payments.
- crypto: TRX / USDT-TRC20 transfers verified on the network before they post.
"""

from .posting import (
    BATCH_LIMIT,
    Leg,
    Posting,
    exchange_account_for,
    expense_post,
    income_post,
    period_lock,
    transaction_post,
    transaction_reverse,
    transactions_post_batch,
    transfer_post,
)

__all__ = [
    "BATCH_LIMIT",
    "Leg",
    "Posting",
    "exchange_account_for",
    "expense_post",
    "income_post",
    "period_lock",
    "transaction_post",
    "transaction_reverse",
    "transactions_post_batch",
    "transfer_post",
]
