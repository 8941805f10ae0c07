-- At commit, an invoice's paid amount is the sum of its payments that stand (not reversed).

CREATE OR REPLACE FUNCTION ledger_invoice_paid_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_invoice bigint;
  v_paid numeric;
  v_sum numeric;
BEGIN
  IF TG_TABLE_NAME = 'ledger_invoice' THEN
    v_invoice := NEW.id;
  ELSE
    v_invoice := NEW.invoice_id;
  END IF;
  SELECT paid_amount INTO v_paid FROM ledger_invoice WHERE id = v_invoice;
  IF NOT FOUND THEN
    RETURN NULL;  -- a draft created and deleted in the same transaction
  END IF;
  SELECT coalesce(sum(amount), 0) INTO v_sum FROM ledger_invoicepayment
   WHERE invoice_id = v_invoice AND reversal_transaction_id IS NULL;
  IF v_paid IS DISTINCT FROM v_sum THEN
    RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'ledger_invoice_paid_sum',
      MESSAGE = format('invoice %s: paid amount %s is not the sum of its payments %s', v_invoice, v_paid, v_sum),
      DETAIL = json_build_object('invoice', v_invoice, 'paid', v_paid::text, 'payments', v_sum::text)::text;
  END IF;
  RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS ledger_invoice_paid_check ON ledger_invoice;
CREATE CONSTRAINT TRIGGER ledger_invoice_paid_check AFTER INSERT OR UPDATE OF paid_amount ON ledger_invoice
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_invoice_paid_check();
DROP TRIGGER IF EXISTS ledger_invoicepayment_paid_check ON ledger_invoicepayment;
CREATE CONSTRAINT TRIGGER ledger_invoicepayment_paid_check AFTER INSERT OR UPDATE ON ledger_invoicepayment
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_invoice_paid_check();
