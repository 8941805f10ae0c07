-- An issued invoice never changes except for its status, paid amount and void posting; a void one never
-- changes; only a draft may be deleted. On leaving draft, the total is the sum of the lines.

CREATE OR REPLACE FUNCTION ledger_invoice_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_lines numeric;
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD.status <> 'draft' THEN
      RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'ledger_invoice_immutable',
        MESSAGE = format('invoice %s is %s: only a draft may be deleted', OLD.id, OLD.status),
        DETAIL = json_build_object('invoice', OLD.id, 'status', OLD.status)::text;
    END IF;
    RETURN OLD;
  END IF;
  IF OLD.status = 'void' AND NEW IS DISTINCT FROM OLD THEN
    RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'ledger_invoice_immutable',
      MESSAGE = format('invoice %s is void and cannot change', OLD.id),
      DETAIL = json_build_object('invoice', OLD.id, 'status', OLD.status)::text;
  END IF;
  IF OLD.status <> 'draft' AND (
       NEW.organization_id, NEW.kind, NEW.number, NEW.reference, NEW.counterparty_id, NEW.currency_id,
       NEW.issue_date, NEW.due_date, NEW.total, NEW.notes, NEW.balance_account_id, NEW.issue_transaction_id,
       NEW.issued_at
     ) IS DISTINCT FROM (
       OLD.organization_id, OLD.kind, OLD.number, OLD.reference, OLD.counterparty_id, OLD.currency_id,
       OLD.issue_date, OLD.due_date, OLD.total, OLD.notes, OLD.balance_account_id, OLD.issue_transaction_id,
       OLD.issued_at
     ) THEN
    RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'ledger_invoice_immutable',
      MESSAGE = format('invoice %s is issued: only its payments and voiding may change it', OLD.id),
      DETAIL = json_build_object('invoice', OLD.id, 'status', OLD.status)::text;
  END IF;
  IF OLD.status = 'draft' AND NEW.status NOT IN ('draft', 'void') THEN
    SELECT coalesce(sum(amount), 0) INTO v_lines FROM ledger_invoiceline WHERE invoice_id = NEW.id;
    IF v_lines <> NEW.total THEN
      RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'ledger_invoice_total_lines',
        MESSAGE = format('invoice %s: total %s is not the sum of its lines %s', NEW.id, NEW.total, v_lines),
        DETAIL = json_build_object('invoice', NEW.id, 'total', NEW.total::text, 'lines', v_lines::text)::text;
    END IF;
  END IF;
  RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS ledger_invoice_guard ON ledger_invoice;
CREATE TRIGGER ledger_invoice_guard BEFORE UPDATE OR DELETE ON ledger_invoice
  FOR EACH ROW EXECUTE FUNCTION ledger_invoice_guard();
