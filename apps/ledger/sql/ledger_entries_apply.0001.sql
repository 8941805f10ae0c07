-- Inserting entries moves their accounts' balances in the same statement: one set-based update per
-- INSERT, rows locked in account order (so concurrent postings never deadlock; a row lock serialises the
-- writers of one account, so no update is lost). Then each new entry is checked against its locked balance
-- row (which carries its account's organization, currency and precision): an account of the entry's
-- organization in the entry's currency, not zero, no more decimals than the currency allows, and not taking
-- the account past its floor (below zero for a debit-normal account marked "never below zero", above zero
-- for a credit-normal one).
--
-- Why here and not in CHECK constraints and foreign keys: entries are insert-only (ledger_entry_immutable),
-- so a rule checked when a row is inserted holds for good. PostgreSQL plans every CHECK expression for each
-- statement that writes its table (a seventh of a posting's cost), and each foreign key check is a query
-- with a row lock per leg (a third of what remained); this statement trigger reads the new rows anyway.
-- The rules raise the names of the constraints they replace (ledger_entry_matches_account,
-- ledger_entry_amount_not_zero, ledger_balance_respects_floor).
--
-- Last, it refuses a transaction that now has more legs than it declares: no leg can be added to a
-- transaction written earlier, whose own commit-time check (ledger_transaction_balanced) has run.

CREATE OR REPLACE FUNCTION ledger_entries_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_bad record;
BEGIN
  PERFORM 1 FROM ledger_accountbalance
   WHERE account_id IN (SELECT DISTINCT account_id FROM new_entries)
   ORDER BY account_id FOR NO KEY UPDATE;
  UPDATE ledger_accountbalance b
     SET balance = b.balance + d.total, entry_count = b.entry_count + d.legs
    FROM (SELECT account_id, sum(amount) AS total, count(*) AS legs FROM new_entries GROUP BY account_id) d
   WHERE b.account_id = d.account_id;
  SELECT n.account_id, n.amount, n.currency_id, b.precision, b.balance,
         CASE WHEN b.account_id IS NULL OR b.organization_id <> n.organization_id OR b.currency_id <> n.currency_id
                   THEN 'ledger_entry_matches_account'
              WHEN n.amount = 0 THEN 'ledger_entry_amount_not_zero'
              WHEN n.amount <> round(n.amount, b.precision) THEN 'ledger_entry_precision'
              ELSE 'ledger_balance_respects_floor' END AS rule
    INTO v_bad
    FROM new_entries n LEFT JOIN ledger_accountbalance b ON b.account_id = n.account_id
   WHERE b.account_id IS NULL OR b.organization_id <> n.organization_id OR b.currency_id <> n.currency_id
      OR n.amount = 0 OR n.amount <> round(n.amount, b.precision)
      OR (b.floor_sign = 1 AND b.balance < 0) OR (b.floor_sign = -1 AND b.balance > 0)
   LIMIT 1;
  IF FOUND THEN
    IF v_bad.rule = 'ledger_entry_matches_account' THEN
      RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = v_bad.rule,
        MESSAGE = format('an entry in %s names account %s, which is not an account of its organization in that currency',
                         v_bad.currency_id, v_bad.account_id),
        DETAIL = json_build_object('account', v_bad.account_id, 'currency', v_bad.currency_id)::text;
    ELSIF v_bad.rule = 'ledger_entry_amount_not_zero' THEN
      RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = v_bad.rule,
        MESSAGE = format('an entry on account %s has a zero amount', v_bad.account_id),
        DETAIL = json_build_object('account', v_bad.account_id)::text;
    ELSIF v_bad.rule = 'ledger_entry_precision' THEN
      RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = v_bad.rule,
        MESSAGE = format('%s has more decimals than %s allows (%s)', v_bad.amount, v_bad.currency_id, v_bad.precision),
        DETAIL = json_build_object('amount', v_bad.amount::text, 'currency', v_bad.currency_id,
                                   'precision', v_bad.precision)::text;
    ELSE
      RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = v_bad.rule,
        MESSAGE = format('account %s may not go past zero: its balance would be %s', v_bad.account_id, v_bad.balance),
        DETAIL = json_build_object('account', v_bad.account_id, 'balance', v_bad.balance::text)::text;
    END IF;
  END IF;
  SELECT t.id, t.leg_count AS declared, c.legs INTO v_bad
    FROM (SELECT DISTINCT transaction_id FROM new_entries) n
    JOIN ledger_transaction t ON t.id = n.transaction_id
   CROSS JOIN LATERAL (SELECT count(*)::integer AS legs FROM ledger_transactionentry e
                        WHERE e.transaction_id = n.transaction_id) c
   WHERE c.legs > t.leg_count
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'ledger_transaction_legs',
      MESSAGE = format('transaction %s has %s legs but declares %s (at least two are needed)',
                       v_bad.id, v_bad.legs, v_bad.declared),
      DETAIL = json_build_object('transaction', v_bad.id, 'legs', v_bad.legs, 'declared', v_bad.declared)::text;
  END IF;
  RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS ledger_entries_apply ON ledger_transactionentry;
CREATE TRIGGER ledger_entries_apply AFTER INSERT ON ledger_transactionentry
  REFERENCING NEW TABLE AS new_entries FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_apply();
