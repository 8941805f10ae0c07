-- ledger_floor_sign: which way an account's balance may not go (0: either way; 1: not below zero, for a
-- debit-normal account marked "never below zero"; -1: not above zero, for a credit-normal one). The balance
-- rows carry it (ledger_account_sync_balance_row) so that a posting checks its floor without reading the
-- account.

CREATE OR REPLACE FUNCTION ledger_floor_sign(non_negative boolean, account_type text) RETURNS smallint
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN NOT non_negative THEN 0 WHEN account_type IN ('asset', 'expense') THEN 1 ELSE -1 END::smallint
$$;
