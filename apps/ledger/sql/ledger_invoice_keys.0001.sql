-- An invoice's counterparty and postings belong to its organization, and its receivable or payable account
-- is an account of its organization in the invoice's currency.
--
-- Idempotent: a unique key is added only when missing (other tables' foreign keys may reference it, so it
-- is never dropped and added again); a foreign key is dropped and added, so this file is its whole definition.

DO $$ BEGIN
  ALTER TABLE ledger_invoice ADD CONSTRAINT ledger_invoice_id_org UNIQUE (id, organization_id);
EXCEPTION WHEN duplicate_table OR duplicate_object THEN NULL;  -- the key is there already
END $$;

ALTER TABLE ledger_invoice DROP CONSTRAINT IF EXISTS ledger_invoice_counterparty_same_org;
ALTER TABLE ledger_invoice ADD CONSTRAINT ledger_invoice_counterparty_same_org
  FOREIGN KEY (counterparty_id, organization_id) REFERENCES ledger_counterparty (id, organization_id);

ALTER TABLE ledger_invoice DROP CONSTRAINT IF EXISTS ledger_invoice_account_matches;
ALTER TABLE ledger_invoice ADD CONSTRAINT ledger_invoice_account_matches
  FOREIGN KEY (balance_account_id, organization_id, currency_id) REFERENCES ledger_account (id, organization_id, currency_id);

ALTER TABLE ledger_invoice DROP CONSTRAINT IF EXISTS ledger_invoice_issue_same_org;
ALTER TABLE ledger_invoice ADD CONSTRAINT ledger_invoice_issue_same_org
  FOREIGN KEY (issue_transaction_id, organization_id) REFERENCES ledger_transaction (id, organization_id);

ALTER TABLE ledger_invoice DROP CONSTRAINT IF EXISTS ledger_invoice_void_same_org;
ALTER TABLE ledger_invoice ADD CONSTRAINT ledger_invoice_void_same_org
  FOREIGN KEY (void_transaction_id, organization_id) REFERENCES ledger_transaction (id, organization_id);
