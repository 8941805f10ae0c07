"""Billing's periodic tasks, installed by billing's migration 0004 (see :mod:`apps.core.operations.beat`), so that
they show (and can be changed, paused or run now) in the admin under "Periodic tasks".

The sweeper runs every five minutes: a payment is re-checked once it has waited longer than its window
(``apps.billing.services.sweeper.SYNC_AFTER``), so a lost webhook costs minutes, not a day. Subscriptions are
looked at every ten minutes: renewals fall due at each subscription's own period end, not at midnight.
"""

from __future__ import annotations

from apps.core.operations.beat import PeriodicTaskSpec

SWEEP_TASK_NAME = "Re-check unsettled payments and flag payments to refund"
SWEEP = PeriodicTaskSpec(
    name=SWEEP_TASK_NAME,
    task="apps.billing.tasks.payments_sweep_task",
    minute="*/5",
    description="Asks the provider about each payment still pending or held longer than its window and applies "
    "the answer (as a webhook would); flags paid payments whose purpose is gone or cancelled (a voided invoice) "
    "for a person to refund. Nothing is refunded automatically; running it twice changes nothing more.",
)
SUBSCRIPTIONS_TASK_NAME = "Renew subscriptions, run dunning and expire unpaid ones"
SUBSCRIPTIONS = PeriodicTaskSpec(
    name=SUBSCRIPTIONS_TASK_NAME,
    task="apps.billing.tasks.subscriptions_renew_due_task",
    minute="*/10",
    description="Applies downgrades and cancels due at a period end; charges the saved payment method of each "
    "YooKassa and T-Bank subscription due for renewal (once per period and attempt, even with several "
    "workers), retrying failed renewals on the dunning schedule with an e-mail each time; moves subscriptions "
    "whose grace period is over to the free plan, once. Stripe renews its subscriptions itself.",
)

TASKS = (SWEEP, SUBSCRIPTIONS)
