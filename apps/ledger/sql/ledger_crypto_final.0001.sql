-- Pending is the only state that changes: confirmed and failed are final, and a confirmed detail (part of
-- the books, with its posting) is never deleted. A failed or pending one may be deleted to register again.

CREATE OR REPLACE FUNCTION ledger_crypto_final() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (TG_OP = 'UPDATE' AND OLD.status <> 'pending') OR (TG_OP = 'DELETE' AND OLD.status = 'confirmed') THEN
    RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'ledger_crypto_final',
      MESSAGE = format('crypto transfer %s is %s: it cannot change', OLD.id, OLD.status),
      DETAIL = json_build_object('detail', OLD.id, 'status', OLD.status, 'tx_hash', OLD.tx_hash)::text;
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS ledger_crypto_final ON ledger_cryptotransactiondetail;
CREATE TRIGGER ledger_crypto_final BEFORE UPDATE OR DELETE ON ledger_cryptotransactiondetail
  FOR EACH ROW EXECUTE FUNCTION ledger_crypto_final();
