"""The ledger's rules, held by PostgreSQL itself so that raw SQL, bulk paths and races cannot break them.

Errors raised here use SQLSTATE 23514 (check_violation) with a constraint name the application maps to a
translated message (apps/ledger/errors.py) and a JSON DETAIL with the values involved.
"""

from django.db import migrations

COMPOSITE_KEYS = """
ALTER TABLE ledger_transaction ADD CONSTRAINT ledger_transaction_id_org_date UNIQUE (id, organization_id, date);
ALTER TABLE ledger_account ADD CONSTRAINT ledger_account_id_org_currency UNIQUE (id, organization_id, currency_id);
ALTER TABLE ledger_project ADD CONSTRAINT ledger_project_id_org UNIQUE (id, organization_id);
ALTER TABLE ledger_category ADD CONSTRAINT ledger_category_id_org UNIQUE (id, organization_id);
ALTER TABLE ledger_counterparty ADD CONSTRAINT ledger_counterparty_id_org UNIQUE (id, organization_id);

-- An entry has its transaction's organization and date, and its account's organization and currency.
ALTER TABLE ledger_transactionentry
  ADD CONSTRAINT ledger_entry_matches_transaction FOREIGN KEY (transaction_id, organization_id, date)
      REFERENCES ledger_transaction (id, organization_id, date),
  ADD CONSTRAINT ledger_entry_matches_account FOREIGN KEY (account_id, organization_id, currency_id)
      REFERENCES ledger_account (id, organization_id, currency_id),
  ADD CONSTRAINT ledger_entry_project_same_org FOREIGN KEY (project_id, organization_id)
      REFERENCES ledger_project (id, organization_id),
  ADD CONSTRAINT ledger_entry_category_same_org FOREIGN KEY (category_id, organization_id)
      REFERENCES ledger_category (id, organization_id),
  ADD CONSTRAINT ledger_entry_counterparty_same_org FOREIGN KEY (counterparty_id, organization_id)
      REFERENCES ledger_counterparty (id, organization_id),
  ADD CONSTRAINT ledger_entry_currency_known FOREIGN KEY (currency_id) REFERENCES core_currency (code);

-- A reversal reverses a transaction of its own organization; an account's parent is in its organization.
ALTER TABLE ledger_transaction ADD CONSTRAINT ledger_transaction_id_org UNIQUE (id, organization_id);
ALTER TABLE ledger_transaction ADD CONSTRAINT ledger_reversal_same_org
      FOREIGN KEY (reverses_id, organization_id) REFERENCES ledger_transaction (id, organization_id);
ALTER TABLE ledger_account ADD CONSTRAINT ledger_account_id_org UNIQUE (id, organization_id);
ALTER TABLE ledger_account ADD CONSTRAINT ledger_account_parent_same_org
      FOREIGN KEY (parent_id, organization_id) REFERENCES ledger_account (id, organization_id);
"""

COMPOSITE_KEYS_REVERSE = """
ALTER TABLE ledger_account DROP CONSTRAINT ledger_account_parent_same_org, DROP CONSTRAINT ledger_account_id_org;
ALTER TABLE ledger_transaction DROP CONSTRAINT ledger_reversal_same_org, DROP CONSTRAINT ledger_transaction_id_org;
ALTER TABLE ledger_transactionentry
  DROP CONSTRAINT ledger_entry_matches_transaction, DROP CONSTRAINT ledger_entry_matches_account,
  DROP CONSTRAINT ledger_entry_project_same_org, DROP CONSTRAINT ledger_entry_category_same_org,
  DROP CONSTRAINT ledger_entry_counterparty_same_org, DROP CONSTRAINT ledger_entry_currency_known;
ALTER TABLE ledger_counterparty DROP CONSTRAINT ledger_counterparty_id_org;
ALTER TABLE ledger_category DROP CONSTRAINT ledger_category_id_org;
ALTER TABLE ledger_project DROP CONSTRAINT ledger_project_id_org;
ALTER TABLE ledger_account DROP CONSTRAINT ledger_account_id_org_currency;
ALTER TABLE ledger_transaction DROP CONSTRAINT ledger_transaction_id_org_date;
"""

BALANCES = r"""
-- Every account has exactly one balance row, created with it and kept in step with its settings.
CREATE FUNCTION ledger_floor_sign(non_negative boolean, account_type text) RETURNS smallint
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN NOT non_negative THEN 0 WHEN account_type IN ('asset', 'expense') THEN 1 ELSE -1 END::smallint
$$;

CREATE FUNCTION ledger_account_sync_balance_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO ledger_accountbalance (account_id, organization_id, currency_id, precision, floor_sign, balance, entry_count)
    SELECT NEW.id, NEW.organization_id, NEW.currency_id, c.precision,
           ledger_floor_sign(NEW.non_negative, NEW.type), 0, 0
      FROM core_currency c WHERE c.code = NEW.currency_id;
  ELSE
    IF NEW.organization_id <> OLD.organization_id THEN
      RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'ledger_account_organization_fixed',
        MESSAGE = format('account %s cannot move to another organization', OLD.id);
    END IF;
    IF NEW.type <> OLD.type AND EXISTS (SELECT 1 FROM ledger_accountbalance WHERE account_id = OLD.id AND entry_count > 0) THEN
      RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'ledger_account_type_fixed',
        MESSAGE = format('account %s has entries: its type cannot change', OLD.id),
        DETAIL = json_build_object('account', OLD.id)::text;
    END IF;
    -- Turning "never below zero" on while the balance is already below zero fails the balance row's CHECK.
    UPDATE ledger_accountbalance
       SET floor_sign = ledger_floor_sign(NEW.non_negative, NEW.type),
           currency_id = NEW.currency_id,
           precision = (SELECT c.precision FROM core_currency c WHERE c.code = NEW.currency_id)
     WHERE account_id = NEW.id;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER ledger_account_balance_row AFTER INSERT OR UPDATE OF organization_id, currency_id, type, non_negative
  ON ledger_account FOR EACH ROW EXECUTE FUNCTION ledger_account_sync_balance_row();

-- Balance rows are written by the triggers above and below only, never directly.
CREATE FUNCTION ledger_balance_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF pg_trigger_depth() > 1 THEN
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  END IF;
  IF TG_OP = 'DELETE' AND OLD.entry_count = 0 THEN
    RETURN OLD;  -- an unused account is being deleted
  END IF;
  RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'ledger_balance_derived',
    MESSAGE = 'account balances are derived from entries and cannot be written directly';
END $$;

CREATE TRIGGER ledger_balance_guard BEFORE INSERT OR UPDATE OR DELETE ON ledger_accountbalance
  FOR EACH ROW EXECUTE FUNCTION ledger_balance_guard();

-- Posting an entry moves its account's balance in the same statement (a row lock serialises writers of
-- one account; no lost update) and checks the amount against the currency's precision.
CREATE FUNCTION ledger_entry_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_precision smallint;
BEGIN
  UPDATE ledger_accountbalance
     SET balance = balance + NEW.amount, entry_count = entry_count + 1
   WHERE account_id = NEW.account_id
  RETURNING precision INTO v_precision;
  IF NEW.amount <> round(NEW.amount, v_precision) THEN
    RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'ledger_entry_precision',
      MESSAGE = format('%s has more decimals than %s allows (%s)', NEW.amount, NEW.currency_id, v_precision),
      DETAIL = json_build_object('amount', NEW.amount::text, 'currency', NEW.currency_id, 'precision', v_precision)::text;
  END IF;
  -- A leg added after this transaction was verified must be verified again at commit.
  PERFORM set_config('ledger.verified_transaction', '', true);
  RETURN NULL;
END $$;

CREATE TRIGGER ledger_entry_apply AFTER INSERT ON ledger_transactionentry
  FOR EACH ROW EXECUTE FUNCTION ledger_entry_apply();
"""

IMMUTABLE = r"""
-- Posted records are never edited or deleted: the way forward is a reversal.
CREATE FUNCTION ledger_posted_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'ledger_posted_immutable',
    MESSAGE = format('posted %s rows cannot be %s; post a reversal instead',
                     TG_TABLE_NAME, CASE TG_OP WHEN 'UPDATE' THEN 'changed' ELSE 'deleted' END);
END $$;

CREATE TRIGGER ledger_transaction_immutable BEFORE UPDATE OR DELETE ON ledger_transaction
  FOR EACH ROW EXECUTE FUNCTION ledger_posted_immutable();
CREATE TRIGGER ledger_entry_immutable BEFORE UPDATE OR DELETE ON ledger_transactionentry
  FOR EACH ROW EXECUTE FUNCTION ledger_posted_immutable();
"""

PERIODS = r"""
-- Nothing is posted (or reversed) with a date inside the organization's closed period. Posting takes a
-- shared advisory lock on the organization's period and moving the lock takes it exclusively, so a
-- posting and a lock that race are ordered: one of them waits for the other to commit.
CREATE FUNCTION ledger_period_open() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_through date;
BEGIN
  PERFORM pg_advisory_xact_lock_shared(hashtextextended('ledger.period', NEW.organization_id));
  SELECT locked_through INTO v_through FROM ledger_periodlock WHERE organization_id = NEW.organization_id;
  IF v_through IS NOT NULL AND NEW.date <= v_through THEN
    RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'ledger_period_closed',
      MESSAGE = format('the period through %s is closed; %s is inside it', v_through, NEW.date),
      DETAIL = json_build_object('date', NEW.date, 'locked_through', v_through)::text;
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER ledger_transaction_period_open BEFORE INSERT ON ledger_transaction
  FOR EACH ROW EXECUTE FUNCTION ledger_period_open();

CREATE FUNCTION ledger_period_lock_exclusive() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('ledger.period', NEW.organization_id));
  RETURN NEW;
END $$;

CREATE TRIGGER ledger_periodlock_exclusive BEFORE INSERT OR UPDATE ON ledger_periodlock
  FOR EACH ROW EXECUTE FUNCTION ledger_period_lock_exclusive();
"""

BALANCED = r"""
-- At commit, each transaction touched has at least two legs, exactly the number it declares, and sums to
-- zero in every currency. Checks run once per transaction (the setting remembers the last one verified).
CREATE FUNCTION ledger_verify_transaction(p_transaction bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  v_declared integer;
  v_legs integer;
  v_currency text;
  v_total numeric;
BEGIN
  IF current_setting('ledger.verified_transaction', true) = p_transaction::text THEN
    RETURN;
  END IF;
  SELECT leg_count INTO v_declared FROM ledger_transaction WHERE id = p_transaction;
  SELECT count(*) INTO v_legs FROM ledger_transactionentry WHERE transaction_id = p_transaction;
  IF v_declared IS NULL THEN
    IF v_legs > 0 THEN
      RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'ledger_transaction_balanced',
        MESSAGE = format('entries belong to transaction %s, which does not exist', p_transaction);
    END IF;
    RETURN;
  END IF;
  IF v_legs < 2 OR v_legs <> v_declared THEN
    RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'ledger_transaction_legs',
      MESSAGE = format('transaction %s has %s legs but declares %s (at least two are needed)',
                       p_transaction, v_legs, v_declared),
      DETAIL = json_build_object('transaction', p_transaction, 'legs', v_legs, 'declared', v_declared)::text;
  END IF;
  SELECT currency_id, sum(amount) INTO v_currency, v_total
    FROM ledger_transactionentry WHERE transaction_id = p_transaction
   GROUP BY currency_id HAVING sum(amount) <> 0 LIMIT 1;
  IF v_currency IS NOT NULL THEN
    RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'ledger_transaction_balanced',
      MESSAGE = format('transaction %s does not balance in %s: its entries sum to %s',
                       p_transaction, v_currency, v_total),
      DETAIL = json_build_object('transaction', p_transaction, 'currency', v_currency, 'total', v_total::text)::text;
  END IF;
  PERFORM set_config('ledger.verified_transaction', p_transaction::text, true);
END $$;

CREATE FUNCTION ledger_transaction_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM ledger_verify_transaction(NEW.id);
  RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER ledger_transaction_balanced AFTER INSERT ON ledger_transaction
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_transaction_check();

CREATE FUNCTION ledger_entry_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    PERFORM ledger_verify_transaction(NEW.transaction_id);
  END IF;
  IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.transaction_id IS DISTINCT FROM NEW.transaction_id) THEN
    PERFORM set_config('ledger.verified_transaction', '', true);
    PERFORM ledger_verify_transaction(OLD.transaction_id);
  END IF;
  RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER ledger_entries_balanced AFTER INSERT OR UPDATE OR DELETE ON ledger_transactionentry
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_entry_check();
"""

POST_FUNCTION = r"""
-- One posting in one round trip: validates the legs (naming the leg at fault), inserts the transaction
-- and its legs in account order (a fixed lock order, so concurrent postings never deadlock), and returns
-- the transaction id. With an idempotency key already used, it returns that transaction and posts nothing.
-- p_legs: [{"account": id, "amount": "12.50", "project": id|null, "category": id|null,
--           "counterparty": id|null, "memo": "..."}, ...]
CREATE FUNCTION ledger_post(
  p_organization bigint, p_date date, p_kind text, p_description text, p_idempotency_key text,
  p_created_by bigint, p_reverses bigint, p_fx_rate bigint, p_legs jsonb,
  OUT transaction_id bigint, OUT created boolean, OUT created_at timestamptz
) LANGUAGE plpgsql AS $$
DECLARE
  v_leg record;
  v_currency text;
  v_total numeric;
BEGIN
  INSERT INTO ledger_transaction (organization_id, date, kind, description, leg_count, idempotency_key,
                                  reverses_id, fx_rate_id, created_by_id, created_at)
  VALUES (p_organization, p_date, p_kind, coalesce(p_description, ''), jsonb_array_length(p_legs),
          p_idempotency_key, p_reverses, p_fx_rate, p_created_by, now())
  ON CONFLICT (organization_id, idempotency_key) DO NOTHING
  RETURNING id, ledger_transaction.created_at INTO transaction_id, created_at;
  IF transaction_id IS NULL THEN
    SELECT t.id, t.created_at INTO transaction_id, created_at FROM ledger_transaction t
     WHERE t.organization_id = p_organization AND t.idempotency_key = p_idempotency_key;
    created := false;
    RETURN;
  END IF;
  created := true;

  FOR v_leg IN
    SELECT l.n - 1 AS leg, a.id AS account, a.organization_id, a.is_active, a.currency_id, c.precision,
           (l.value->>'amount')::numeric AS amount, l.value->>'account' AS given
      FROM jsonb_array_elements(p_legs) WITH ORDINALITY AS l(value, n)
      LEFT JOIN ledger_account a ON a.id = (l.value->>'account')::bigint
      LEFT JOIN core_currency c ON c.code = a.currency_id
     ORDER BY l.n
  LOOP
    IF v_leg.account IS NULL OR v_leg.organization_id <> p_organization THEN
      RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'ledger_leg_account_unknown',
        MESSAGE = format('leg %s: account %s does not exist in this organization', v_leg.leg, v_leg.given),
        DETAIL = json_build_object('leg', v_leg.leg, 'account', v_leg.given)::text;
    END IF;
    IF NOT v_leg.is_active THEN
      RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'ledger_leg_account_inactive',
        MESSAGE = format('leg %s: account %s is closed', v_leg.leg, v_leg.account),
        DETAIL = json_build_object('leg', v_leg.leg, 'account', v_leg.account)::text;
    END IF;
    IF v_leg.amount IS NULL OR v_leg.amount = 0 THEN
      RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'ledger_leg_amount_zero',
        MESSAGE = format('leg %s: the amount must not be zero', v_leg.leg),
        DETAIL = json_build_object('leg', v_leg.leg)::text;
    END IF;
    IF v_leg.amount <> round(v_leg.amount, v_leg.precision) THEN
      RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'ledger_entry_precision',
        MESSAGE = format('leg %s: %s has more decimals than %s allows (%s)',
                         v_leg.leg, v_leg.amount, v_leg.currency_id, v_leg.precision),
        DETAIL = json_build_object('leg', v_leg.leg, 'amount', v_leg.amount::text,
                                   'currency', v_leg.currency_id, 'precision', v_leg.precision)::text;
    END IF;
  END LOOP;

  SELECT a.currency_id, sum((l.value->>'amount')::numeric) INTO v_currency, v_total
    FROM jsonb_array_elements(p_legs) AS l(value)
    JOIN ledger_account a ON a.id = (l.value->>'account')::bigint
   GROUP BY a.currency_id HAVING sum((l.value->>'amount')::numeric) <> 0 LIMIT 1;
  IF v_currency IS NOT NULL THEN
    RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'ledger_transaction_balanced',
      MESSAGE = format('the entries do not balance in %s: they sum to %s', v_currency, v_total),
      DETAIL = json_build_object('currency', v_currency, 'total', v_total::text)::text;
  END IF;

  INSERT INTO ledger_transactionentry (transaction_id, organization_id, date, account_id, currency_id, amount,
                                       project_id, category_id, counterparty_id, memo)
  SELECT transaction_id, p_organization, p_date, a.id, a.currency_id, (l.value->>'amount')::numeric,
         (l.value->>'project')::bigint, (l.value->>'category')::bigint, (l.value->>'counterparty')::bigint,
         coalesce(l.value->>'memo', '')
    FROM jsonb_array_elements(p_legs) WITH ORDINALITY AS l(value, n)
    JOIN ledger_account a ON a.id = (l.value->>'account')::bigint
   ORDER BY a.id, l.n;
END $$;
"""

DROP_ALL = """
DROP FUNCTION IF EXISTS ledger_post(bigint, date, text, text, text, bigint, bigint, bigint, jsonb);
DROP TRIGGER IF EXISTS ledger_entries_balanced ON ledger_transactionentry;
DROP TRIGGER IF EXISTS ledger_transaction_balanced ON ledger_transaction;
DROP FUNCTION IF EXISTS ledger_entry_check(), ledger_transaction_check(), ledger_verify_transaction(bigint);
DROP TRIGGER IF EXISTS ledger_periodlock_exclusive ON ledger_periodlock;
DROP TRIGGER IF EXISTS ledger_transaction_period_open ON ledger_transaction;
DROP FUNCTION IF EXISTS ledger_period_lock_exclusive(), ledger_period_open();
DROP TRIGGER IF EXISTS ledger_entry_immutable ON ledger_transactionentry;
DROP TRIGGER IF EXISTS ledger_transaction_immutable ON ledger_transaction;
DROP FUNCTION IF EXISTS ledger_posted_immutable();
DROP TRIGGER IF EXISTS ledger_entry_apply ON ledger_transactionentry;
DROP TRIGGER IF EXISTS ledger_balance_guard ON ledger_accountbalance;
DROP TRIGGER IF EXISTS ledger_account_balance_row ON ledger_account;
DROP FUNCTION IF EXISTS ledger_entry_apply(), ledger_balance_guard(), ledger_account_sync_balance_row(),
  ledger_floor_sign(boolean, text);
"""


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_books")]

    operations = [
        migrations.RunSQL(COMPOSITE_KEYS, COMPOSITE_KEYS_REVERSE),
        migrations.RunSQL(BALANCES + IMMUTABLE + PERIODS + BALANCED + POST_FUNCTION, DROP_ALL),
    ]
