-- An invoice payment's invoice, account and postings belong to its organization.
--
-- Idempotent: a unique key is added only when missing (other tables' foreign keys may reference it, so it
-- is never dropped and added again); a foreign key is dropped and added, so this file is its whole definition.

ALTER TABLE ledger_invoicepayment DROP CONSTRAINT IF EXISTS ledger_invoicepayment_invoice_same_org;
ALTER TABLE ledger_invoicepayment ADD CONSTRAINT ledger_invoicepayment_invoice_same_org
  FOREIGN KEY (invoice_id, organization_id) REFERENCES ledger_invoice (id, organization_id);

ALTER TABLE ledger_invoicepayment DROP CONSTRAINT IF EXISTS ledger_invoicepayment_account_same_org;
ALTER TABLE ledger_invoicepayment ADD CONSTRAINT ledger_invoicepayment_account_same_org
  FOREIGN KEY (account_id, organization_id) REFERENCES ledger_account (id, organization_id);

ALTER TABLE ledger_invoicepayment DROP CONSTRAINT IF EXISTS ledger_invoicepayment_tx_same_org;
ALTER TABLE ledger_invoicepayment ADD CONSTRAINT ledger_invoicepayment_tx_same_org
  FOREIGN KEY (transaction_id, organization_id) REFERENCES ledger_transaction (id, organization_id);

ALTER TABLE ledger_invoicepayment DROP CONSTRAINT IF EXISTS ledger_invoicepayment_reversal_same_org;
ALTER TABLE ledger_invoicepayment ADD CONSTRAINT ledger_invoicepayment_reversal_same_org
  FOREIGN KEY (reversal_transaction_id, organization_id) REFERENCES ledger_transaction (id, organization_id);
