"""Posting speed of the ledger against hand-written SQL, balance reads, the P&L, and batch posting.

The same workload (10,000 two-leg postings over 100 accounts, amounts and pairs from a fixed seed) runs:
- through the project's posting service (``transaction_post``), in 1 and in 2 processes;
- through plain psycopg, one database transaction per posting with five statements (insert the
  transaction, its two legs, update the two balances) on bare tables without triggers, in 1 and 2 processes;
each three times, interleaved, reporting medians; then every stored balance is checked against its entries
(the service's and the last baseline's). The one-process runs also report the CPU a posting costs in the
worker and in its database backend (``*_client_cpu_us``, ``*_server_cpu_us``; the latter only when the
database runs on this machine): the wall-clock ratio depends on how the machine prices CPU against round trips.
Balance reads are timed on accounts with 1,000 and 100,000 entries, the P&L over 1,000,000 entries, and
the batch posting service on 50,000 postings.

    make bench            # or: .venv/bin/python bench/run.py ledger_posting
    LEDGER_BENCH_POSTINGS=2000 .venv/bin/python bench/run.py ledger_posting   # a quicker run
"""

from __future__ import annotations

import multiprocessing as mp
import os
import random
import time
from datetime import date, timedelta
from decimal import Decimal

from _django import figure, median
from django.conf import settings
from django.db import connection, connections

POSTINGS = int(os.environ.get("LEDGER_BENCH_POSTINGS", "10000"))
ACCOUNTS = 100
BIG_ACCOUNT_ENTRIES = int(os.environ.get("LEDGER_BENCH_BIG_ACCOUNT", "100000"))
PNL_ENTRIES = int(os.environ.get("LEDGER_BENCH_PNL_ENTRIES", "1000000"))
BATCH_POSTINGS = int(os.environ.get("LEDGER_BENCH_BATCH", "50000"))
BATCH_SIZE = 5000
# The P&L books, one organization per size: a quick run's smaller books are never taken for the full ones.
PNL_SLUG = f"bench-pnl-{PNL_ENTRIES}"
ROUNDS = int(os.environ.get("LEDGER_BENCH_ROUNDS", "3"))
START = date(2026, 1, 1)


def workload(seed: int, count: int) -> list[tuple[int, int, Decimal, date]]:
    """``count`` postings as (debit account index, credit account index, amount, date)."""
    rng = random.Random(seed)
    out = []
    for n in range(count):
        debit, credit = rng.sample(range(ACCOUNTS), 2)
        out.append((debit, credit, Decimal(rng.randint(1, 10_000_000)) / 100, START + timedelta(days=n % 300)))
    return out


# --- set-up ------------------------------------------------------------------------------------------------


def fresh_organization(slug: str):
    from apps.core.models import Organization
    from apps.ledger.models import Account, AccountType

    # Each run gets its own organization (posted books are never deleted, and that is the point).
    organization = Organization.objects.create(name=slug, slug=f"{slug}-{int(time.time() * 1000)}")
    accounts = Account.objects.bulk_create(
        [
            Account(
                organization=organization,
                code=f"{n:04d}",
                name=f"Account {n}",
                type=AccountType.ASSET,
                currency_id="RUB",
            )
            for n in range(ACCOUNTS)
        ]
    )
    # bulk_create skips nothing at the database: the insert trigger creates the balance rows.
    return organization, [a.pk for a in accounts]


def baseline_tables() -> None:
    from apps.core.operations.database_roles import application_role_grant, as_owner

    # Made by the schema's owner; the baseline's workers write them as the application's role, as the service's do.
    with as_owner():
        _baseline_tables_create()
        application_role_grant()


def _baseline_tables_create() -> None:
    with connection.cursor() as cursor:
        cursor.execute("""
            DROP TABLE IF EXISTS bench_entry, bench_balance, bench_transaction;
            CREATE TABLE bench_transaction (id bigserial PRIMARY KEY, organization_id bigint NOT NULL,
                date date NOT NULL, description text NOT NULL, idempotency_key text NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now(), UNIQUE (organization_id, idempotency_key));
            CREATE TABLE bench_balance (account_id bigint PRIMARY KEY, balance numeric(28, 8) NOT NULL DEFAULT 0);
            CREATE TABLE bench_entry (id bigserial PRIMARY KEY,
                transaction_id bigint NOT NULL REFERENCES bench_transaction (id),
                account_id bigint NOT NULL REFERENCES bench_balance (account_id), amount numeric(28, 8) NOT NULL);
            CREATE INDEX ON bench_entry (account_id);
            INSERT INTO bench_balance (account_id) SELECT g FROM generate_series(0, 99) g;
        """)


# --- workers (each in its own process) -----------------------------------------------------------------

_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int | None = None) -> float | None:
    """CPU time (user and system) of this process, or of process ``pid`` (a database backend); None when that
    process is not on this machine (a database server elsewhere)."""
    if pid is None:
        times = os.times()
        return times.user + times.system
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _TICKS


class _CpuMeter:
    """The CPU a worker and its database backend spend between start and stop, reported to the parent."""

    def __init__(self, report, backend_pid: int) -> None:
        self.report, self.backend_pid = report, backend_pid

    def start(self) -> None:
        self.client, self.server = _cpu_seconds(), _cpu_seconds(self.backend_pid)

    def stop(self) -> None:
        server = _cpu_seconds(self.backend_pid)
        self.report.put((_cpu_seconds() - self.client, None if server is None else server - self.server))


def service_worker(args) -> None:
    organization_id, account_ids, seed, count, report, start_at = args
    import django

    django.setup()
    from apps.ledger.services import Leg, transaction_post

    work = workload(seed, count)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        meter = _CpuMeter(report, cursor.fetchone()[0])
    while time.time() < start_at:
        time.sleep(0.001)
    meter.start()
    for n, (debit, credit, amount, when) in enumerate(work):
        transaction_post(
            organization=organization_id,
            user=None,
            date=when,
            idempotency_key=f"s{seed}-{n}",
            entries=[Leg(account_ids[debit], amount), Leg(account_ids[credit], -amount)],
        )
    meter.stop()
    connections.close_all()


def psycopg_worker(args) -> None:
    seed, count, report, start_at = args
    import psycopg

    db = settings.DATABASES["default"]
    work = workload(seed, count)
    with psycopg.connect(
        dbname=db["NAME"], user=db["USER"], host=db["HOST"], port=db["PORT"], password=db.get("PASSWORD") or None
    ) as conn:
        meter = _CpuMeter(report, conn.info.backend_pid)
        while time.time() < start_at:
            time.sleep(0.001)
        meter.start()
        for n, (debit, credit, amount, when) in enumerate(work):
            with conn.transaction(), conn.cursor() as cur:
                cur.execute(
                    "INSERT INTO bench_transaction (organization_id, date, description, idempotency_key)"
                    " VALUES (1, %s, '', %s) RETURNING id",
                    [when, f"p{seed}-{n}"],
                )
                tx = cur.fetchone()[0]
                cur.execute(
                    "INSERT INTO bench_entry (transaction_id, account_id, amount) VALUES (%s, %s, %s)",
                    [tx, debit, amount],
                )
                cur.execute(
                    "INSERT INTO bench_entry (transaction_id, account_id, amount) VALUES (%s, %s, %s)",
                    [tx, credit, -amount],
                )
                # Balances in account order, as the service does, so the baseline does not deadlock either.
                for account, delta in sorted([(debit, amount), (credit, -amount)]):
                    cur.execute(
                        "UPDATE bench_balance SET balance = balance + %s WHERE account_id = %s", [delta, account]
                    )
        meter.stop()


def timed_processes(target, per_process_args: list) -> tuple[float, float, float | None]:
    """Runs one worker process per argument tuple, all starting together; returns the seconds they took and the
    CPU seconds their processes and their database backends spent (None when the database is elsewhere)."""
    ctx = mp.get_context("fork")
    connections.close_all()
    report = ctx.Queue()
    start_at = time.time() + 1.5
    processes = [ctx.Process(target=target, args=((*args, report, start_at),)) for args in per_process_args]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
        assert process.exitcode == 0, f"a bench worker failed ({process.exitcode})"
    elapsed = time.time() - start_at
    # Read once every worker has ended (a failed one has stopped the bench above instead of leaving this
    # waiting); a report is a pair of numbers, which a worker's exit never waits on.
    cpu = [report.get(timeout=10) for _ in processes]
    servers = [server for _client, server in cpu]
    return elapsed, sum(client for client, _server in cpu), None if None in servers else sum(servers)


# --- measurements ---------------------------------------------------------------------------------------


def posting_rates() -> tuple[dict, list[int]]:
    """Medians of ROUNDS rounds; each round runs the four variants one after the other, so that a slow
    moment of the machine falls on all of them rather than on one."""
    samples: dict[str, list[float]] = {}
    organization_ids = []
    half = POSTINGS // 2
    for round_number in range(ROUNDS):
        organization, accounts = fresh_organization(f"bench-1proc-{round_number}")
        organization_ids.append(organization.pk)
        elapsed, client, server = timed_processes(
            service_worker, [(organization.pk, accounts, 10 + round_number, POSTINGS)]
        )
        samples.setdefault("postings_per_s_1proc", []).append(POSTINGS / elapsed)
        _cpu_samples(samples, "service", client, server)

        baseline_tables()
        elapsed, client, server = timed_processes(psycopg_worker, [(10 + round_number, POSTINGS)])
        samples.setdefault("psycopg_postings_per_s_1proc", []).append(POSTINGS / elapsed)
        _cpu_samples(samples, "psycopg", client, server)

        organization, accounts = fresh_organization(f"bench-2proc-{round_number}")
        organization_ids.append(organization.pk)
        per_process = [
            (organization.pk, accounts, 20 + round_number, half),
            (organization.pk, accounts, 30 + round_number, half),
        ]
        elapsed, _client, _server = timed_processes(service_worker, per_process)
        samples.setdefault("postings_per_s_2proc", []).append(2 * half / elapsed)

        baseline_tables()
        elapsed, _client, _server = timed_processes(
            psycopg_worker, [(20 + round_number, half), (30 + round_number, half)]
        )
        samples.setdefault("psycopg_postings_per_s_2proc", []).append(2 * half / elapsed)
    figures = {name: median(values) for name, values in samples.items()}
    figures["ratio_1proc"] = figures["postings_per_s_1proc"] / figures["psycopg_postings_per_s_1proc"]
    figures["ratio_2proc"] = figures["postings_per_s_2proc"] / figures["psycopg_postings_per_s_2proc"]
    return figures, organization_ids


def _cpu_samples(samples: dict, variant: str, client: float, server: float | None) -> None:
    """Microseconds of CPU per posting in the worker (Python and the driver) and in its database backend: where
    a posting's time goes on this machine, beside the wall-clock rates that depend on how the two add up."""
    samples.setdefault(f"{variant}_client_cpu_us", []).append(client / POSTINGS * 1e6)
    if server is not None:
        samples.setdefault(f"{variant}_server_cpu_us", []).append(server / POSTINGS * 1e6)


def balances_exact(organization_ids: list[int]) -> bool:
    from apps.ledger.selectors import books_verify

    problems = [p for org in organization_ids for p in books_verify(organization_id=org)]
    with connection.cursor() as cursor:
        cursor.execute("""SELECT count(*) FROM bench_balance b LEFT JOIN (SELECT account_id, sum(amount) s
                          FROM bench_entry GROUP BY account_id) e USING (account_id)
                          WHERE b.balance <> coalesce(e.s, 0)""")
        baseline_off = cursor.fetchone()[0]
    for problem in problems[:10]:
        print(problem)
    return not problems and baseline_off == 0


def grow(organization_id: int, debit: int, credits: list[int], count: int, prefix: str) -> float:
    """Post ``count`` postings debiting one account, in batches; returns postings per second."""
    from apps.ledger.services import Leg, Posting, transactions_post_batch

    rng = random.Random(prefix)
    started = time.perf_counter()
    for offset in range(0, count, BATCH_SIZE):
        postings = []
        for n in range(offset, min(offset + BATCH_SIZE, count)):
            amount = Decimal(rng.randint(1, 100_000)) / 100
            postings.append(
                Posting(
                    date=START + timedelta(days=n % 365),
                    idempotency_key=f"{prefix}-{n}",
                    entries=[Leg(debit, amount), Leg(credits[n % len(credits)], -amount)],
                )
            )
        transactions_post_batch(organization=organization_id, user=None, postings=postings)
    return count / (time.perf_counter() - started)


def balance_read_p50_ms(account_id: int) -> float:
    from apps.ledger.selectors import account_balance

    samples = []
    for _ in range(500):
        started = time.perf_counter()
        account_balance(account_id=account_id)
        samples.append((time.perf_counter() - started) * 1000)
    return median(samples)


def round_trip_us() -> float:
    """The median of a ``SELECT 1`` round trip inside a transaction, in microseconds: the machine's latency,
    printed beside the rates it bears on (one round trip per posting for the service, seven for the baseline)."""
    import psycopg

    db = settings.DATABASES["default"]
    with psycopg.connect(
        dbname=db["NAME"], user=db["USER"], host=db["HOST"], port=db["PORT"], password=db.get("PASSWORD") or None
    ) as conn:
        samples = []
        for _ in range(2000):
            started = time.perf_counter()
            conn.execute("SELECT 1")
            samples.append((time.perf_counter() - started) * 1e6)
    return median(samples[200:])


def main() -> None:
    figures, organization_ids = posting_rates()
    figures["round_trip_us"] = round_trip_us()

    organization, accounts = fresh_organization("bench-reads")
    grow(organization.pk, accounts[0], accounts[2:], 1000, "small")
    figures["batch_postings_per_s"] = grow(
        organization.pk, accounts[1], accounts[2:], min(BATCH_POSTINGS, BIG_ACCOUNT_ENTRIES), "big"
    )
    if BIG_ACCOUNT_ENTRIES > BATCH_POSTINGS:
        grow(organization.pk, accounts[1], accounts[2:], BIG_ACCOUNT_ENTRIES - BATCH_POSTINGS, "big2")
    figures["balance_read_p50_ms_1k"] = balance_read_p50_ms(accounts[0])
    figures["balance_read_p50_ms_100k"] = balance_read_p50_ms(accounts[1])
    organization_ids.append(organization.pk)

    figures["pnl_1m_entries_ms"] = pnl_ms()
    figures["balances_exact"] = 1 if balances_exact(organization_ids) else 0
    for name in [
        "postings_per_s_1proc",
        "postings_per_s_2proc",
        "psycopg_postings_per_s_1proc",
        "psycopg_postings_per_s_2proc",
        "ratio_1proc",
        "ratio_2proc",
        "round_trip_us",
        "service_client_cpu_us",
        "service_server_cpu_us",
        "psycopg_client_cpu_us",
        "psycopg_server_cpu_us",
        "balance_read_p50_ms_1k",
        "balance_read_p50_ms_100k",
        "pnl_1m_entries_ms",
        "batch_postings_per_s",
        "balances_exact",
    ]:
        if name in figures:  # the backends' CPU is known only when the database runs on this machine
            figure(name, figures[name])


def pnl_ms() -> float:
    """The P&L over an organization with PNL_ENTRIES entries (built once, reused by later runs)."""
    from apps.core.models import Organization
    from apps.ledger.models import Account, AccountType
    from apps.ledger.reports import profit_and_loss

    organization = Organization.objects.filter(slug=PNL_SLUG).first()
    if organization is None:
        organization = Organization.objects.create(name=PNL_SLUG, slug=PNL_SLUG)
        cash = Account.objects.create(
            organization=organization, code="1000", name="Cash", type=AccountType.ASSET, currency_id="RUB"
        )
        pnl_accounts = [
            Account.objects.create(
                organization=organization,
                code=f"{4000 + n}",
                name=f"P&L {n}",
                type=AccountType.INCOME if n % 2 else AccountType.EXPENSE,
                currency_id="RUB",
            )
            for n in range(20)
        ]
        grow(organization.pk, cash.pk, [a.pk for a in pnl_accounts], PNL_ENTRIES // 2, "pnl")
    samples = []
    for _ in range(5):
        started = time.perf_counter()
        profit_and_loss(organization=organization, date_from=START, date_to=START + timedelta(days=365))
        samples.append((time.perf_counter() - started) * 1000)
    return median(samples)


if __name__ == "__main__":
    main()
