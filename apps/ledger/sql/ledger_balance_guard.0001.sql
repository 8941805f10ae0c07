-- Balance rows are written by the ledger's triggers only (ledger_account_sync_balance_row,
-- ledger_entries_apply), never directly. An unused account's row goes with the account.

CREATE OR REPLACE FUNCTION ledger_balance_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF pg_trigger_depth() > 1 THEN
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  END IF;
  IF TG_OP = 'DELETE' AND OLD.entry_count = 0 THEN
    RETURN OLD;  -- an unused account is being deleted
  END IF;
  RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'ledger_balance_derived',
    MESSAGE = 'account balances are derived from entries and cannot be written directly';
END $$;

DROP TRIGGER IF EXISTS ledger_balance_guard ON ledger_accountbalance;
CREATE TRIGGER ledger_balance_guard BEFORE INSERT OR UPDATE OR DELETE ON ledger_accountbalance
  FOR EACH ROW EXECUTE FUNCTION ledger_balance_guard();
