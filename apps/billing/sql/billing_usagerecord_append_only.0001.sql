-- Usage records are the truth from which counters, usage and overage are derived: once written, a record is
-- never changed or deleted. A correction is a new record (a release, a settle, a give-back).

CREATE OR REPLACE FUNCTION billing_usagerecord_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'billing_usagerecord_append_only',
    MESSAGE = format('%s rows are append-only: they cannot be %s',
                     TG_TABLE_NAME, CASE TG_OP WHEN 'UPDATE' THEN 'changed' ELSE 'deleted' END);
END $$;

DROP TRIGGER IF EXISTS billing_usagerecord_append_only ON billing_usagerecord;
CREATE TRIGGER billing_usagerecord_append_only BEFORE UPDATE OR DELETE ON billing_usagerecord
  FOR EACH ROW EXECUTE FUNCTION billing_usagerecord_append_only();
