-- A crypto transfer's wallet and counter accounts belong to its organization and hold the token's currency;
-- its fee accounts and its posting belong to its organization.
--
-- Idempotent: a unique key is added only when missing (other tables' foreign keys may reference it, so it
-- is never dropped and added again); a foreign key is dropped and added, so this file is its whole definition.

ALTER TABLE ledger_cryptotransactiondetail DROP CONSTRAINT IF EXISTS ledger_crypto_account_matches;
ALTER TABLE ledger_cryptotransactiondetail ADD CONSTRAINT ledger_crypto_account_matches
  FOREIGN KEY (account_id, organization_id, token) REFERENCES ledger_account (id, organization_id, currency_id);

ALTER TABLE ledger_cryptotransactiondetail DROP CONSTRAINT IF EXISTS ledger_crypto_counter_account_matches;
ALTER TABLE ledger_cryptotransactiondetail ADD CONSTRAINT ledger_crypto_counter_account_matches
  FOREIGN KEY (counter_account_id, organization_id, token) REFERENCES ledger_account (id, organization_id, currency_id);

ALTER TABLE ledger_cryptotransactiondetail DROP CONSTRAINT IF EXISTS ledger_crypto_fee_account_same_org;
ALTER TABLE ledger_cryptotransactiondetail ADD CONSTRAINT ledger_crypto_fee_account_same_org
  FOREIGN KEY (fee_account_id, organization_id) REFERENCES ledger_account (id, organization_id);

ALTER TABLE ledger_cryptotransactiondetail DROP CONSTRAINT IF EXISTS ledger_crypto_fee_source_same_org;
ALTER TABLE ledger_cryptotransactiondetail ADD CONSTRAINT ledger_crypto_fee_source_same_org
  FOREIGN KEY (fee_source_account_id, organization_id) REFERENCES ledger_account (id, organization_id);

ALTER TABLE ledger_cryptotransactiondetail DROP CONSTRAINT IF EXISTS ledger_crypto_transaction_same_org;
ALTER TABLE ledger_cryptotransactiondetail ADD CONSTRAINT ledger_crypto_transaction_same_org
  FOREIGN KEY (transaction_id, organization_id) REFERENCES ledger_transaction (id, organization_id);
