-- Posting, in one round trip for one posting or thousands: inserts the new transactions and then all their
-- legs, one statement each, and returns for each posting its transaction id and whether it was created. A
-- posting whose idempotency key was used before returns that transaction and posts nothing. The rules are
-- the tables' own (keys, checks and triggers); a leg on an account that is not an open account of this
-- organization, or that has sub-accounts (a parent sums its children and takes no postings of its own), gets
-- no account and is refused by NOT NULL. Every transaction is verified at commit
-- (ledger_transaction_balanced); with p_check_now (the default) a posting that does not balance is also
-- refused here at once, for a caller inside a larger transaction whose savepoint must catch the refusal. A
-- call that is its own transaction passes false: its commit follows at once, and the transaction is verified
-- once. ledger_post_diagnose names the posting and leg at fault.
-- p_postings: [{"date": "2026-04-01", "kind": "income", "description": "...", "key": "...",
--               "reverses": id|null, "fx_rate": id|null,
--               "legs": [{"account": id, "amount": "12.50", "project": id|null, "category": id|null,
--                         "counterparty": id|null, "memo": "..."}, ...]}, ...]
--
-- Why it reads as it does (each measured with callgrind on a single-user backend):
-- - PostgreSQL starts an executor for every query a function runs, so one posting is inserted with a plain
--   INSERT … VALUES … RETURNING and its result returned without a query; a batch keeps the set-based insert.
-- - The generic plan guessed a hundred legs for any JSON and hashed the whole chart of accounts: every
--   lookup is by key, and OFFSET 0 keeps each a nested index lookup per leg.
-- - A batch's postings meet their new transactions through a JSON object {key: id}, not a join: the
--   generic plan's nested loop compared n² keys (batches of 10,000 are allowed).
-- - The early check reads the new legs back by their transactions' ids and groups them in index order: the
--   generic plan takes the JSON for 10,000 legs, and grouping the inserted rows hashed them into a table of
--   5,000 groups for every posting, a seventh of a posting's cost.

-- The version before took no p_check_now: a call with three arguments would find both.
DROP FUNCTION IF EXISTS ledger_post_many(bigint, bigint, jsonb);

CREATE OR REPLACE FUNCTION ledger_post_many(p_organization bigint, p_created_by bigint, p_postings jsonb,
                                            p_check_now boolean DEFAULT true)
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
  v_map jsonb;
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

  IF v_count = 1 THEN
    -- One posting (the common case): the plainest insert.
    INSERT INTO ledger_transaction (organization_id, date, kind, description, leg_count, idempotency_key,
                                    reverses_id, fx_rate_id, created_by_id, created_at)
    VALUES (p_organization, (p_postings->0->>'date')::date, p_postings->0->>'kind',
            coalesce(p_postings->0->>'description', ''), jsonb_array_length(p_postings->0->'legs'),
            p_postings->0->>'key', (p_postings->0->>'reverses')::bigint, (p_postings->0->>'fx_rate')::bigint,
            p_created_by, now())
    ON CONFLICT (organization_id, idempotency_key) DO NOTHING
    RETURNING ARRAY[id], jsonb_build_object(idempotency_key, id), ARRAY[ledger_transaction.created_at]
      INTO v_new, v_map, v_at;
  ELSE
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
    SELECT array_agg(id ORDER BY id), jsonb_object_agg(idempotency_key, id), array_agg(inserted.created_at ORDER BY id)
      INTO v_new, v_map, v_at FROM inserted;
  END IF;

  IF v_new IS NOT NULL THEN
    INSERT INTO ledger_transactionentry (transaction_id, organization_id, date, account_id, currency_id, amount,
                                         project_id, category_id, counterparty_id, memo)
    SELECT t.id, p_organization, (p.v->>'date')::date, a.id, a.currency_id, (l.v->>'amount')::numeric,
           (l.v->>'project')::bigint, (l.v->>'category')::bigint, (l.v->>'counterparty')::bigint,
           coalesce(l.v->>'memo', '')
      FROM jsonb_array_elements(p_postings) AS p(v)
     CROSS JOIN LATERAL (SELECT (v_map->>(p.v->>'key'))::bigint AS id) AS t
     CROSS JOIN jsonb_array_elements(p.v->'legs') AS l(v)
      LEFT JOIN LATERAL (SELECT id, currency_id FROM ledger_account
                          WHERE id = (l.v->>'account')::bigint AND organization_id = p_organization AND is_active
                            -- One probe of the parent_id index in the same lookup, as a subplan per leg (NOT
                            -- EXISTS would be planned as an anti-join, which the generic plan may hash).
                            AND (SELECT 1 FROM ledger_account c WHERE c.parent_id = ledger_account.id LIMIT 1) IS NULL
                         OFFSET 0) a ON true
     WHERE t.id IS NOT NULL;
    IF p_check_now THEN
      SELECT e.transaction_id, e.currency_id, sum(e.amount) AS total INTO v_bad
        FROM ledger_transactionentry e WHERE e.transaction_id = ANY (v_new)
       GROUP BY e.transaction_id, e.currency_id HAVING sum(e.amount) <> 0 LIMIT 1;
      IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'ledger_transaction_balanced',
          MESSAGE = format('transaction %s does not balance in %s: its entries sum to %s',
                           v_bad.transaction_id, v_bad.currency_id, v_bad.total),
          DETAIL = json_build_object('transaction', v_bad.transaction_id, 'currency', v_bad.currency_id,
                                     'total', v_bad.total::text)::text;
      END IF;
    END IF;
  END IF;

  -- The common case, one new posting: its id is known. Otherwise a new statement, so that a key committed
  -- meanwhile by a concurrent session is seen too.
  IF v_count = 1 AND v_new IS NOT NULL THEN
    posting := 0;
    transaction_id := v_new[1];
    created := true;
    created_at := v_at[1];
    RETURN NEXT;
    RETURN;
  END IF;
  RETURN QUERY
  SELECT (p.n - 1)::integer, t.id, coalesce((v_map->>(p.v->>'key'))::bigint = t.id, false), t.created_at
    FROM jsonb_array_elements(p_postings) WITH ORDINALITY AS p(v, n)
    JOIN LATERAL (SELECT id, created_at FROM ledger_transaction
                   WHERE organization_id = p_organization AND idempotency_key = p.v->>'key' OFFSET 0) t ON true
   ORDER BY p.n;
END $$;
