-- An entry's project, category and counterparty are of its own organization.
--
-- An entry's account (of its organization, in its currency) and its transaction (same organization and
-- date) are not foreign keys: each foreign key check is a query with a row lock for every leg, so those
-- rules are checked by the ledger's triggers instead (ledger_entries_apply, ledger_verify_transaction),
-- raising the names these keys had: ledger_entry_matches_account, ledger_entry_matches_transaction. Nor
-- is the entry's currency a key of its own: it is its account's, whose currency exists.
--
-- Idempotent: a unique key is added only when missing (other tables' foreign keys may reference it, so it
-- is never dropped and added again); a foreign key is dropped and added, so this file is its whole definition.

ALTER TABLE ledger_transactionentry DROP CONSTRAINT IF EXISTS ledger_entry_project_same_org;
ALTER TABLE ledger_transactionentry ADD CONSTRAINT ledger_entry_project_same_org
  FOREIGN KEY (project_id, organization_id) REFERENCES ledger_project (id, organization_id);

ALTER TABLE ledger_transactionentry DROP CONSTRAINT IF EXISTS ledger_entry_category_same_org;
ALTER TABLE ledger_transactionentry ADD CONSTRAINT ledger_entry_category_same_org
  FOREIGN KEY (category_id, organization_id) REFERENCES ledger_category (id, organization_id);

ALTER TABLE ledger_transactionentry DROP CONSTRAINT IF EXISTS ledger_entry_counterparty_same_org;
ALTER TABLE ledger_transactionentry ADD CONSTRAINT ledger_entry_counterparty_same_org
  FOREIGN KEY (counterparty_id, organization_id) REFERENCES ledger_counterparty (id, organization_id);
