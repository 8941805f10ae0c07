"""Posting without scans: one posting costs the same however many accounts and transactions the books hold.

The posting function's generic plan (it is planned once per session) guessed a hundred legs for any JSON and
so hashed the whole chart of accounts, and found new transactions through the organization's date index:
every posting scanned every account, and its organization's transactions. Now every lookup is a nested
lookup by key (``OFFSET 0`` keeps the planner from turning it into a join), and new transactions are matched
to their legs by the keys the insert returned.

The up-front validation query is gone from the posting path: the tables' own rules refuse a bad leg (a leg
on an account that is not an open account of the organization gets no account and fails NOT NULL; zero,
precision and balance as before), and an unbalanced posting is refused at once from the rows just inserted.
``ledger_post_diagnose`` runs the former validation only when a posting was refused, so that the error still
names the posting and leg at fault.
"""

from django.db import migrations

from ._sql import earlier_function

SQL = r"""
-- The problems of a posting (or a batch), found leg by leg: the first one raised with the posting and leg at
-- fault. Posting does not run this: the rules hold in the database anyway (keys, checks, triggers); the
-- service asks this function where a refused posting went wrong, to name the field.
CREATE FUNCTION ledger_post_diagnose(p_organization bigint, p_postings jsonb) RETURNS void
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_bad record;
BEGIN
  SELECT min(p.n) - 1 AS posting, p.v->>'key' AS key INTO v_bad
    FROM jsonb_array_elements(p_postings) WITH ORDINALITY AS p(v, n)
   GROUP BY p.v->>'key' HAVING count(*) > 1 LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'ledger_batch_duplicate_key',
      MESSAGE = format('posting %s: the idempotency key %s appears more than once in this batch',
                       v_bad.posting, v_bad.key),
      DETAIL = json_build_object('posting', v_bad.posting, 'key', v_bad.key)::text;
  END IF;

  WITH legs AS (
    SELECT p.n - 1 AS posting, l.n - 1 AS leg, l.v->>'account' AS given, a.id AS account, a.organization_id,
           a.is_active, a.currency_id, c.precision, (l.v->>'amount')::numeric AS amount
      FROM jsonb_array_elements(p_postings) WITH ORDINALITY AS p(v, n)
     CROSS JOIN jsonb_array_elements(p.v->'legs') WITH ORDINALITY AS l(v, n)
      LEFT JOIN LATERAL (SELECT * FROM ledger_account WHERE id = (l.v->>'account')::bigint OFFSET 0) a ON true
      LEFT JOIN LATERAL (SELECT * FROM core_currency WHERE code = a.currency_id OFFSET 0) c ON true
  ), problems AS (
    SELECT posting, leg, given, account, currency_id, precision, amount,
           CASE WHEN account IS NULL OR organization_id <> p_organization THEN 'ledger_leg_account_unknown'
                WHEN NOT is_active THEN 'ledger_leg_account_inactive'
                WHEN amount IS NULL OR amount = 0 THEN 'ledger_leg_amount_zero'
                WHEN amount <> round(amount, precision) THEN 'ledger_entry_precision' END AS rule
      FROM legs
    UNION ALL
    SELECT posting, NULL, NULL, NULL, currency_id, NULL, sum(amount), 'ledger_transaction_balanced'
      FROM legs WHERE currency_id IS NOT NULL GROUP BY posting, currency_id HAVING sum(amount) <> 0
  )
  SELECT * INTO v_bad FROM problems WHERE rule IS NOT NULL
   ORDER BY posting, rule = 'ledger_transaction_balanced', leg LIMIT 1;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  IF v_bad.rule = 'ledger_leg_account_unknown' THEN
    RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = v_bad.rule,
      MESSAGE = format('posting %s, leg %s: account %s does not exist in this organization',
                       v_bad.posting, v_bad.leg, v_bad.given),
      DETAIL = json_build_object('posting', v_bad.posting, 'leg', v_bad.leg, 'account', v_bad.given)::text;
  ELSIF v_bad.rule = 'ledger_leg_account_inactive' THEN
    RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = v_bad.rule,
      MESSAGE = format('posting %s, leg %s: account %s is closed', v_bad.posting, v_bad.leg, v_bad.account),
      DETAIL = json_build_object('posting', v_bad.posting, 'leg', v_bad.leg, 'account', v_bad.account)::text;
  ELSIF v_bad.rule = 'ledger_leg_amount_zero' THEN
    RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = v_bad.rule,
      MESSAGE = format('posting %s, leg %s: the amount must not be zero', v_bad.posting, v_bad.leg),
      DETAIL = json_build_object('posting', v_bad.posting, 'leg', v_bad.leg)::text;
  ELSIF v_bad.rule = 'ledger_entry_precision' THEN
    RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = v_bad.rule,
      MESSAGE = format('posting %s, leg %s: %s has more decimals than %s allows (%s)',
                       v_bad.posting, v_bad.leg, v_bad.amount, v_bad.currency_id, v_bad.precision),
      DETAIL = json_build_object('posting', v_bad.posting, 'leg', v_bad.leg, 'amount', v_bad.amount::text,
                                 'currency', v_bad.currency_id, 'precision', v_bad.precision)::text;
  ELSE
    RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = v_bad.rule,
      MESSAGE = format('posting %s: the entries do not balance in %s: they sum to %s',
                       v_bad.posting, v_bad.currency_id, v_bad.amount),
      DETAIL = json_build_object('posting', v_bad.posting, 'currency', v_bad.currency_id,
                                 'total', v_bad.amount::text)::text;
  END IF;
END $$;

-- Posting, in one round trip for one posting or thousands: inserts the new transactions and then all their
-- legs, one statement each, and returns for each posting its transaction id and whether it was created. A
-- posting whose idempotency key was used before returns that transaction and posts nothing. The rules are
-- the tables' own (keys, checks and triggers); a leg on an account that is not an open account of this
-- organization gets no account and is refused by NOT NULL, and a posting that does not balance is refused
-- here at once rather than at commit. ledger_post_diagnose names the posting and leg at fault.
-- p_postings: [{"date": "2026-04-01", "kind": "income", "description": "...", "key": "...",
--               "reverses": id|null, "fx_rate": id|null,
--               "legs": [{"account": id, "amount": "12.50", "project": id|null, "category": id|null,
--                         "counterparty": id|null, "memo": "..."}, ...]}, ...]
CREATE OR REPLACE FUNCTION ledger_post_many(p_organization bigint, p_created_by bigint, p_postings jsonb)
RETURNS TABLE (posting integer, transaction_id bigint, created boolean, created_at timestamptz)
LANGUAGE plpgsql
-- The statements' shapes never change; planning them for each call's JSON doubled the cost of a posting.
-- Every lookup below is by primary or unique key: OFFSET 0 keeps each a nested index lookup per leg, never
-- a scan of the table, whatever the generic plan guesses about the JSON's length.
SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
DECLARE
  v_count integer := jsonb_array_length(p_postings);
  v_bad record;
  v_new bigint[];
  v_keys text[];
  v_at timestamptz[];
BEGIN
  IF v_count > 1 THEN
    SELECT min(p.n) - 1 AS posting, p.v->>'key' AS key INTO v_bad
      FROM jsonb_array_elements(p_postings) WITH ORDINALITY AS p(v, n)
     GROUP BY p.v->>'key' HAVING count(*) > 1 LIMIT 1;
    IF FOUND THEN
      RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'ledger_batch_duplicate_key',
        MESSAGE = format('posting %s: the idempotency key %s appears more than once in this batch',
                         v_bad.posting, v_bad.key),
        DETAIL = json_build_object('posting', v_bad.posting, 'key', v_bad.key)::text;
    END IF;
  END IF;

  WITH inserted AS (
    INSERT INTO ledger_transaction (organization_id, date, kind, description, leg_count, idempotency_key,
                                    reverses_id, fx_rate_id, created_by_id, created_at)
    SELECT p_organization, (p.v->>'date')::date, p.v->>'kind', coalesce(p.v->>'description', ''),
           jsonb_array_length(p.v->'legs'), p.v->>'key', (p.v->>'reverses')::bigint, (p.v->>'fx_rate')::bigint,
           p_created_by, now()
      FROM jsonb_array_elements(p_postings) WITH ORDINALITY AS p(v, n)
     ORDER BY p.n
    ON CONFLICT (organization_id, idempotency_key) DO NOTHING
    RETURNING id, idempotency_key, ledger_transaction.created_at
  )
  SELECT array_agg(id ORDER BY id), array_agg(idempotency_key ORDER BY id), array_agg(inserted.created_at ORDER BY id)
    INTO v_new, v_keys, v_at FROM inserted;

  IF v_new IS NOT NULL THEN
    WITH entries AS (
      INSERT INTO ledger_transactionentry (transaction_id, organization_id, date, account_id, currency_id, amount,
                                           project_id, category_id, counterparty_id, memo)
      SELECT t.id, p_organization, (p.v->>'date')::date, a.id, a.currency_id, (l.v->>'amount')::numeric,
             (l.v->>'project')::bigint, (l.v->>'category')::bigint, (l.v->>'counterparty')::bigint,
             coalesce(l.v->>'memo', '')
        FROM jsonb_array_elements(p_postings) AS p(v)
        JOIN unnest(v_new, v_keys) AS t(id, key) ON t.key = p.v->>'key'
       CROSS JOIN jsonb_array_elements(p.v->'legs') AS l(v)
        LEFT JOIN LATERAL (SELECT id, currency_id FROM ledger_account
                            WHERE id = (l.v->>'account')::bigint AND organization_id = p_organization AND is_active
                           OFFSET 0) a ON true
      RETURNING transaction_id, currency_id, amount
    )
    SELECT transaction_id, currency_id, sum(amount) AS total INTO v_bad
      FROM entries GROUP BY transaction_id, currency_id HAVING sum(amount) <> 0 LIMIT 1;
    IF FOUND THEN
      RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'ledger_transaction_balanced',
        MESSAGE = format('transaction %s does not balance in %s: its entries sum to %s',
                         v_bad.transaction_id, v_bad.currency_id, v_bad.total),
        DETAIL = json_build_object('transaction', v_bad.transaction_id, 'currency', v_bad.currency_id,
                                   'total', v_bad.total::text)::text;
    END IF;
  END IF;

  -- The common case, one new posting: its id is known. Otherwise a new statement, so that a key committed
  -- meanwhile by a concurrent session is seen too.
  IF v_count = 1 AND v_new IS NOT NULL THEN
    RETURN QUERY SELECT 0, v_new[1], true, v_at[1];
    RETURN;
  END IF;
  RETURN QUERY
  SELECT (p.n - 1)::integer, t.id, t.id = ANY (coalesce(v_new, '{}')), t.created_at
    FROM jsonb_array_elements(p_postings) WITH ORDINALITY AS p(v, n)
    JOIN LATERAL (SELECT id, created_at FROM ledger_transaction
                   WHERE organization_id = p_organization AND idempotency_key = p.v->>'key' OFFSET 0) t ON true
   ORDER BY p.n;
END $$;

"""


class Migration(migrations.Migration):
    dependencies = [("ledger", "0006_lighter_posting_locks")]

    operations = [
        migrations.RunSQL(
            SQL,
            "DROP FUNCTION ledger_post_diagnose(bigint, jsonb);"
            + earlier_function("0002_integrity", "POST_FUNCTION", "ledger_post_many"),
        ),
    ]
