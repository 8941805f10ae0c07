-- ledger_account's composite keys: others name an account with their organization (and, where the account
-- must hold their currency, with that currency too).
--
-- Idempotent: a unique key is added only when missing (other tables' foreign keys may reference it, so it
-- is never dropped and added again); a foreign key is dropped and added, so this file is its whole definition.

DO $$ BEGIN
  ALTER TABLE ledger_account ADD CONSTRAINT ledger_account_id_org_currency UNIQUE (id, organization_id, currency_id);
EXCEPTION WHEN duplicate_table OR duplicate_object THEN NULL;  -- the key is there already
END $$;

DO $$ BEGIN
  ALTER TABLE ledger_account ADD CONSTRAINT ledger_account_id_org UNIQUE (id, organization_id);
EXCEPTION WHEN duplicate_table OR duplicate_object THEN NULL;  -- the key is there already
END $$;

-- An account's parent is in its organization.
ALTER TABLE ledger_account DROP CONSTRAINT IF EXISTS ledger_account_parent_same_org;
ALTER TABLE ledger_account ADD CONSTRAINT ledger_account_parent_same_org
  FOREIGN KEY (parent_id, organization_id) REFERENCES ledger_account (id, organization_id);
