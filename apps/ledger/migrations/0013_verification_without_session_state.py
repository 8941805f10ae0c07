"""The balancing rule no longer reads state that a session can set.

Until now the commit-time checks remembered the last transaction verified in the setting
``ledger.verified_transaction``, so that a transaction's legs did not verify it again. Any session could set
that parameter itself (``SELECT set_config('ledger.verified_transaction', '<id>', true)``) after writing an
unbalanced transaction, and its commit-time check was skipped. The rule now holds without any memory:

- A transaction is verified once, at commit, by its own row's deferred trigger (``ledger_transaction_balanced``):
  its legs are as many as it declares, all of its organization and date, and balance in every currency.
- Entries are insert-only, so the only other way to change a transaction is to add a leg to one written
  earlier. The statement that inserts entries refuses at once any transaction that now has more legs than it
  declares: a committed transaction already has all of them, so no leg can be slipped into it; a transaction
  written in this database transaction is verified at commit anyway. The per-leg deferred trigger
  (``ledger_entries_balanced``) now fires only for a leg changed or deleted, which the immutability trigger
  forbids anyway; inserting legs no longer verifies the same transaction once per leg.
"""

from django.db import migrations

from ._sql import earlier_function

SQL = r"""
DROP TRIGGER ledger_entries_balanced ON ledger_transactionentry;

-- At commit, each transaction written has at least two legs, exactly the number it declares, all of its
-- organization and date, and sums to zero in every currency. It returns true so that the trigger can call it
-- as an expression (no query of its own).
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

-- The commit-time check, once per transaction.
CREATE OR REPLACE FUNCTION ledger_transaction_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_done boolean;
BEGIN
  v_done := ledger_verify_transaction(NEW.id);
  RETURN NULL;
END $$;

-- Entries are never changed or deleted (ledger_entry_immutable); should that trigger be disabled, a leg
-- changed or removed still has both its old and its new transaction verified at commit.
CREATE OR REPLACE FUNCTION ledger_entry_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_done boolean;
BEGIN
  v_done := ledger_verify_transaction(OLD.transaction_id);
  IF TG_OP = 'UPDATE' THEN
    v_done := ledger_verify_transaction(NEW.transaction_id);
  END IF;
  RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER ledger_entries_balanced AFTER UPDATE OR DELETE ON ledger_transactionentry
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_entry_check();

-- Inserting entries moves their accounts' balances in the same statement (see migration 0009), and refuses
-- a transaction that now has more legs than it declares: no leg can be added to a transaction written
-- earlier, whose own check has run.
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
"""


def _reverse_sql() -> str:
    return "\n".join(
        [
            earlier_function("0010_fewer_queries_per_posting", "SQL", "ledger_verify_transaction"),
            earlier_function("0010_fewer_queries_per_posting", "SQL", "ledger_transaction_check"),
            earlier_function("0010_fewer_queries_per_posting", "SQL", "ledger_entry_check"),
            earlier_function("0010_fewer_queries_per_posting", "SQL", "ledger_entries_apply"),
            "DROP TRIGGER ledger_entries_balanced ON ledger_transactionentry;",
            "CREATE CONSTRAINT TRIGGER ledger_entries_balanced AFTER INSERT OR UPDATE OR DELETE "
            "ON ledger_transactionentry DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_entry_check();",
        ]
    )


class Migration(migrations.Migration):
    dependencies = [("ledger", "0012_batch_keys_without_join")]

    operations = [migrations.RunSQL(SQL, _reverse_sql())]
