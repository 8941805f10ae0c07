"""Row rules of insert-only tables are checked by their insert triggers, not by CHECK constraints.

Posted transactions and entries are insert-only (the immutability triggers refuse any update or delete),
so a rule checked when a row is inserted holds for good; balance rows are written by the ledger's triggers
only. PostgreSQL rebuilds and plans every CHECK constraint's expression for each statement that writes its
table, and for a posting (three such statements) that cost a seventh of the posting: here the same rules
move into the statement triggers that already read the new rows, raising the same constraint names.

- ledger_transaction: a known kind, at least two legs, a reversal is of kind "reversal" (with the closed
  period check, in ``ledger_transactions_check``);
- ledger_transactionentry: no zero amount (with the precision check, in ``ledger_entries_apply``);
- ledger_accountbalance: the floor of a "never below zero" account, checked after the balances move and when
  an account's settings change (``ledger_account_sync_balance_row``).
"""

from django.db import migrations, models

from ._sql import earlier_function

SQL = r"""
DROP TRIGGER ledger_transaction_period_open ON ledger_transaction;
DROP FUNCTION ledger_period_open();

-- New transactions: a known kind, at least two legs, a reversal is of kind "reversal", and the date is not
-- inside the organization's closed period. Posting takes a shared advisory lock on the organization's
-- period and moving the lock takes it exclusively, so a posting and a lock that race are ordered: one of
-- them waits for the other to commit.
CREATE FUNCTION ledger_transactions_check() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE TRIGGER ledger_transactions_check AFTER INSERT ON ledger_transaction
  REFERENCING NEW TABLE AS new_transactions FOR EACH STATEMENT EXECUTE FUNCTION ledger_transactions_check();

-- Inserting entries moves their accounts' balances in the same statement: one set-based update per
-- INSERT, rows locked in account order (so concurrent postings never deadlock; a row lock serialises the
-- writers of one account, so no update is lost). Then each new entry is checked: not zero, no more decimals
-- than its currency allows, and its account not taken past its floor (below zero for a debit-normal account
-- marked "never below zero", above zero for a credit-normal one).
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
         CASE WHEN n.amount = 0 THEN 'ledger_entry_amount_not_zero'
              WHEN n.amount <> round(n.amount, b.precision) THEN 'ledger_entry_precision'
              ELSE 'ledger_balance_respects_floor' END AS rule
    INTO v_bad
    FROM new_entries n JOIN ledger_accountbalance b ON b.account_id = n.account_id
   WHERE n.amount = 0 OR n.amount <> round(n.amount, b.precision)
      OR (b.floor_sign = 1 AND b.balance < 0) OR (b.floor_sign = -1 AND b.balance > 0)
   LIMIT 1;
  IF FOUND THEN
    IF v_bad.rule = 'ledger_entry_amount_not_zero' THEN
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

-- The balance row follows its account's settings; marking an account "never below zero" (or changing its
-- type) while its balance is already past zero is refused, as an overdraft is.
CREATE OR REPLACE FUNCTION ledger_account_sync_balance_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_row record;
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO ledger_accountbalance (account_id, organization_id, currency_id, precision, floor_sign, balance, entry_count)
    SELECT NEW.id, NEW.organization_id, NEW.currency_id, c.precision,
           ledger_floor_sign(NEW.non_negative, NEW.type), 0, 0
      FROM core_currency c WHERE c.code = NEW.currency_id;
  ELSE
    IF NEW.organization_id <> OLD.organization_id THEN
      RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'ledger_account_organization_fixed',
        MESSAGE = format('account %s cannot move to another organization', OLD.id);
    END IF;
    IF NEW.type <> OLD.type AND EXISTS (SELECT 1 FROM ledger_accountbalance WHERE account_id = OLD.id AND entry_count > 0) THEN
      RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'ledger_account_type_fixed',
        MESSAGE = format('account %s has entries: its type cannot change', OLD.id),
        DETAIL = json_build_object('account', OLD.id)::text;
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
  END IF;
  RETURN NULL;
END $$;
"""


def _reverse_sql() -> str:
    return "\n".join(
        [
            "DROP TRIGGER ledger_transactions_check ON ledger_transaction;",
            "DROP FUNCTION ledger_transactions_check();",
            earlier_function("0002_integrity", "PERIODS", "ledger_period_open"),
            "CREATE TRIGGER ledger_transaction_period_open AFTER INSERT ON ledger_transaction"
            " REFERENCING NEW TABLE AS new_transactions FOR EACH STATEMENT EXECUTE FUNCTION ledger_period_open();",
            earlier_function("0002_integrity", "BALANCES", "ledger_entries_apply"),
            earlier_function("0002_integrity", "BALANCES", "ledger_account_sync_balance_row"),
        ]
    )


class Migration(migrations.Migration):
    dependencies = [("ledger", "0007_posting_without_scans")]

    operations = [
        migrations.RemoveConstraint(
            model_name="accountbalance",
            name="ledger_balance_respects_floor",
        ),
        migrations.RemoveConstraint(
            model_name="transaction",
            name="ledger_transaction_two_legs",
        ),
        migrations.RemoveConstraint(
            model_name="transaction",
            name="ledger_transaction_kind",
        ),
        migrations.RemoveConstraint(
            model_name="transaction",
            name="ledger_transaction_reversal_kind",
        ),
        migrations.RemoveConstraint(
            model_name="transactionentry",
            name="ledger_entry_amount_not_zero",
        ),
        migrations.AlterField(
            model_name="accountbalance",
            name="precision",
            field=models.SmallIntegerField(),
        ),
        migrations.AlterField(
            model_name="transaction",
            name="leg_count",
            field=models.SmallIntegerField(verbose_name="legs"),
        ),
        migrations.RunSQL(SQL, _reverse_sql()),
    ]
