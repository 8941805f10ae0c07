"""Use cases that write to the books. Each area has its module; import from here.

- posting: every posting goes through ``transaction_post`` / ``transactions_post_batch`` (the database
  function ``ledger_post_many`` enforces the rules); income, expense, transfer, reversal, period lock.
- invoices, recurring: invoices and their payments, recurring payments.
- crypto: TRX / USDT-TRC20 transfers verified on the network before they post.
"""

from .books import account_on_first_use
from .invoices import (
    invoice_create,
    invoice_delete,
    invoice_issue,
    invoice_payment_record,
    invoice_payment_reverse,
    invoice_recalculate,
    invoice_update,
    invoice_void,
    invoices_mark_overdue,
)
from .posting import (
    BATCH_LIMIT,
    POSTABLE_KINDS,
    Leg,
    Posting,
    exchange_account_for,
    expense_post,
    income_post,
    period_lock,
    reversal_refusal,
    transaction_post,
    transaction_reverse,
    transactions_post_batch,
    transfer_post,
)
from .recurring import (
    recurring_payment_create,
    recurring_payment_delete,
    recurring_payment_pause,
    recurring_payment_post_due,
    recurring_payment_resume,
    recurring_payment_update,
    recurring_payments_post_due,
)

__all__ = [
    "account_on_first_use",
    "BATCH_LIMIT",
    "POSTABLE_KINDS",
    "Leg",
    "Posting",
    "exchange_account_for",
    "expense_post",
    "income_post",
    "period_lock",
    "reversal_refusal",
    "transaction_post",
    "transaction_reverse",
    "transactions_post_batch",
    "transfer_post",
    "invoice_create",
    "invoice_delete",
    "invoice_issue",
    "invoice_payment_record",
    "invoice_payment_reverse",
    "invoice_recalculate",
    "invoice_update",
    "invoice_void",
    "invoices_mark_overdue",
    "recurring_payment_create",
    "recurring_payment_pause",
    "recurring_payment_post_due",
    "recurring_payment_resume",
    "recurring_payment_update",
    "recurring_payments_post_due",
    "recurring_payment_delete",
]

# --- crypto transfers (TRX and USDT-TRC20 on TRON) -----------------------------------------------------------

from .crypto import (
    crypto_transfer_delete,
    crypto_transfer_register,
    crypto_transfer_validate,
    crypto_transfer_verify,
    crypto_transfers_verify_pending,
)

__all__ += [
    "crypto_transfer_delete",
    "crypto_transfer_register",
    "crypto_transfer_validate",
    "crypto_transfer_verify",
    "crypto_transfers_verify_pending",
]
