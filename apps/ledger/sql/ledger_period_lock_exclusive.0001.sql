-- Moving an organization's closed period takes its period lock exclusively; posting takes it shared
-- (ledger_transactions_check), so a posting and a new closed period that race are ordered.

CREATE OR REPLACE FUNCTION ledger_period_lock_exclusive() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('ledger.period', NEW.organization_id));
  RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS ledger_periodlock_exclusive ON ledger_periodlock;
CREATE TRIGGER ledger_periodlock_exclusive BEFORE INSERT OR UPDATE ON ledger_periodlock
  FOR EACH ROW EXECUTE FUNCTION ledger_period_lock_exclusive();
