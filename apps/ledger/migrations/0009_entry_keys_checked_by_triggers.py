"""An entry's account and transaction are checked by the ledger's triggers instead of two composite foreign keys.

Each foreign key check is a query of its own, with a row lock, for every leg: a third of what remained of a
posting's cost after the checks moved (161k of 1.76M instructions, callgrind). The same rules hold:

- an entry's account is an account of its organization in its currency: ``ledger_entries_apply`` compares
  each new entry with its account's balance row, which it locks anyway (the row carries the account's
  organization and currency); an account that holds entries keeps its organization, type and currency
  (``ledger_account_sync_balance_row``), and it cannot be deleted (its balance row refuses to go while it
  counts entries, and the row's foreign key keeps the account);
- an entry has its transaction's organization and date: checked at commit with the balance of the
  transaction (``ledger_verify_transaction``); a transaction cannot be deleted (immutability).

Both raise the names of the keys they replace, ``ledger_entry_matches_account`` and
``ledger_entry_matches_transaction``.
"""

from django.db import migrations

from ._sql import earlier_function

SQL = r"""
ALTER TABLE ledger_transactionentry DROP CONSTRAINT ledger_entry_matches_transaction,
  DROP CONSTRAINT ledger_entry_matches_account;
ALTER TABLE ledger_transaction DROP CONSTRAINT ledger_transaction_id_org_date;  -- that key's only referrer

-- Inserting entries moves their accounts' balances in the same statement: one set-based update per
-- INSERT, rows locked in account order (so concurrent postings never deadlock; a row lock serialises the
-- writers of one account, so no update is lost). Then each new entry is checked against its locked balance
-- row (which carries its account's organization, currency and precision): an account of the entry's
-- organization in the entry's currency, not zero, no more decimals than the currency allows, and not taking
-- the account past its floor (below zero for a debit-normal account marked "never below zero", above zero
-- for a credit-normal one).
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
  -- A leg added after a transaction was verified must be verified again at commit.
  PERFORM set_config('ledger.verified_transaction', '', true);
  RETURN NULL;
END $$;

-- At commit, each transaction touched has at least two legs, exactly the number it declares, all of its
-- organization and date, and sums to zero in every currency. Checks run once per transaction (the setting
-- remembers the last one verified).
CREATE OR REPLACE FUNCTION ledger_verify_transaction(p_transaction bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  v record;
BEGIN
  IF current_setting('ledger.verified_transaction', true) = p_transaction::text THEN
    RETURN;
  END IF;
  -- One pass over the transaction's legs: how many, how many stray from its organization or date, and the
  -- first currency that does not sum to zero.
  SELECT t.leg_count AS declared, coalesce(x.legs, 0) AS legs, x.strays, x.currency, x.total INTO v
    FROM (SELECT p_transaction AS id) want
    LEFT JOIN ledger_transaction t ON t.id = want.id
    LEFT JOIN LATERAL (
          SELECT sum(c.n)::integer AS legs, sum(c.strays)::integer AS strays,
                 (array_agg(c.currency_id ORDER BY c.currency_id) FILTER (WHERE c.total <> 0))[1] AS currency,
                 (array_agg(c.total ORDER BY c.currency_id) FILTER (WHERE c.total <> 0))[1] AS total
            FROM (SELECT e.currency_id, count(*) AS n, sum(e.amount) AS total,
                         count(*) FILTER (WHERE e.organization_id <> t.organization_id OR e.date <> t.date) AS strays
                    FROM ledger_transactionentry e WHERE e.transaction_id = want.id GROUP BY e.currency_id) c
         ) x ON true;
  IF v.declared IS NULL THEN
    IF v.legs > 0 THEN
      RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'ledger_transaction_balanced',
        MESSAGE = format('entries belong to transaction %s, which does not exist', p_transaction);
    END IF;
    RETURN;
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
  IF v.currency IS NOT NULL THEN
    RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'ledger_transaction_balanced',
      MESSAGE = format('transaction %s does not balance in %s: its entries sum to %s',
                       p_transaction, v.currency, v.total),
      DETAIL = json_build_object('transaction', p_transaction, 'currency', v.currency, 'total', v.total::text)::text;
  END IF;
  PERFORM set_config('ledger.verified_transaction', p_transaction::text, true);
END $$;

-- The balance row follows its account's settings. An account that holds entries keeps its organization,
-- type and currency (the balance row is locked first, so a posting racing the change either commits before
-- it, and the change is refused, or sees the new currency and is refused); marking an account "never below
-- zero" while its balance is already past zero is refused, as an overdraft is.
CREATE OR REPLACE FUNCTION ledger_account_sync_balance_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_row record;
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO ledger_accountbalance (account_id, organization_id, currency_id, precision, floor_sign, balance, entry_count)
    SELECT NEW.id, NEW.organization_id, NEW.currency_id, c.precision,
           ledger_floor_sign(NEW.non_negative, NEW.type), 0, 0
      FROM core_currency c WHERE c.code = NEW.currency_id;
    RETURN NULL;
  END IF;
  IF NEW.organization_id <> OLD.organization_id THEN
    RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'ledger_account_organization_fixed',
      MESSAGE = format('account %s cannot move to another organization', OLD.id);
  END IF;
  SELECT entry_count INTO v_row FROM ledger_accountbalance WHERE account_id = OLD.id FOR UPDATE;
  IF NEW.type <> OLD.type AND v_row.entry_count > 0 THEN
    RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'ledger_account_type_fixed',
      MESSAGE = format('account %s has entries: its type cannot change', OLD.id),
      DETAIL = json_build_object('account', OLD.id)::text;
  END IF;
  IF NEW.currency_id <> OLD.currency_id AND v_row.entry_count > 0 THEN
    RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'ledger_account_currency_fixed',
      MESSAGE = format('account %s has entries in %s: its currency cannot change', OLD.id, OLD.currency_id),
      DETAIL = json_build_object('account', OLD.id, 'currency', OLD.currency_id)::text;
  END IF;
  UPDATE ledger_accountbalance
     SET floor_sign = ledger_floor_sign(NEW.non_negative, NEW.type),
         currency_id = NEW.currency_id,
         precision = (SELECT c.precision FROM core_currency c WHERE c.code = NEW.currency_id)
   WHERE account_id = NEW.id
  RETURNING balance, floor_sign INTO v_row;
  IF (v_row.floor_sign = 1 AND v_row.balance < 0) OR (v_row.floor_sign = -1 AND v_row.balance > 0) THEN
    RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'ledger_balance_respects_floor',
      MESSAGE = format('account %s is already past zero (%s)', NEW.id, v_row.balance),
      DETAIL = json_build_object('account', NEW.id, 'balance', v_row.balance::text)::text;
  END IF;
  RETURN NULL;
END $$;
"""


def _reverse_sql() -> str:
    return "\n".join(
        [
            "ALTER TABLE ledger_transaction ADD CONSTRAINT ledger_transaction_id_org_date"
            " UNIQUE (id, organization_id, date);",
            "ALTER TABLE ledger_transactionentry"
            " ADD CONSTRAINT ledger_entry_matches_transaction FOREIGN KEY (transaction_id, organization_id, date)"
            " REFERENCES ledger_transaction (id, organization_id, date),"
            " ADD CONSTRAINT ledger_entry_matches_account FOREIGN KEY (account_id, organization_id, currency_id)"
            " REFERENCES ledger_account (id, organization_id, currency_id);",
            earlier_function("0008_rules_checked_on_insert", "SQL", "ledger_entries_apply"),
            earlier_function("0008_rules_checked_on_insert", "SQL", "ledger_account_sync_balance_row"),
            earlier_function("0002_integrity", "BALANCED", "ledger_verify_transaction"),
        ]
    )


class Migration(migrations.Migration):
    dependencies = [("ledger", "0008_rules_checked_on_insert")]

    operations = [migrations.RunSQL(SQL, _reverse_sql())]
