-- The balancing rule, checked once per transaction at commit by its own row's deferred trigger. Entries are
-- insert-only, and a leg added to a transaction written earlier is refused at once (ledger_entries_apply),
-- so checking each transaction when it is written covers every leg.

CREATE OR REPLACE FUNCTION ledger_transaction_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_done boolean;
BEGIN
  v_done := ledger_verify_transaction(NEW.id);
  RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS ledger_transaction_balanced ON ledger_transaction;
CREATE CONSTRAINT TRIGGER ledger_transaction_balanced AFTER INSERT ON ledger_transaction
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_transaction_check();
