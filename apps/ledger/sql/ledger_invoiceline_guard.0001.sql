-- Lines change only while their invoice is a draft. FOR SHARE waits for an issue in progress (which holds
-- the invoice row FOR UPDATE), so no line slips in between the issue reading the lines and committing.

CREATE OR REPLACE FUNCTION ledger_invoiceline_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_invoice bigint;
  v_status text;
BEGIN
  FOREACH v_invoice IN ARRAY CASE TG_OP
      WHEN 'INSERT' THEN ARRAY[NEW.invoice_id]
      WHEN 'DELETE' THEN ARRAY[OLD.invoice_id]
      ELSE ARRAY[OLD.invoice_id, NEW.invoice_id] END LOOP
    SELECT status INTO v_status FROM ledger_invoice WHERE id = v_invoice FOR SHARE;
    IF FOUND AND v_status <> 'draft' THEN
      RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'ledger_invoice_immutable',
        MESSAGE = format('invoice %s is %s: its lines cannot change', v_invoice, v_status),
        DETAIL = json_build_object('invoice', v_invoice, 'status', v_status)::text;
    END IF;
  END LOOP;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;

DROP TRIGGER IF EXISTS ledger_invoiceline_guard ON ledger_invoiceline;
CREATE TRIGGER ledger_invoiceline_guard BEFORE INSERT OR UPDATE OR DELETE ON ledger_invoiceline
  FOR EACH ROW EXECUTE FUNCTION ledger_invoiceline_guard();
