-- ledger_transaction's composite keys. Other rows name a transaction together with their organization
-- (id, organization_id), so that the database itself refuses a row pointing into another organization.
-- (The transaction's plain foreign key to its organization is not declared, db_constraint=False: it only
-- added a key-share lock on the organization row to every posting.)
--
-- Idempotent: a unique key is added only when missing (other tables' foreign keys may reference it, so it
-- is never dropped and added again); a foreign key is dropped and added, so this file is its whole definition.

DO $$ BEGIN
  ALTER TABLE ledger_transaction ADD CONSTRAINT ledger_transaction_id_org UNIQUE (id, organization_id);
EXCEPTION WHEN duplicate_table OR duplicate_object THEN NULL;  -- the key is there already
END $$;

-- A reversal reverses a transaction of its own organization.
ALTER TABLE ledger_transaction DROP CONSTRAINT IF EXISTS ledger_reversal_same_org;
ALTER TABLE ledger_transaction ADD CONSTRAINT ledger_reversal_same_org
  FOREIGN KEY (reverses_id, organization_id) REFERENCES ledger_transaction (id, organization_id);
