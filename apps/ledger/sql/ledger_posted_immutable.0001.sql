-- Posted records are never edited or deleted: the way forward is a reversal.

CREATE OR REPLACE FUNCTION ledger_posted_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'ledger_posted_immutable',
    MESSAGE = format('posted %s rows cannot be %s; post a reversal instead',
                     TG_TABLE_NAME, CASE TG_OP WHEN 'UPDATE' THEN 'changed' ELSE 'deleted' END);
END $$;

DROP TRIGGER IF EXISTS ledger_transaction_immutable ON ledger_transaction;
CREATE TRIGGER ledger_transaction_immutable BEFORE UPDATE OR DELETE ON ledger_transaction
  FOR EACH ROW EXECUTE FUNCTION ledger_posted_immutable();
DROP TRIGGER IF EXISTS ledger_entry_immutable ON ledger_transactionentry;
CREATE TRIGGER ledger_entry_immutable BEFORE UPDATE OR DELETE ON ledger_transactionentry
  FOR EACH ROW EXECUTE FUNCTION ledger_posted_immutable();
