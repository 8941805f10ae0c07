"""Core's periodic tasks, installed by core's migrations 0004, 0006, 0008 and 0009
(see :mod:`apps.core.operations.beat`)."""

from __future__ import annotations

from apps.core.operations.beat import PeriodicTaskSpec

PURGE_TASK_NAME = "Purge expired API refresh tokens"
PURGE = PeriodicTaskSpec(
    name=PURGE_TASK_NAME,
    task="apps.core.tasks.refresh_tokens_purge_task",
    minute="15",
    hour="3",
    description="Deletes API refresh tokens that expired more than a day ago (whole login families only, so that "
    "reuse of a stolen token is still detected while its family lives).",
)

# The Central Bank of Russia sets each day's rates on the previous working day, so by 12:30 Moscow time
# (09:30 UTC; Moscow keeps no daylight saving time) today's rates are there for certain. Should the source be
# unreachable, the task retries by itself for a few hours.
FX_TASK_NAME = "Fetch the public exchange rates"
FX_FETCH = PeriodicTaskSpec(
    name=FX_TASK_NAME,
    task="apps.core.tasks.fx_rates_fetch_task",
    minute="30",
    hour="9",
    description="Stores today's public exchange rates (the Central Bank of Russia's fixing, or the "
    "source in FX_RATES_SOURCE) for the currencies Kontora knows. Runs at 12:30 Moscow time; a rate "
    "already stored is not stored again; an unreachable source is retried for a few hours.",
)

# A delivery is queued for handling when it is stored; this catches the ones whose task was lost (a worker or
# the broker died between the commit and the run) and retries whose message was lost.
WEBHOOK_SWEEP_TASK_NAME = "Hand over webhook deliveries that were never handled"
WEBHOOK_SWEEP = PeriodicTaskSpec(
    name=WEBHOOK_SWEEP_TASK_NAME,
    task="apps.core.tasks.webhook_deliveries_sweep_task",
    minute="*/5",
    description="Queues again the verified webhook deliveries that have waited more than a few minutes, the "
    "retries that are overdue and the handlings that were interrupted. Handlers are idempotent, so a delivery "
    "queued twice still has one effect.",
)
# Domain events and notifications are queued on commit; these sweepers queue again what a process that died
# after the commit left behind (see apps.core.mechanisms.events and .notifications). Every minute: each run
# reads one partial index and queues only what is owed.
EVENTS_SWEEP_TASK_NAME = "Deliver domain events left behind"
EVENTS_SWEEP = PeriodicTaskSpec(
    name=EVENTS_SWEEP_TASK_NAME,
    task="apps.core.tasks.domain_events_sweep_task",
    minute="*",
    description="Queues again the delivery of each domain event older than a minute that a subscription has "
    "not received yet (its on-commit dispatch was lost, or it waits for its turn or its retry).",
)
NOTIFICATIONS_SWEEP_TASK_NAME = "Send notifications left behind"
NOTIFICATIONS_SWEEP = PeriodicTaskSpec(
    name=NOTIFICATIONS_SWEEP_TASK_NAME,
    task="apps.core.tasks.notifications_sweep_task",
    minute="*",
    description="Queues again each notification older than a minute that is still queued and due (its "
    "on-commit dispatch was lost, or its retry time has come).",
)
