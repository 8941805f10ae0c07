"""The ledger's periodic tasks, installed by the ledger's migrations (see :mod:`apps.core.operations.beat`), so
that they show (and can be changed) in the admin.

The invoice and recurring-payment tasks run often rather than once a day because organizations live in
different time zones: an invoice becomes overdue, and a recurring payment falls due, at the organization's
local midnight, not UTC's. The crypto check runs every minute: TRON needs about a minute for the 19
confirmations, and each run checks at most 100 of the least recently checked pending transfers.
"""

from __future__ import annotations

from apps.core.operations.beat import PeriodicTaskSpec

OVERDUE_TASK_NAME = "Mark overdue invoices"
OVERDUE = PeriodicTaskSpec(
    name=OVERDUE_TASK_NAME,
    task="apps.ledger.tasks.invoices.invoices_mark_overdue_task",
    minute="5",
    description="Marks issued and partly paid invoices whose due date has passed (in the organization's time "
    "zone) as overdue. One set-based update; running it twice changes nothing more.",
)
RECURRING_TASK_NAME = "Post due recurring payments"
RECURRING = PeriodicTaskSpec(
    name=RECURRING_TASK_NAME,
    task="apps.ledger.tasks.recurring.recurring_payments_post_due_task",
    minute="*/15",
    description="Posts every due occurrence of the recurring payments, each exactly once (idempotency key "
    "recurring:<id>:<date>), catching up after downtime in date order; safe with several workers.",
)
VERIFY_TASK_NAME = "Verify pending crypto transfers"
VERIFY = PeriodicTaskSpec(
    name=VERIFY_TASK_NAME,
    task="apps.ledger.tasks.crypto.crypto_transfers_verify_pending_task",
    minute="*",
    description="Checks the pending TRX and USDT-TRC20 transfers on TronScan and posts each one that "
    "matches its registration and has TRON_MIN_CONFIRMATIONS confirmations (key crypto:<network>:<hash>, "
    "so at most once). When TronScan is unreachable nothing is posted and the next run tries again.",
)

TASKS = (OVERDUE, RECURRING, VERIFY)
