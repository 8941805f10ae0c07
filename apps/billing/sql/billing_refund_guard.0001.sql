-- Refunds never exceed what their payment captured: pending and succeeded refunds of a payment together are
-- at most its captured amount. The payment's row is locked first, so two refunds written at once (by the
-- service, raw SQL or a bulk path) are counted one after the other. A refund's payment, amount and key never
-- change; a final refund (succeeded, canceled) keeps its status; no refund is deleted.

CREATE OR REPLACE FUNCTION billing_refund_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  captured numeric;
  taken numeric;
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'billing_refund_kept',
      MESSAGE = format('refund %s is never deleted', OLD.id);
  END IF;
  IF TG_OP = 'UPDATE' THEN
    IF (NEW.organization_id, NEW.payment_id, NEW.amount, NEW.idempotency_key)
         IS DISTINCT FROM (OLD.organization_id, OLD.payment_id, OLD.amount, OLD.idempotency_key) THEN
      RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'billing_refund_request_fixed',
        MESSAGE = format('refund %s: what was asked of the provider never changes', OLD.id);
    END IF;
    IF OLD.status <> 'pending' AND NEW.status IS DISTINCT FROM OLD.status THEN
      RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'billing_refund_status_final',
        MESSAGE = format('refund %s is %s: its status is final', OLD.id, OLD.status);
    END IF;
  END IF;
  IF NEW.status IN ('pending', 'succeeded') THEN
    SELECT p.captured_amount INTO captured FROM billing_payment p WHERE p.id = NEW.payment_id FOR UPDATE;
    SELECT coalesce(sum(r.amount), 0) INTO taken FROM billing_refund r
     WHERE r.payment_id = NEW.payment_id AND r.status IN ('pending', 'succeeded') AND r.id <> NEW.id;
    IF taken + NEW.amount > captured THEN
      RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'billing_refund_within_captured',
        MESSAGE = format('refunds of payment %s would come to %s, more than the %s captured',
                         NEW.payment_id, taken + NEW.amount, captured),
        DETAIL = json_build_object('payment', NEW.payment_id, 'captured', captured, 'refunded', taken,
                                   'amount', NEW.amount)::text;
    END IF;
  END IF;
  RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS billing_refund_guard ON billing_refund;
CREATE TRIGGER billing_refund_guard BEFORE INSERT OR UPDATE OR DELETE ON billing_refund
  FOR EACH ROW EXECUTE FUNCTION billing_refund_guard();
