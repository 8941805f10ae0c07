"""Celery tasks of core. Thin: each calls one function and is safe to run twice."""

from __future__ import annotations

from celery import shared_task

from apps.core.operations.maintenance import refresh_token_purge_expired

# The name is written out: the periodic task in the database (migration 0004) refers to it.
REFRESH_TOKENS_PURGE_TASK = "apps.core.tasks.refresh_tokens_purge_task"


@shared_task(name=REFRESH_TOKENS_PURGE_TASK)
def refresh_tokens_purge_task() -> int:
    """Delete refresh tokens that expired more than a day ago (daily, see migration 0004)."""
    return refresh_token_purge_expired()


# --- exchange rates -------------------------------------------------------------------------------------

import logging  # noqa: E402
from datetime import date as Date  # noqa: E402

logger = logging.getLogger(__name__)

# The name is written out: the periodic task in the database (migration 0006) refers to it.
FX_RATES_FETCH_TASK = "apps.core.tasks.fx_rates_fetch_task"
FX_RETRY_LIMIT = 8  # with the delays below, the source gets about five hours to come back


def fx_retry_delay(retries: int) -> int:
    """Seconds before retry number ``retries + 1``: 5, 10, 20, 40 minutes, then hourly."""
    return min(3600, 300 * 2**retries)


@shared_task(bind=True, name=FX_RATES_FETCH_TASK, max_retries=FX_RETRY_LIMIT)
def fx_rates_fetch_task(self, date: str | None = None) -> dict:
    """Store the public rates of ``date`` (ISO; default: today in Moscow) from the configured source.

    Daily (see migration 0006). Safe to run twice: a stored rate is not stored again. When fetching is turned
    off it logs that and stops; when the source is unreachable it logs and retries later.
    """
    from apps.core.money.fx import FxRatesNotConfigured, FxRatesUnavailable, fx_rates_fetch, fx_today

    on = Date.fromisoformat(date) if date else fx_today()
    try:
        return fx_rates_fetch(date=on).as_dict()
    except FxRatesNotConfigured as error:
        logger.warning("fx: rates for %s not fetched: %s", on, error)
        return {"skipped": str(error)}
    except FxRatesUnavailable as error:
        logger.warning(
            "fx: rates for %s not fetched (attempt %d of %d): %s",
            on,
            self.request.retries + 1,
            FX_RETRY_LIMIT + 1,
            error,
        )
        # Retried with the date fixed, so a retry after midnight still fetches the day it was meant for.
        raise self.retry(
            kwargs={"date": on.isoformat()}, exc=error, countdown=fx_retry_delay(self.request.retries)
        ) from error


# --- webhook inbox ---------------------------------------------------------------------------------------

# The name is written out: the inbox queues it by name (apps.core.mechanisms.webhooks.PROCESS_TASK).
WEBHOOK_DELIVERY_PROCESS_TASK = "apps.core.tasks.webhook_delivery_process_task"
# The name is written out: the periodic task in the database (migration 0008) refers to it.
WEBHOOK_DELIVERIES_SWEEP_TASK = "apps.core.tasks.webhook_deliveries_sweep_task"


# The database out of reach (refusing connections, restarting): the task comes back after 1, 2, 4 … 60 seconds,
# this many times, rather than leaving the delivery to the sweeper's next round minutes later.
WEBHOOK_UNREACHABLE_RETRIES = 30


def unreachable_retry_delay(retries: int) -> int:
    return min(60, 2**retries)


@shared_task(bind=True, name=WEBHOOK_DELIVERY_PROCESS_TASK, max_retries=None)
def webhook_delivery_process_task(self, delivery_id: int) -> str:
    """Handle one webhook delivery (queued when it is verified). Safe to run twice: a delivery that is not
    waiting to be handled is skipped. A failure is retried with growing waits, as the delivery's row counts;
    the row, not Celery, decides when to stop. A database out of reach, before the row could even be read or
    marked, is retried by the task itself after seconds."""
    from django.db import InterfaceError, OperationalError

    from apps.core.mechanisms.webhooks import webhook_delivery_process

    try:
        outcome = webhook_delivery_process(delivery_id=delivery_id)
    except (OperationalError, InterfaceError) as error:
        if self.request.retries >= WEBHOOK_UNREACHABLE_RETRIES:
            raise  # the sweeper queues it again once the database is back
        logger.warning("webhooks: delivery %s waits for the database: %s", delivery_id, error)
        raise self.retry(
            args=[delivery_id], exc=error, countdown=unreachable_retry_delay(self.request.retries)
        ) from error
    if outcome.retry_in is not None:
        raise self.retry(args=[delivery_id], countdown=outcome.retry_in)
    return outcome.status


@shared_task(name=WEBHOOK_DELIVERIES_SWEEP_TASK)
def webhook_deliveries_sweep_task() -> int:
    """Queue again the webhook deliveries whose handling was lost (every five minutes, see migration 0008)."""
    from apps.core.mechanisms.webhooks import webhook_deliveries_sweep

    return len(webhook_deliveries_sweep())


# --- domain events and notifications (apps.core.mechanisms.events, .notifications) -----------------------

from apps.core.mechanisms import events, notifications  # noqa: E402


@shared_task(name=events.DELIVER_TASK)
def domain_event_deliver_task(event_id: int) -> dict:
    """Deliver one event to the subscriptions that still lack it (queued on commit by ``emit``, again on a
    handler's failure and by the sweeper). Safe to run twice: a delivery done is not done again."""
    return events.domain_event_deliver(event_id)


@shared_task(name=events.SWEEP_TASK)
def domain_events_sweep_task() -> int:
    """Queue again the events some subscription still lacks (every minute, see migration 0009)."""
    return events.domain_events_sweep()


@shared_task(name=notifications.SEND_TASK)
def notification_send_task(notification_id: int) -> str:
    """Send one queued notification (queued on commit by ``notify``, again for a retry and by the sweeper).
    Safe to run twice: only a queued notification is sent, under its row's lock."""
    notification = notifications.notification_send(notification_id)
    return notification.status if notification is not None else "missing"


@shared_task(name=notifications.SWEEP_TASK)
def notifications_sweep_task() -> int:
    """Queue again the notifications due and not sent (every minute, see migration 0009)."""
    return notifications.notifications_sweep()
