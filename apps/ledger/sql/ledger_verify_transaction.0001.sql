-- At commit, each transaction written has at least two legs, exactly the number it declares, all of its
-- organization and date, and sums to zero in every currency. It returns true so that the trigger can call it
-- as an expression (no query of its own). Called by ledger_transaction_check and ledger_entry_check.
--
-- It remembers nothing between calls: a rule that skipped a transaction "already verified" by reading a
-- setting could be switched off by any session that set that setting itself.

CREATE OR REPLACE FUNCTION ledger_verify_transaction(p_transaction bigint) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  v record;
  v_currency record;
BEGIN
  -- One pass over the transaction's legs: how many, how many stray from its organization or date, their
  -- total and their currencies (a transaction in one currency balances when the total is zero).
  SELECT max(t.leg_count) AS declared, count(e.id)::integer AS legs,
         count(e.id) FILTER (WHERE e.organization_id <> t.organization_id OR e.date <> t.date)::integer AS strays,
         sum(e.amount) AS total, min(e.currency_id) AS currency, max(e.currency_id) AS last_currency
    INTO v
    FROM ledger_transaction t LEFT JOIN ledger_transactionentry e ON e.transaction_id = t.id
   WHERE t.id = p_transaction;
  IF v.declared IS NULL THEN
    IF EXISTS (SELECT 1 FROM ledger_transactionentry WHERE transaction_id = p_transaction) THEN
      RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'ledger_transaction_balanced',
        MESSAGE = format('entries belong to transaction %s, which does not exist', p_transaction);
    END IF;
    RETURN true;
  END IF;
  IF v.strays > 0 THEN
    RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'ledger_entry_matches_transaction',
      MESSAGE = format('transaction %s has %s entries of another organization or date', p_transaction, v.strays),
      DETAIL = json_build_object('transaction', p_transaction, 'entries', v.strays)::text;
  END IF;
  IF v.legs < 2 OR v.legs <> v.declared THEN
    RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'ledger_transaction_legs',
      MESSAGE = format('transaction %s has %s legs but declares %s (at least two are needed)',
                       p_transaction, v.legs, v.declared),
      DETAIL = json_build_object('transaction', p_transaction, 'legs', v.legs, 'declared', v.declared)::text;
  END IF;
  IF v.currency <> v.last_currency THEN
    -- Several currencies: each must sum to zero on its own.
    SELECT e.currency_id AS currency, sum(e.amount) AS total INTO v_currency
      FROM ledger_transactionentry e WHERE e.transaction_id = p_transaction
     GROUP BY e.currency_id HAVING sum(e.amount) <> 0 ORDER BY e.currency_id LIMIT 1;
    IF FOUND THEN
      v := v_currency;
    ELSE
      v.total := 0;
    END IF;
  END IF;
  IF v.total <> 0 THEN
    RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'ledger_transaction_balanced',
      MESSAGE = format('transaction %s does not balance in %s: its entries sum to %s',
                       p_transaction, v.currency, v.total),
      DETAIL = json_build_object('transaction', p_transaction, 'currency', v.currency, 'total', v.total::text)::text;
  END IF;
  RETURN true;
END $$;
