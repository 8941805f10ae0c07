-- Entries are never changed or deleted (ledger_entry_immutable); should that trigger be disabled, a leg
-- changed or removed still has both its old and its new transaction verified at commit. Inserted legs are
-- verified with their transaction (ledger_transaction_balanced), not once per leg.

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

DROP TRIGGER IF EXISTS ledger_entries_balanced ON ledger_transactionentry;
CREATE CONSTRAINT TRIGGER ledger_entries_balanced AFTER UPDATE OR DELETE ON ledger_transactionentry
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_entry_check();
