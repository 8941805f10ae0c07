-- A payment's amount has no more decimals than its currency allows. Its status only moves forward (pending -> waiting_for_capture -> succeeded | canceled | failed) and
-- a final status never changes; what was asked (organization, gateway, amount, currency, key) never changes;
-- what was captured is fixed once the payment is final. A payment the provider knows is never deleted.

CREATE OR REPLACE FUNCTION billing_payment_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  places integer;
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT c.precision INTO places FROM core_currency c WHERE c.code = NEW.currency_id;
    IF NEW.amount <> round(NEW.amount, places) THEN
      RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'billing_payment_amount_precision',
        MESSAGE = format('%s has more decimals than %s allows (%s)', NEW.amount, NEW.currency_id, places);
    END IF;
    RETURN NEW;
  END IF;
  IF TG_OP = 'DELETE' THEN
    IF OLD.status <> 'pending' OR OLD.provider_payment_id <> '' THEN
      RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'billing_payment_kept',
        MESSAGE = format('payment %s is known to its provider: it is never deleted', OLD.id);
    END IF;
    RETURN OLD;
  END IF;
  IF (NEW.organization_id, NEW.gateway_id, NEW.amount, NEW.currency_id, NEW.idempotency_key)
       IS DISTINCT FROM (OLD.organization_id, OLD.gateway_id, OLD.amount, OLD.currency_id, OLD.idempotency_key) THEN
    RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'billing_payment_request_fixed',
      MESSAGE = format('payment %s: what was asked of the provider never changes', OLD.id);
  END IF;
  IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
       (OLD.status = 'pending' AND NEW.status IN ('waiting_for_capture', 'succeeded', 'canceled', 'failed'))
    OR (OLD.status = 'waiting_for_capture' AND NEW.status IN ('succeeded', 'canceled'))
  ) THEN
    RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'billing_payment_status_forward',
      MESSAGE = format('payment %s cannot go from %s to %s', OLD.id, OLD.status, NEW.status),
      DETAIL = json_build_object('payment', OLD.id, 'from', OLD.status, 'to', NEW.status)::text;
  END IF;
  IF OLD.status IN ('succeeded', 'canceled', 'failed') AND NEW.captured_amount IS DISTINCT FROM OLD.captured_amount THEN
    RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'billing_payment_captured_fixed',
      MESSAGE = format('payment %s is %s: its captured amount is fixed', OLD.id, OLD.status);
  END IF;
  RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS billing_payment_guard ON billing_payment;
CREATE TRIGGER billing_payment_guard BEFORE INSERT OR UPDATE OR DELETE ON billing_payment
  FOR EACH ROW EXECUTE FUNCTION billing_payment_guard();
