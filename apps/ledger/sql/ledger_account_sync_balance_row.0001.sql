-- Every account has exactly one balance row, created with it and kept in step with its settings.
--
-- The balance row follows its account's settings. An account that holds entries keeps its organization,
-- type and currency (the balance row is locked first, so a posting racing the change either commits before
-- it, and the change is refused, or sees the new currency and is refused); marking an account "never below
-- zero" while its balance is already past zero is refused, as an overdraft is. Because an account that
-- holds entries keeps its organization and currency, its balance row can stand for it when each new entry
-- is checked (ledger_entries_apply).

CREATE OR REPLACE FUNCTION ledger_account_sync_balance_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_row record;
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO ledger_accountbalance (account_id, organization_id, currency_id, precision, floor_sign, balance, entry_count)
    SELECT NEW.id, NEW.organization_id, NEW.currency_id, c.precision,
           ledger_floor_sign(NEW.non_negative, NEW.type), 0, 0
      FROM core_currency c WHERE c.code = NEW.currency_id;
    RETURN NULL;
  END IF;
  IF NEW.organization_id <> OLD.organization_id THEN
    RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'ledger_account_organization_fixed',
      MESSAGE = format('account %s cannot move to another organization', OLD.id);
  END IF;
  SELECT entry_count INTO v_row FROM ledger_accountbalance WHERE account_id = OLD.id FOR UPDATE;
  IF NEW.type <> OLD.type AND v_row.entry_count > 0 THEN
    RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'ledger_account_type_fixed',
      MESSAGE = format('account %s has entries: its type cannot change', OLD.id),
      DETAIL = json_build_object('account', OLD.id)::text;
  END IF;
  IF NEW.currency_id <> OLD.currency_id AND v_row.entry_count > 0 THEN
    RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'ledger_account_currency_fixed',
      MESSAGE = format('account %s has entries in %s: its currency cannot change', OLD.id, OLD.currency_id),
      DETAIL = json_build_object('account', OLD.id, 'currency', OLD.currency_id)::text;
  END IF;
  UPDATE ledger_accountbalance
     SET floor_sign = ledger_floor_sign(NEW.non_negative, NEW.type),
         currency_id = NEW.currency_id,
         precision = (SELECT c.precision FROM core_currency c WHERE c.code = NEW.currency_id)
   WHERE account_id = NEW.id
  RETURNING balance, floor_sign INTO v_row;
  IF (v_row.floor_sign = 1 AND v_row.balance < 0) OR (v_row.floor_sign = -1 AND v_row.balance > 0) THEN
    RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'ledger_balance_respects_floor',
      MESSAGE = format('account %s is already past zero (%s)', NEW.id, v_row.balance),
      DETAIL = json_build_object('account', NEW.id, 'balance', v_row.balance::text)::text;
  END IF;
  RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS ledger_account_balance_row ON ledger_account;
CREATE TRIGGER ledger_account_balance_row AFTER INSERT OR UPDATE OF organization_id, currency_id, type, non_negative
  ON ledger_account FOR EACH ROW EXECUTE FUNCTION ledger_account_sync_balance_row();
