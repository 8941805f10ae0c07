-- A payment is never edited (but for recording its reversal, once) nor deleted.

CREATE OR REPLACE FUNCTION ledger_invoicepayment_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' OR OLD.reversal_transaction_id IS NOT NULL OR (
       NEW.organization_id, NEW.invoice_id, NEW.date, NEW.amount, NEW.account_id, NEW.transaction_id
     ) IS DISTINCT FROM (
       OLD.organization_id, OLD.invoice_id, OLD.date, OLD.amount, OLD.account_id, OLD.transaction_id
     ) THEN
    RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'ledger_invoicepayment_immutable',
      MESSAGE = format('invoice payment %s is posted: reverse it instead', OLD.id),
      DETAIL = json_build_object('payment', OLD.id)::text;
  END IF;
  RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS ledger_invoicepayment_guard ON ledger_invoicepayment;
CREATE TRIGGER ledger_invoicepayment_guard BEFORE UPDATE OR DELETE ON ledger_invoicepayment
  FOR EACH ROW EXECUTE FUNCTION ledger_invoicepayment_guard();
