-- The problems of a posting (or a batch), found leg by leg: the first one raised with the posting and leg at
-- fault. Posting does not run this: the rules hold in the database anyway (keys, checks, triggers); the
-- service asks this function where a refused posting went wrong, to name the field.

CREATE OR REPLACE FUNCTION ledger_post_diagnose(p_organization bigint, p_postings jsonb) RETURNS void
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
           a.is_active, a.currency_id, c.precision, (l.v->>'amount')::numeric AS amount,
           EXISTS (SELECT FROM ledger_account k WHERE k.parent_id = a.id) AS has_children
      FROM jsonb_array_elements(p_postings) WITH ORDINALITY AS p(v, n)
     CROSS JOIN jsonb_array_elements(p.v->'legs') WITH ORDINALITY AS l(v, n)
      LEFT JOIN LATERAL (SELECT * FROM ledger_account WHERE id = (l.v->>'account')::bigint OFFSET 0) a ON true
      LEFT JOIN LATERAL (SELECT * FROM core_currency WHERE code = a.currency_id OFFSET 0) c ON true
  ), problems AS (
    SELECT posting, leg, given, account, currency_id, precision, amount,
           CASE WHEN account IS NULL OR organization_id <> p_organization THEN 'ledger_leg_account_unknown'
                WHEN NOT is_active THEN 'ledger_leg_account_inactive'
                WHEN has_children THEN 'ledger_leg_account_parent'
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
  ELSIF v_bad.rule = 'ledger_leg_account_parent' THEN
    RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = v_bad.rule,
      MESSAGE = format('posting %s, leg %s: account %s has sub-accounts and takes no postings',
                       v_bad.posting, v_bad.leg, v_bad.account),
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
