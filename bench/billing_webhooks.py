"""Billing's webhook intake and processing, end to end: signed Stripe deliveries over loopback HTTP to the ASGI
app (daphne), handled by a Celery worker; then quota reservations under contention (bench/billing_quota.py).

Each scene has its own organization's Stripe gateway and N × 95 % pending payments (made directly, as the
scene); N signed ``checkout.session.completed`` deliveries, shuffled, of which 5 % are duplicates (one event 50
times, the rest of the duplicates spread over other events); the bench waits for the worker to process every
event. Stripe is answered by the test suite's stub at the HTTP transport (tests/billing/provider_stubs.py)
inside the worker, which asks for each payment's fee right after its event's handling commits.

- The **paced** scene sends at a steady rate (``BILLING_WEBHOOKS_PACED_RATE`` per second, as a provider does:
  it does not wait for our previous answer), so its latency is the answer's own, and its lag shows whether
  processing keeps up: ``webhook_paced_intake_p99_ms`` (from when each delivery was due),
  ``webhook_paced_processed_per_s`` and ``webhook_paced_processing_lag_p99_ms`` (arrival to handled).
- The **saturation** scene sends from ``BILLING_WEBHOOKS_SENDERS`` threads, each the moment its last delivery
  was answered: ``webhook_intake_per_s`` is the capacity of one server process sharing the machine with the
  worker and the senders, and its latency is that of a queue (senders ÷ capacity), not of an answer.

A delivery answered other than 2xx (the database refusing a connection under a loaded machine, say) is sent
again, as Stripe would: ``webhook_retried`` counts them, ``webhook_answered_2xx`` counts the deliveries finally
answered 2xx. ``effects_exactly_once`` is 1 when, in both scenes, every payment succeeded once, with one income
and one fee posting, one domain event, and every duplicate recorded as one; ``quota_reservations_per_s`` /
``quota_overshoot`` (must be 0) come from two processes.

    .venv/bin/python bench/run.py billing_webhooks
    BILLING_WEBHOOKS_COUNT=2000 BILLING_WEBHOOKS_PACED_COUNT=600 BILLING_QUOTA_ATTEMPTS=500 \
        .venv/bin/python bench/run.py billing_webhooks          # a quicker run
"""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

# The worker and the server this bench starts take its tasks from a queue of its own, so that no other worker
# (a developer's) takes them. Set before Django reads the settings.
os.environ["CELERY_TASK_DEFAULT_QUEUE"] = f"kontora-bench-webhooks-{os.getpid()}"
os.environ.setdefault("BILLING_QUOTA_ATTEMPTS", "4000")

from _django import figure, percentile

COUNT = int(os.environ.get("BILLING_WEBHOOKS_COUNT", "10000"))
SENDERS = int(os.environ.get("BILLING_WEBHOOKS_SENDERS", "8"))
# Celery's own default: a worker process per core.
WORKER_CONCURRENCY = int(os.environ.get("BILLING_WEBHOOKS_WORKERS", str(os.cpu_count() or 2)))
# The paced scene: this many deliveries at this steady rate per second (0 deliveries: no paced scene).
PACED_COUNT = int(os.environ.get("BILLING_WEBHOOKS_PACED_COUNT", "10000"))
PACED_RATE = float(os.environ.get("BILLING_WEBHOOKS_PACED_RATE", "20"))
PACED_SENDERS = int(os.environ.get("BILLING_WEBHOOKS_PACED_SENDERS", "16"))
WARM_UP = 40  # deliveries (all different) sent and processed before anything is measured
SECRET = "whsec_KontoraBench000000000000000000000"
ROOT = Path(__file__).resolve().parent.parent
LOGS = Path(tempfile.gettempdir())
AMOUNT_MINOR, FEE_MINOR = 10_000, 320


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def set_up(unique: int):
    from apps.billing.models import GatewayAccount, Payment
    from apps.core.models import Organization

    stamp = int(time.time() * 1000)
    organization = Organization.objects.create(name="Webhook bench", slug=f"webhook-bench-{stamp}")
    gateway = GatewayAccount.objects.create(
        organization=organization,
        provider="stripe",
        name="Stripe bench",
        credentials={"secret_key": "sk_test_KontoraBench0000"},
        webhook_secret=SECRET,
    )
    payments = Payment.objects.bulk_create(
        Payment(
            organization=organization,
            gateway=gateway,
            amount="100.00",
            currency_id="USD",
            provider_payment_id=f"cs_test_bench{stamp}x{n:06d}",
            idempotency_key=f"bench:{stamp}:{n}",
            provider_key=f"bench{stamp}x{n:06d}",
            description="Bench",
        )
        for n in range(unique)
    )
    return organization, gateway, payments


def stripe_stub(payments):
    """The test suite's Stripe stub, knowing every session as paid (with its fee)."""
    from tests.billing.provider_stubs import Providers

    providers = Providers()
    for n, payment in enumerate(payments):
        intent_id = f"pi_3QBench{n:08d}"
        providers.stripe.sessions[payment.provider_payment_id] = {
            "id": payment.provider_payment_id,
            "object": "checkout.session",
            "mode": "payment",
            "amount_total": AMOUNT_MINOR,
            "currency": "usd",
            "livemode": False,
            "metadata": {"kontora_key": payment.provider_key},
            "payment_intent": intent_id,
            "payment_status": "paid",
            "status": "complete",
            "url": None,
        }
        providers.stripe.intents[intent_id] = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": AMOUNT_MINOR,
            "amount_received": AMOUNT_MINOR,
            "currency": "usd",
            "status": "succeeded",
            "metadata": {"kontora_key": payment.provider_key},
            "latest_charge": {
                "id": f"ch_3QBench{n:08d}",
                "object": "charge",
                "balance_transaction": {
                    "id": f"txn_3QBench{n:08d}",
                    "object": "balance_transaction",
                    "fee": FEE_MINOR,
                    "currency": "usd",
                },
            },
        }
    return providers


def start_worker(providers) -> subprocess.Popen | int:
    """A Celery worker forked from this process, with Stripe answered by the stub at the HTTP transport."""
    from django.db import connections

    connections.close_all()
    pid = os.fork()
    if pid == 0:  # the worker
        try:
            from apps.billing.providers import http
            from config.celery import app
            from tests.billing.provider_stubs import RequestsTransport

            http.requests_adapter = RequestsTransport(providers)
            log = open(LOGS / "bench-webhooks-worker.log", "w")  # noqa: SIM115
            os.dup2(log.fileno(), 1)
            os.dup2(log.fileno(), 2)
            app.worker_main(
                [
                    "worker",
                    "-Q",
                    os.environ["CELERY_TASK_DEFAULT_QUEUE"],
                    "-c",
                    str(WORKER_CONCURRENCY),
                    "-l",
                    "WARNING",
                ]
            )
        finally:
            os._exit(0)
    return pid


def start_server(port: int) -> subprocess.Popen:
    log = (LOGS / "bench-webhooks-daphne.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return server
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError(f"daphne did not start (see {LOGS}/bench-webhooks-daphne.log)") from None
            time.sleep(0.2)


def deliveries(payments, count: int) -> list[bytes]:
    """N bodies: one event per payment, one of them 50 times, and the rest of the 5 % duplicates spread."""
    from tests.billing.webhook_payloads import stripe_event

    # Event ids of this run only (the payment's key carries the run's stamp): the inbox takes an event id once
    # per provider, so a run reusing an earlier run's ids would find every delivery a duplicate and wait forever.
    events = [
        stripe_event(
            "checkout.session.completed",
            {
                "id": payment.provider_payment_id,
                "object": "checkout.session",
                "mode": "payment",
                "amount_total": AMOUNT_MINOR,
                "currency": "usd",
                "livemode": False,
                "metadata": {"kontora_key": payment.provider_key},
                "payment_intent": f"pi_3QBench{n:08d}",
                "payment_status": "paid",
                "status": "complete",
            },
            event_id=f"evt_1Q{payment.provider_key}",
        )
        for n, payment in enumerate(payments)
    ]
    duplicates = count - len(events)
    bodies = list(events) + [events[0]] * min(49, duplicates)
    rng = random.Random(7)
    bodies += [rng.choice(events[1:] or events) for _ in range(duplicates - min(49, duplicates))]
    rng.shuffle(bodies)
    return bodies


RETRIES = 5  # a delivery not answered 2xx is sent again, as Stripe does (it retries for days)


def send(
    port: int, endpoint: str, bodies: list[bytes], *, senders: int = SENDERS, rate: float | None = None
) -> tuple[list[float], list[int], float, int]:
    """Send every body, from ``senders`` threads over keep-alive connections. With ``rate``, delivery n is due
    at n / rate seconds (an open loop, as a provider sends: it does not wait for our previous answer) and its
    latency counts from when it was due, so a server that falls behind cannot hide it; without, each sender
    sends its next delivery as soon as the last is answered (the server's capacity)."""
    import logging

    import httpx

    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request would be the bench's own load

    from tests.billing.webhook_payloads import stripe_signature

    url = f"http://127.0.0.1:{port}/billing/webhooks/stripe/{endpoint}/"
    latencies: list[float] = []
    statuses: list[int] = []
    retried = [0]
    lock = threading.Lock()
    queue = list(enumerate(bodies))
    queue.reverse()  # popped from the end: delivery 0 first
    # Each sender makes its client (an SSL context, tens of milliseconds) and connects before the clock starts.
    begin = 0.0

    def start_clock() -> None:
        nonlocal begin
        begin = time.perf_counter()

    ready = threading.Barrier(senders + 1, action=start_clock)

    def sender() -> None:
        with httpx.Client(timeout=30) as client:
            ready.wait()
            while True:
                with lock:
                    if not queue:
                        return
                    n, body = queue.pop()
                headers = {
                    "Content-Type": "application/json",
                    "Stripe-Signature": stripe_signature(body, secret=SECRET),
                }
                if rate is None:
                    started = time.perf_counter()
                else:
                    started = begin + n / rate
                    time.sleep(max(0.0, started - time.perf_counter()))
                response = client.post(url, content=body, headers=headers)
                elapsed = (time.perf_counter() - started) * 1000
                status = response.status_code
                for attempt in range(RETRIES):
                    if 200 <= status < 300:
                        break
                    with lock:
                        retried[0] += 1
                    time.sleep(0.5 * (attempt + 1))
                    headers["Stripe-Signature"] = stripe_signature(body, secret=SECRET)
                    status = client.post(url, content=body, headers=headers).status_code
                with lock:
                    latencies.append(elapsed)
                    statuses.append(status)

    threads = [threading.Thread(target=sender) for _ in range(senders)]
    for thread in threads:
        thread.start()
    ready.wait()
    for thread in threads:
        thread.join()
    return latencies, statuses, time.perf_counter() - begin, retried[0]


STALL_SECONDS = 120  # no event processed for this long: the run fails, saying where the deliveries are


def wait_processed(gateway, unique: int, timeout: float = 1800) -> None:
    """Until every event is processed and every payment's fee, asked of Stripe after the handling commits, is
    known and booked."""
    from django.db.models import Count

    from apps.billing.models import Payment
    from apps.core.models import WebhookDelivery

    rows = WebhookDelivery.objects.filter(source="billing.stripe", endpoint=gateway.endpoint)
    fees = Payment.objects.filter(gateway=gateway, fee__isnull=False)
    deadline = time.monotonic() + timeout
    done, progressed_at = -1, time.monotonic()
    while True:
        now_done = rows.filter(status=WebhookDelivery.Status.PROCESSED).count() + fees.count()
        if now_done >= 2 * unique:
            return
        if now_done > done:
            done, progressed_at = now_done, time.monotonic()
        if time.monotonic() > min(deadline, progressed_at + STALL_SECONDS):
            statuses = dict(rows.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
            raise RuntimeError(
                f"the worker processed {rows.filter(status=WebhookDelivery.Status.PROCESSED).count()} of {unique}"
                f" events and knows {fees.count()} fees; the deliveries by status: {statuses}"
            )
        time.sleep(0.2)


def processing_lags_ms(gateway) -> list[float]:
    """For each processed event: from its first delivery's arrival to the end of its handling."""
    from apps.core.models import WebhookDelivery

    rows = WebhookDelivery.objects.filter(
        source="billing.stripe", endpoint=gateway.endpoint, status=WebhookDelivery.Status.PROCESSED
    ).values_list("received_at", "processed_at")
    return [(processed - received).total_seconds() * 1000 for received, processed in rows]


def exactly_once(organization, gateway, unique: int, duplicates: int) -> bool:
    from apps.billing.models import Payment
    from apps.core.models import DomainEvent, WebhookDelivery
    from apps.ledger.models import Transaction

    Status = WebhookDelivery.Status
    rows = WebhookDelivery.objects.filter(source="billing.stripe", endpoint=gateway.endpoint)
    postings = Transaction.objects.filter(organization=organization)
    checks = {
        "succeeded": Payment.objects.filter(gateway=gateway, status="succeeded", fee__isnull=False).count(),
        "income": postings.filter(idempotency_key__startswith="billing:stripe:payment:").count(),
        "fees": postings.filter(idempotency_key__startswith="billing:stripe:fee:").count(),
        "events": DomainEvent.objects.filter(organization=organization, name="billing.payment_succeeded").count(),
        "processed": rows.filter(status=Status.PROCESSED).count(),
    }
    ok = (
        all(value == unique for value in checks.values()) and rows.filter(status=Status.DUPLICATE).count() == duplicates
    )
    if not ok:
        print(f"# not exactly once: {checks}, duplicates {rows.filter(status=Status.DUPLICATE).count()}", flush=True)
    return ok


def main() -> None:
    # Two scenes, each with its own organization, gateway and events, through one server and one worker.
    unique = max(1, COUNT - COUNT // 20)
    paced_unique = max(1, PACED_COUNT - PACED_COUNT // 20) if PACED_COUNT else 0
    organization, gateway, payments = set_up(unique)
    bodies = deliveries(payments, COUNT)
    if paced_unique:
        paced_organization, paced_gateway, paced_payments = set_up(paced_unique)
        paced_bodies = deliveries(paced_payments, PACED_COUNT)
    _warm_organization, warm_gateway, warm_payments = set_up(WARM_UP)
    warm_bodies = deliveries(warm_payments, WARM_UP)
    worker = start_worker(stripe_stub(payments + warm_payments + (paced_payments if paced_unique else [])))
    port = _free_port()
    server = start_server(port)
    try:
        # Measured warm: the server's and the worker's processes have started, connected and run each path once.
        send(port, warm_gateway.endpoint, warm_bodies, senders=2)
        wait_processed(warm_gateway, WARM_UP)
        if paced_unique:
            # At a steady rate a provider might send at: the answer's latency and the handling's lag there.
            paced_at = time.perf_counter()
            paced = send(port, paced_gateway.endpoint, paced_bodies, senders=PACED_SENDERS, rate=PACED_RATE)
            wait_processed(paced_gateway, paced_unique)
            paced_done = time.perf_counter() - paced_at
        # As fast as the senders can: the capacity, and the latency when the server is the bottleneck.
        sent_at = time.perf_counter()
        latencies, statuses, elapsed, retried = send(port, gateway.endpoint, bodies)
        wait_processed(gateway, unique)
        processed_at = time.perf_counter()
    finally:
        server.terminate()
        server.wait(30)
        os.kill(worker, 15)
        os.waitpid(worker, 0)
    ok = True
    if paced_unique:
        paced_latencies, paced_statuses, paced_elapsed, paced_retried = paced
        lags = processing_lags_ms(paced_gateway)
        figure("webhook_paced_rate_per_s", float(PACED_RATE))
        figure("webhook_paced_deliveries", len(paced_bodies))
        figure("webhook_paced_answered_2xx", sum(1 for status in paced_statuses if 200 <= status < 300))
        figure("webhook_paced_intake_per_s", len(paced_bodies) / paced_elapsed)
        figure("webhook_paced_intake_p50_ms", percentile(paced_latencies, 50))
        figure("webhook_paced_intake_p99_ms", percentile(paced_latencies, 99))
        figure("webhook_paced_processed_per_s", paced_unique / paced_done)
        figure("webhook_paced_processing_lag_p50_ms", percentile(lags, 50))
        figure("webhook_paced_processing_lag_p99_ms", percentile(lags, 99))
        ok = exactly_once(paced_organization, paced_gateway, paced_unique, len(paced_bodies) - paced_unique)
    figure("webhook_deliveries", len(bodies))
    figure("webhook_answered_2xx", sum(1 for status in statuses if 200 <= status < 300))
    figure("webhook_retried", retried + (paced_retried if paced_unique else 0))  # sent again after a non-2xx
    figure("webhook_intake_per_s", len(bodies) / elapsed)
    figure("webhook_intake_p50_ms", percentile(latencies, 50))
    figure("webhook_intake_p99_ms", percentile(latencies, 99))
    figure("webhook_processed_per_s", unique / (processed_at - sent_at))
    ok = exactly_once(organization, gateway, unique, len(bodies) - unique) and ok
    figure("effects_exactly_once", int(ok))

    import billing_quota

    billing_quota.main()


if __name__ == "__main__":
    main()
