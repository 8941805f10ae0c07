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

-- Inserting entries moves their accounts' balances in the same statement: one set-based update per
-- INSERT, rows locked in account order (so concurrent postings never deadlock; a row lock serialises the
-- writers of one account, so no update is lost), and amounts checked against their currency's precision.
CREATE FUNCTION ledger_entries_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_bad record;
BEGIN
  PERFORM 1 FROM ledger_accountbalance
   WHERE account_id IN (SELECT DISTINCT account_id FROM new_entries)
   ORDER BY account_id FOR NO KEY UPDATE;
  UPDATE ledger_accountbalance b
     SET balance = b.balance + d.total, entry_count = b.entry_count + d.legs
    FROM (SELECT account_id, sum(amount) AS total, count(*) AS legs FROM new_entries GROUP BY account_id) d
   WHERE b.account_id = d.account_id;
  SELECT n.amount, n.currency_id, b.precision INTO v_bad
    FROM new_entries n JOIN ledger_accountbalance b ON b.account_id = n.account_id
   WHERE n.amount <> round(n.amount, b.precision) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'ledger_entry_precision',
      MESSAGE = format('%s has more decimals than %s allows (%s)', v_bad.amount, v_bad.currency_id, v_bad.precision),
      DETAIL = json_build_object('amount', v_bad.amount::text, 'currency', v_bad.currency_id,
                                 'precision', v_bad.precision)::text;
  END IF;
  -- A leg added after a transaction was verified must be verified again at commit.
  PERFORM set_config('ledger.verified_transaction', '', true);
  RETURN NULL;
END $$;

CREATE TRIGGER ledger_entries_apply AFTER INSERT ON ledger_transactionentry
  REFERENCING NEW TABLE AS new_entries FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_apply();
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
  v_bad record;
BEGIN
  PERFORM pg_advisory_xact_lock_shared(hashtextextended('ledger.period', organization_id))
     FROM (SELECT DISTINCT organization_id FROM new_transactions ORDER BY 1) o;
  SELECT n.date, l.locked_through INTO v_bad
    FROM new_transactions n JOIN ledger_periodlock l ON l.organization_id = n.organization_id
   WHERE n.date <= l.locked_through LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'ledger_period_closed',
      MESSAGE = format('the period through %s is closed; %s is inside it', v_bad.locked_through, v_bad.date),
      DETAIL = json_build_object('date', v_bad.date, 'locked_through', v_bad.locked_through)::text;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER ledger_transaction_period_open AFTER INSERT ON ledger_transaction
  REFERENCING NEW TABLE AS new_transactions FOR EACH STATEMENT EXECUTE FUNCTION ledger_period_open();

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
  v record;
BEGIN
  IF current_setting('ledger.verified_transaction', true) = p_transaction::text THEN
    RETURN;
  END IF;
  -- One pass over the transaction's legs: how many, and the first currency that does not sum to zero.
  SELECT t.leg_count AS declared, coalesce(x.legs, 0) AS legs, x.currency, x.total INTO v
    FROM (SELECT p_transaction AS id) want
    LEFT JOIN ledger_transaction t ON t.id = want.id
    LEFT JOIN LATERAL (
          SELECT sum(c.n)::integer AS legs,
                 (array_agg(c.currency_id ORDER BY c.currency_id) FILTER (WHERE c.total <> 0))[1] AS currency,
                 (array_agg(c.total ORDER BY c.currency_id) FILTER (WHERE c.total <> 0))[1] AS total
            FROM (SELECT currency_id, count(*) AS n, sum(amount) AS total
                    FROM ledger_transactionentry WHERE transaction_id = want.id GROUP BY currency_id) c
         ) x ON true;
  IF v.declared IS NULL THEN
    IF v.legs > 0 THEN
      RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'ledger_transaction_balanced',
        MESSAGE = format('entries belong to transaction %s, which does not exist', p_transaction);
    END IF;
    RETURN;
  END IF;
  IF v.legs < 2 OR v.legs <> v.declared THEN
    RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'ledger_transaction_legs',
      MESSAGE = format('transaction %s has %s legs but declares %s (at least two are needed)',
                       p_transaction, v.legs, v.declared),
      DETAIL = json_build_object('transaction', p_transaction, 'legs', v.legs, 'declared', v.declared)::text;
  END IF;
  IF v.currency IS NOT NULL THEN
    RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'ledger_transaction_balanced',
      MESSAGE = format('transaction %s does not balance in %s: its entries sum to %s',
                       p_transaction, v.currency, v.total),
      DETAIL = json_build_object('transaction', p_transaction, 'currency', v.currency, 'total', v.total::text)::text;
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
-- Posting, in one round trip for one posting or thousands: validates every leg (naming the posting and
-- leg at fault), inserts the new transactions and then all their legs in one statement each, and returns
-- for each posting its transaction id and whether it was created. A posting whose idempotency key was
-- used before returns that transaction and posts nothing.
-- p_postings: [{"date": "2026-04-01", "kind": "income", "description": "...", "key": "...",
--               "reverses": id|null, "fx_rate": id|null,
--               "legs": [{"account": id, "amount": "12.50", "project": id|null, "category": id|null,
--                         "counterparty": id|null, "memo": "..."}, ...]}, ...]
CREATE FUNCTION ledger_post_many(p_organization bigint, p_created_by bigint, p_postings jsonb)
RETURNS TABLE (posting integer, transaction_id bigint, created boolean, created_at timestamptz)
LANGUAGE plpgsql
-- The statements' shapes never change; re-planning them for each call's JSON doubled the cost of a posting.
SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
DECLARE
  v_count integer := jsonb_array_length(p_postings);
  v_bad record;
  v_new bigint[];
  v_at timestamptz[];
BEGIN
  IF v_count > 1 THEN
    SELECT min(p.n) - 1 AS posting, p.v->>'key' AS key INTO v_bad
      FROM jsonb_array_elements(p_postings) WITH ORDINALITY AS p(v, n)
     GROUP BY p.v->>'key' HAVING count(*) > 1 LIMIT 1;
    IF FOUND THEN
      RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'ledger_batch_duplicate_key',
        MESSAGE = format('posting %s: the idempotency key %s appears more than once in this batch',
                         v_bad.posting, v_bad.key),
        DETAIL = json_build_object('posting', v_bad.posting, 'key', v_bad.key)::text;
    END IF;
  END IF;

  -- Every leg, with its account and currency; the first problem found, leg by leg, then per currency.
  WITH legs AS (
    SELECT p.n - 1 AS posting, l.n - 1 AS leg, l.v->>'account' AS given, a.id AS account, a.organization_id,
           a.is_active, a.currency_id, c.precision, (l.v->>'amount')::numeric AS amount
      FROM jsonb_array_elements(p_postings) WITH ORDINALITY AS p(v, n)
     CROSS JOIN jsonb_array_elements(p.v->'legs') WITH ORDINALITY AS l(v, n)
      LEFT JOIN LATERAL (SELECT * FROM ledger_account WHERE id = (l.v->>'account')::bigint) a ON true
      LEFT JOIN LATERAL (SELECT * FROM core_currency WHERE code = a.currency_id) c ON true
  ), problems AS (
    SELECT posting, leg, given, account, currency_id, precision, amount,
           CASE WHEN account IS NULL OR organization_id <> p_organization THEN 'ledger_leg_account_unknown'
                WHEN NOT is_active THEN 'ledger_leg_account_inactive'
                WHEN amount IS NULL OR amount = 0 THEN 'ledger_leg_amount_zero'
                WHEN amount <> round(amount, precision) THEN 'ledger_entry_precision' END AS rule
      FROM legs
    UNION ALL
    SELECT posting, NULL, NULL, NULL, currency_id, NULL, sum(amount), 'ledger_transaction_balanced'
      FROM legs WHERE currency_id IS NOT NULL GROUP BY posting, currency_id HAVING sum(amount) <> 0
  )
  SELECT * INTO v_bad FROM problems WHERE rule IS NOT NULL
   ORDER BY posting, rule = 'ledger_transaction_balanced', leg LIMIT 1;
  IF FOUND THEN
    IF v_bad.rule = 'ledger_leg_account_unknown' THEN
      RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = v_bad.rule,
        MESSAGE = format('posting %s, leg %s: account %s does not exist in this organization',
                         v_bad.posting, v_bad.leg, v_bad.given),
        DETAIL = json_build_object('posting', v_bad.posting, 'leg', v_bad.leg, 'account', v_bad.given)::text;
    ELSIF v_bad.rule = 'ledger_leg_account_inactive' THEN
      RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = v_bad.rule,
        MESSAGE = format('posting %s, leg %s: account %s is closed', v_bad.posting, v_bad.leg, v_bad.account),
        DETAIL = json_build_object('posting', v_bad.posting, 'leg', v_bad.leg, 'account', v_bad.account)::text;
    ELSIF v_bad.rule = 'ledger_leg_amount_zero' THEN
      RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = v_bad.rule,
        MESSAGE = format('posting %s, leg %s: the amount must not be zero', v_bad.posting, v_bad.leg),
        DETAIL = json_build_object('posting', v_bad.posting, 'leg', v_bad.leg)::text;
    ELSIF v_bad.rule = 'ledger_entry_precision' THEN
      RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = v_bad.rule,
        MESSAGE = format('posting %s, leg %s: %s has more decimals than %s allows (%s)',
                         v_bad.posting, v_bad.leg, v_bad.amount, v_bad.currency_id, v_bad.precision),
        DETAIL = json_build_object('posting', v_bad.posting, 'leg', v_bad.leg, 'amount', v_bad.amount::text,
                                   'currency', v_bad.currency_id, 'precision', v_bad.precision)::text;
    ELSE
      RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = v_bad.rule,
        MESSAGE = format('posting %s: the entries do not balance in %s: they sum to %s',
                         v_bad.posting, v_bad.currency_id, v_bad.amount),
        DETAIL = json_build_object('posting', v_bad.posting, 'currency', v_bad.currency_id,
                                   'total', v_bad.amount::text)::text;
    END IF;
  END IF;

  WITH inserted AS (
    INSERT INTO ledger_transaction (organization_id, date, kind, description, leg_count, idempotency_key,
                                    reverses_id, fx_rate_id, created_by_id, created_at)
    SELECT p_organization, (p.v->>'date')::date, p.v->>'kind', coalesce(p.v->>'description', ''),
           jsonb_array_length(p.v->'legs'), p.v->>'key', (p.v->>'reverses')::bigint, (p.v->>'fx_rate')::bigint,
           p_created_by, now()
      FROM jsonb_array_elements(p_postings) WITH ORDINALITY AS p(v, n)
     ORDER BY p.n
    ON CONFLICT (organization_id, idempotency_key) DO NOTHING
    RETURNING id, ledger_transaction.created_at
  )
  SELECT array_agg(id ORDER BY id), array_agg(inserted.created_at ORDER BY id) INTO v_new, v_at FROM inserted;

  IF v_new IS NOT NULL THEN
    INSERT INTO ledger_transactionentry (transaction_id, organization_id, date, account_id, currency_id, amount,
                                         project_id, category_id, counterparty_id, memo)
    SELECT t.id, p_organization, t.date, a.id, a.currency_id, (l.v->>'amount')::numeric,
           (l.v->>'project')::bigint, (l.v->>'category')::bigint, (l.v->>'counterparty')::bigint,
           coalesce(l.v->>'memo', '')
      FROM jsonb_array_elements(p_postings) AS p(v)
      JOIN ledger_transaction t ON t.organization_id = p_organization AND t.idempotency_key = p.v->>'key'
     CROSS JOIN jsonb_array_elements(p.v->'legs') AS l(v)
      JOIN LATERAL (SELECT id, currency_id FROM ledger_account WHERE id = (l.v->>'account')::bigint) a ON true
     WHERE t.id = ANY (v_new);
  END IF;

  -- The common case, one new posting: its id is known. Otherwise a new statement, so that a key committed
  -- meanwhile by a concurrent session is seen too.
  IF v_count = 1 AND v_new IS NOT NULL THEN
    RETURN QUERY SELECT 0, v_new[1], true, v_at[1];
    RETURN;
  END IF;
  RETURN QUERY
  SELECT (p.n - 1)::integer, t.id, t.id = ANY (coalesce(v_new, '{}')), t.created_at
    FROM jsonb_array_elements(p_postings) WITH ORDINALITY AS p(v, n)
    JOIN ledger_transaction t ON t.organization_id = p_organization AND t.idempotency_key = p.v->>'key'
   ORDER BY p.n;
END $$;
"""

DROP_ALL = """
DROP FUNCTION IF EXISTS ledger_post_many(bigint, bigint, jsonb);
DROP TRIGGER IF EXISTS ledger_entries_balanced ON ledger_transactionentry;
DROP TRIGGER IF EXISTS ledger_transaction_balanced ON ledger_transaction;
DROP FUNCTION IF EXISTS ledger_entry_check(), ledger_transaction_check(), ledger_verify_transaction(bigint);
DROP TRIGGER IF EXISTS ledger_periodlock_exclusive ON ledger_periodlock;
DROP TRIGGER IF EXISTS ledger_transaction_period_open ON ledger_transaction;
DROP FUNCTION IF EXISTS ledger_period_lock_exclusive(), ledger_period_open();
DROP TRIGGER IF EXISTS ledger_entry_immutable ON ledger_transactionentry;
DROP TRIGGER IF EXISTS ledger_transaction_immutable ON ledger_transaction;
DROP FUNCTION IF EXISTS ledger_posted_immutable();
DROP TRIGGER IF EXISTS ledger_entries_apply ON ledger_transactionentry;
DROP TRIGGER IF EXISTS ledger_balance_guard ON ledger_accountbalance;
DROP TRIGGER IF EXISTS ledger_account_balance_row ON ledger_account;
DROP FUNCTION IF EXISTS ledger_entries_apply(), ledger_balance_guard(), ledger_account_sync_balance_row(),
  ledger_floor_sign(boolean, text);
"""


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_books")]

    operations = [
        migrations.RunSQL(COMPOSITE_KEYS, COMPOSITE_KEYS_REVERSE),
        migrations.RunSQL(BALANCES + IMMUTABLE + PERIODS + BALANCED + POST_FUNCTION, DROP_ALL),
    ]
