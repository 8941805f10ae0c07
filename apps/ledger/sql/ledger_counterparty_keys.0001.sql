-- ledger_counterparty's composite key: entries, invoices and other rows name a counterparty together with their own
-- organization, so that the database refuses one of another organization.
--
-- Idempotent: a unique key is added only when missing (other tables' foreign keys may reference it, so it
-- is never dropped and added again); a foreign key is dropped and added, so this file is its whole definition.

DO $$ BEGIN
  ALTER TABLE ledger_counterparty ADD CONSTRAINT ledger_counterparty_id_org UNIQUE (id, organization_id);
EXCEPTION WHEN duplicate_table OR duplicate_object THEN NULL;  -- the key is there already
END $$;
