-- New transactions: a known kind, at least two legs, a reversal is of kind "reversal", and the date is not
-- inside the organization's closed period. Posting takes a shared advisory lock on the organization's
-- period and moving the lock takes it exclusively (ledger_period_lock_exclusive), so a posting and a lock
-- that race are ordered: one of them waits for the other to commit.
--
-- Why not CHECK constraints: posted transactions are insert-only (ledger_transaction_immutable), so a rule
-- checked on insert holds for good, and PostgreSQL plans every CHECK expression for each statement that
-- writes the table; this statement trigger reads the new rows anyway. It raises the constraint names the
-- rules had (ledger_transaction_kind, ledger_transaction_two_legs, ledger_transaction_reversal_kind).

CREATE OR REPLACE FUNCTION ledger_transactions_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_bad record;
BEGIN
  PERFORM pg_advisory_xact_lock_shared(hashtextextended('ledger.period', organization_id))
     FROM (SELECT DISTINCT organization_id FROM new_transactions ORDER BY 1) o;
  SELECT n.id, n.kind, n.leg_count, n.date, l.locked_through,
         CASE WHEN n.kind NOT IN ('income', 'expense', 'transfer', 'exchange', 'complex', 'reversal', 'invoice',
                                  'payment', 'recurring', 'opening') THEN 'ledger_transaction_kind'
              WHEN n.leg_count < 2 THEN 'ledger_transaction_two_legs'
              WHEN n.reverses_id IS NOT NULL AND n.kind <> 'reversal' THEN 'ledger_transaction_reversal_kind'
              ELSE 'ledger_period_closed' END AS rule
    INTO v_bad
    FROM new_transactions n LEFT JOIN ledger_periodlock l ON l.organization_id = n.organization_id
   WHERE n.kind NOT IN ('income', 'expense', 'transfer', 'exchange', 'complex', 'reversal', 'invoice', 'payment',
                        'recurring', 'opening')
      OR n.leg_count < 2 OR (n.reverses_id IS NOT NULL AND n.kind <> 'reversal') OR n.date <= l.locked_through
   LIMIT 1;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  IF v_bad.rule = 'ledger_period_closed' THEN
    RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = v_bad.rule,
      MESSAGE = format('the period through %s is closed; %s is inside it', v_bad.locked_through, v_bad.date),
      DETAIL = json_build_object('date', v_bad.date, 'locked_through', v_bad.locked_through)::text;
  END IF;
  RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = v_bad.rule,
    MESSAGE = format('transaction %s breaks %s (kind %s, %s legs)', v_bad.id, v_bad.rule, v_bad.kind, v_bad.leg_count),
    DETAIL = json_build_object('transaction', v_bad.id, 'kind', v_bad.kind, 'legs', v_bad.leg_count)::text;
END $$;

DROP TRIGGER IF EXISTS ledger_transactions_check ON ledger_transaction;
CREATE TRIGGER ledger_transactions_check AFTER INSERT ON ledger_transaction
  REFERENCING NEW TABLE AS new_transactions FOR EACH STATEMENT EXECUTE FUNCTION ledger_transactions_check();
