"""Invoices (with their lines, payments and gap-free number counters) and recurring payments.

Besides the tables and their CHECK constraints, PostgreSQL holds the rules that guard money here:

- an invoice's counterparty, postings, receivable/payable account and payments belong to its organization,
  and its receivable/payable account holds the invoice's currency (composite foreign keys);
- an issued invoice never changes except for its status, paid amount and void posting; a void one never
  changes; only a draft may be deleted, and only a draft's lines may be added, changed or removed;
- on leaving draft, the total is the sum of the lines; at commit, the paid amount is the sum of the payments
  that were not reversed; a payment never changes except to record its reversal, and is never deleted.

Violations raise SQLSTATE 23514 with the constraint name (mapped to messages by services/invoices.py).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

INTEGRITY = r"""
ALTER TABLE ledger_invoice ADD CONSTRAINT ledger_invoice_id_org UNIQUE (id, organization_id);
ALTER TABLE ledger_invoice
  ADD CONSTRAINT ledger_invoice_counterparty_same_org FOREIGN KEY (counterparty_id, organization_id)
      REFERENCES ledger_counterparty (id, organization_id),
  ADD CONSTRAINT ledger_invoice_account_matches FOREIGN KEY (balance_account_id, organization_id, currency_id)
      REFERENCES ledger_account (id, organization_id, currency_id),
  ADD CONSTRAINT ledger_invoice_issue_same_org FOREIGN KEY (issue_transaction_id, organization_id)
      REFERENCES ledger_transaction (id, organization_id),
  ADD CONSTRAINT ledger_invoice_void_same_org FOREIGN KEY (void_transaction_id, organization_id)
      REFERENCES ledger_transaction (id, organization_id);
ALTER TABLE ledger_invoicepayment
  ADD CONSTRAINT ledger_invoicepayment_invoice_same_org FOREIGN KEY (invoice_id, organization_id)
      REFERENCES ledger_invoice (id, organization_id),
  ADD CONSTRAINT ledger_invoicepayment_account_same_org FOREIGN KEY (account_id, organization_id)
      REFERENCES ledger_account (id, organization_id),
  ADD CONSTRAINT ledger_invoicepayment_tx_same_org FOREIGN KEY (transaction_id, organization_id)
      REFERENCES ledger_transaction (id, organization_id),
  ADD CONSTRAINT ledger_invoicepayment_reversal_same_org FOREIGN KEY (reversal_transaction_id, organization_id)
      REFERENCES ledger_transaction (id, organization_id);

CREATE FUNCTION ledger_invoice_guard() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE TRIGGER ledger_invoice_guard BEFORE UPDATE OR DELETE ON ledger_invoice
  FOR EACH ROW EXECUTE FUNCTION ledger_invoice_guard();

-- Lines change only while their invoice is a draft. FOR SHARE waits for an issue in progress (which holds
-- the invoice row FOR UPDATE), so no line slips in between the issue reading the lines and committing.
CREATE FUNCTION ledger_invoiceline_guard() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE TRIGGER ledger_invoiceline_guard BEFORE INSERT OR UPDATE OR DELETE ON ledger_invoiceline
  FOR EACH ROW EXECUTE FUNCTION ledger_invoiceline_guard();

-- A payment is never edited (but for recording its reversal, once) nor deleted.
CREATE FUNCTION ledger_invoicepayment_guard() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE TRIGGER ledger_invoicepayment_guard BEFORE UPDATE OR DELETE ON ledger_invoicepayment
  FOR EACH ROW EXECUTE FUNCTION ledger_invoicepayment_guard();

-- At commit, an invoice's paid amount is the sum of its payments that stand.
CREATE FUNCTION ledger_invoice_paid_check() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE CONSTRAINT TRIGGER ledger_invoice_paid_check AFTER INSERT OR UPDATE OF paid_amount ON ledger_invoice
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_invoice_paid_check();
CREATE CONSTRAINT TRIGGER ledger_invoicepayment_paid_check AFTER INSERT OR UPDATE ON ledger_invoicepayment
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_invoice_paid_check();
"""

INTEGRITY_REVERSE = r"""
DROP TRIGGER ledger_invoicepayment_paid_check ON ledger_invoicepayment;
DROP TRIGGER ledger_invoice_paid_check ON ledger_invoice;
DROP FUNCTION ledger_invoice_paid_check();
DROP TRIGGER ledger_invoicepayment_guard ON ledger_invoicepayment;
DROP FUNCTION ledger_invoicepayment_guard();
DROP TRIGGER ledger_invoiceline_guard ON ledger_invoiceline;
DROP FUNCTION ledger_invoiceline_guard();
DROP TRIGGER ledger_invoice_guard ON ledger_invoice;
DROP FUNCTION ledger_invoice_guard();
ALTER TABLE ledger_invoicepayment
  DROP CONSTRAINT ledger_invoicepayment_invoice_same_org, DROP CONSTRAINT ledger_invoicepayment_account_same_org,
  DROP CONSTRAINT ledger_invoicepayment_tx_same_org, DROP CONSTRAINT ledger_invoicepayment_reversal_same_org;
ALTER TABLE ledger_invoice
  DROP CONSTRAINT ledger_invoice_counterparty_same_org, DROP CONSTRAINT ledger_invoice_account_matches,
  DROP CONSTRAINT ledger_invoice_issue_same_org, DROP CONSTRAINT ledger_invoice_void_same_org;
ALTER TABLE ledger_invoice DROP CONSTRAINT ledger_invoice_id_org;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_fx_rates_and_amount_precision"),
        ("ledger", "0002_integrity"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Invoice",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("receivable", "Receivable (we bill a customer)"),
                            ("payable", "Payable (a supplier bills us)"),
                        ],
                        default="receivable",
                        max_length=16,
                        verbose_name="kind",
                    ),
                ),
                (
                    "number",
                    models.CharField(blank=True, default="", editable=False, max_length=32, verbose_name="number"),
                ),
                (
                    "reference",
                    models.CharField(
                        blank=True,
                        help_text="The supplier's own number, an order number or similar.",
                        max_length=64,
                        verbose_name="reference",
                    ),
                ),
                ("issue_date", models.DateField(verbose_name="issue date")),
                ("due_date", models.DateField(verbose_name="due date")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("draft", "Draft"),
                            ("issued", "Issued"),
                            ("partially_paid", "Partially paid"),
                            ("paid", "Paid"),
                            ("overdue", "Overdue"),
                            ("void", "Void"),
                        ],
                        default="draft",
                        editable=False,
                        max_length=16,
                        verbose_name="status",
                    ),
                ),
                (
                    "total",
                    models.DecimalField(
                        decimal_places=8, default=0, editable=False, max_digits=28, verbose_name="total"
                    ),
                ),
                (
                    "paid_amount",
                    models.DecimalField(
                        decimal_places=8, default=0, editable=False, max_digits=28, verbose_name="paid"
                    ),
                ),
                ("notes", models.TextField(blank=True, verbose_name="notes")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created")),
                ("issued_at", models.DateTimeField(blank=True, editable=False, null=True, verbose_name="issued at")),
                ("voided_at", models.DateTimeField(blank=True, editable=False, null=True, verbose_name="voided at")),
                (
                    "balance_account",
                    models.ForeignKey(
                        blank=True,
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="ledger.account",
                        verbose_name="receivable or payable account",
                    ),
                ),
                (
                    "counterparty",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="invoices",
                        to="ledger.counterparty",
                        verbose_name="counterparty",
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="created by",
                    ),
                ),
                (
                    "currency",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="core.currency",
                        verbose_name="currency",
                    ),
                ),
                (
                    "issue_transaction",
                    models.OneToOneField(
                        blank=True,
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="issued_invoice",
                        to="ledger.transaction",
                        verbose_name="issue posting",
                    ),
                ),
                (
                    "organization",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="core.organization",
                        verbose_name="organization",
                    ),
                ),
                (
                    "void_transaction",
                    models.OneToOneField(
                        blank=True,
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="voided_invoice",
                        to="ledger.transaction",
                        verbose_name="void posting",
                    ),
                ),
            ],
            options={
                "verbose_name": "invoice",
                "verbose_name_plural": "invoices",
                "ordering": ["-issue_date", "-id"],
            },
        ),
        migrations.CreateModel(
            name="InvoiceLine",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("position", models.PositiveSmallIntegerField(default=0, verbose_name="position")),
                ("description", models.CharField(max_length=500, verbose_name="description")),
                ("quantity", models.DecimalField(decimal_places=6, default=1, max_digits=20, verbose_name="quantity")),
                ("unit_price", models.DecimalField(decimal_places=8, max_digits=28, verbose_name="unit price")),
                (
                    "amount",
                    models.DecimalField(
                        decimal_places=8, default=0, editable=False, max_digits=28, verbose_name="amount"
                    ),
                ),
                (
                    "account",
                    models.ForeignKey(
                        blank=True,
                        help_text="Income account (receivables) or expense/asset account (payables); empty for the default.",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="ledger.account",
                        verbose_name="account",
                    ),
                ),
                (
                    "category",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="ledger.category",
                        verbose_name="category",
                    ),
                ),
                (
                    "invoice",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="lines",
                        to="ledger.invoice",
                        verbose_name="invoice",
                    ),
                ),
                (
                    "project",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="ledger.project",
                        verbose_name="project",
                    ),
                ),
            ],
            options={
                "verbose_name": "invoice line",
                "verbose_name_plural": "invoice lines",
                "ordering": ["invoice_id", "position", "id"],
            },
        ),
        migrations.CreateModel(
            name="InvoiceNumberCounter",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("receivable", "Receivable (we bill a customer)"),
                            ("payable", "Payable (a supplier bills us)"),
                        ],
                        max_length=16,
                        verbose_name="kind",
                    ),
                ),
                ("year", models.PositiveSmallIntegerField(verbose_name="year")),
                ("last_number", models.PositiveIntegerField(default=0, verbose_name="last number")),
                (
                    "organization",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="core.organization",
                        verbose_name="organization",
                    ),
                ),
            ],
            options={
                "verbose_name": "invoice number counter",
                "verbose_name_plural": "invoice number counters",
            },
        ),
        migrations.CreateModel(
            name="InvoicePayment",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("date", models.DateField(verbose_name="date")),
                ("amount", models.DecimalField(decimal_places=8, max_digits=28, verbose_name="amount")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="recorded at")),
                (
                    "account",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="ledger.account",
                        verbose_name="cash or bank account",
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="recorded by",
                    ),
                ),
                (
                    "invoice",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="payments",
                        to="ledger.invoice",
                        verbose_name="invoice",
                    ),
                ),
                (
                    "organization",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="core.organization",
                        verbose_name="organization",
                    ),
                ),
                (
                    "reversal_transaction",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="reversed_invoice_payment",
                        to="ledger.transaction",
                        verbose_name="reversal posting",
                    ),
                ),
                (
                    "transaction",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="invoice_payment",
                        to="ledger.transaction",
                        verbose_name="posting",
                    ),
                ),
            ],
            options={
                "verbose_name": "invoice payment",
                "verbose_name_plural": "invoice payments",
                "ordering": ["invoice_id", "date", "id"],
            },
        ),
        migrations.CreateModel(
            name="RecurringPayment",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=200, verbose_name="name")),
                ("description", models.CharField(blank=True, max_length=500, verbose_name="description")),
                (
                    "interval_unit",
                    models.CharField(
                        choices=[("days", "days"), ("weeks", "weeks"), ("months", "months")],
                        default="months",
                        max_length=8,
                        verbose_name="repeat every (unit)",
                    ),
                ),
                ("interval_count", models.PositiveSmallIntegerField(default=1, verbose_name="repeat every (count)")),
                (
                    "day_of_month",
                    models.PositiveSmallIntegerField(
                        blank=True,
                        help_text="For monthly schedules: 1–31; a day the month lacks means its last day. Empty: the start day.",
                        null=True,
                        verbose_name="day of month",
                    ),
                ),
                ("start_date", models.DateField(verbose_name="start date")),
                ("end_date", models.DateField(blank=True, null=True, verbose_name="end date")),
                ("paused", models.BooleanField(default=False, verbose_name="paused")),
                ("next_due_date", models.DateField(blank=True, editable=False, null=True, verbose_name="next due")),
                (
                    "last_posted_date",
                    models.DateField(blank=True, editable=False, null=True, verbose_name="last posted"),
                ),
                ("last_error", models.TextField(blank=True, editable=False, verbose_name="last problem")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created")),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="created by",
                    ),
                ),
                (
                    "organization",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="core.organization",
                        verbose_name="organization",
                    ),
                ),
            ],
            options={
                "verbose_name": "recurring payment",
                "verbose_name_plural": "recurring payments",
                "ordering": ["name", "id"],
            },
        ),
        migrations.CreateModel(
            name="RecurringPaymentLeg",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "amount",
                    models.DecimalField(
                        decimal_places=8,
                        help_text="Debit positive, credit negative.",
                        max_digits=28,
                        verbose_name="amount",
                    ),
                ),
                ("memo", models.CharField(blank=True, max_length=500, verbose_name="memo")),
                (
                    "account",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="ledger.account",
                        verbose_name="account",
                    ),
                ),
                (
                    "category",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="ledger.category",
                        verbose_name="category",
                    ),
                ),
                (
                    "counterparty",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="ledger.counterparty",
                        verbose_name="counterparty",
                    ),
                ),
                (
                    "project",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="ledger.project",
                        verbose_name="project",
                    ),
                ),
                (
                    "recurring_payment",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="legs",
                        to="ledger.recurringpayment",
                        verbose_name="recurring payment",
                    ),
                ),
            ],
            options={
                "verbose_name": "recurring payment leg",
                "verbose_name_plural": "recurring payment legs",
                "ordering": ["recurring_payment_id", "id"],
            },
        ),
        migrations.AddIndex(
            model_name="invoice",
            index=models.Index(fields=["organization", "kind", "status"], name="ledger_invoice_org_kind_status"),
        ),
        migrations.AddIndex(
            model_name="invoice",
            index=models.Index(
                condition=models.Q(("status__in", ["issued", "partially_paid"])),
                fields=["due_date"],
                name="ledger_invoice_due_open",
            ),
        ),
        migrations.AddConstraint(
            model_name="invoice",
            constraint=models.UniqueConstraint(
                condition=models.Q(("number", ""), _negated=True),
                fields=("organization", "number"),
                name="ledger_invoice_number_unique",
            ),
        ),
        migrations.AddConstraint(
            model_name="invoice",
            constraint=models.CheckConstraint(
                condition=models.Q(("kind__in", ["receivable", "payable"])), name="ledger_invoice_kind"
            ),
        ),
        migrations.AddConstraint(
            model_name="invoice",
            constraint=models.CheckConstraint(
                condition=models.Q(("status__in", ["draft", "issued", "partially_paid", "paid", "overdue", "void"])),
                name="ledger_invoice_status_known",
            ),
        ),
        migrations.AddConstraint(
            model_name="invoice",
            constraint=models.CheckConstraint(
                condition=models.Q(("due_date__gte", models.F("issue_date"))), name="ledger_invoice_due_after_issue"
            ),
        ),
        migrations.AddConstraint(
            model_name="invoice",
            constraint=models.CheckConstraint(
                condition=models.Q(("paid_amount__gte", 0), ("paid_amount__lte", models.F("total")), ("total__gte", 0)),
                name="ledger_invoice_paid_within_total",
            ),
        ),
        migrations.AddConstraint(
            model_name="invoice",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("issue_transaction__isnull", True),
                        ("number", ""),
                        ("status", "draft"),
                        ("void_transaction__isnull", True),
                    ),
                    models.Q(
                        ("issue_transaction__isnull", True),
                        ("number", ""),
                        ("status", "void"),
                        ("void_transaction__isnull", True),
                    ),
                    models.Q(
                        ("issue_transaction__isnull", False),
                        ("status", "void"),
                        ("void_transaction__isnull", False),
                        models.Q(("number", ""), _negated=True),
                    ),
                    models.Q(
                        ("balance_account__isnull", False),
                        ("issue_transaction__isnull", False),
                        ("status__in", ["issued", "partially_paid", "paid", "overdue"]),
                        ("total__gt", 0),
                        ("void_transaction__isnull", True),
                        models.Q(("number", ""), _negated=True),
                    ),
                    _connector="OR",
                ),
                name="ledger_invoice_status_postings",
            ),
        ),
        migrations.AddConstraint(
            model_name="invoice",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("paid_amount", 0), ("status__in", ["draft", "issued", "void"])),
                    models.Q(
                        ("paid_amount__gt", 0), ("paid_amount__lt", models.F("total")), ("status", "partially_paid")
                    ),
                    models.Q(("paid_amount", models.F("total")), ("status", "paid")),
                    models.Q(("paid_amount__lt", models.F("total")), ("status", "overdue")),
                    _connector="OR",
                ),
                name="ledger_invoice_status_paid",
            ),
        ),
        migrations.AddConstraint(
            model_name="invoiceline",
            constraint=models.CheckConstraint(
                condition=models.Q(("quantity__gt", 0)), name="ledger_invoiceline_quantity_positive"
            ),
        ),
        migrations.AddConstraint(
            model_name="invoiceline",
            constraint=models.CheckConstraint(
                condition=models.Q(("amount__gte", 0), ("unit_price__gte", 0)), name="ledger_invoiceline_not_negative"
            ),
        ),
        migrations.AddConstraint(
            model_name="invoicenumbercounter",
            constraint=models.UniqueConstraint(
                fields=("organization", "kind", "year"), name="ledger_invoice_counter_unique"
            ),
        ),
        migrations.AddConstraint(
            model_name="invoicepayment",
            constraint=models.CheckConstraint(
                condition=models.Q(("amount__gt", 0)), name="ledger_invoicepayment_positive"
            ),
        ),
        migrations.AddIndex(
            model_name="recurringpayment",
            index=models.Index(
                condition=models.Q(("next_due_date__isnull", False), ("paused", False)),
                fields=["next_due_date"],
                name="ledger_recurring_due",
            ),
        ),
        migrations.AddConstraint(
            model_name="recurringpayment",
            constraint=models.CheckConstraint(
                condition=models.Q(("interval_unit__in", ["days", "weeks", "months"])),
                name="ledger_recurring_unit_known",
            ),
        ),
        migrations.AddConstraint(
            model_name="recurringpayment",
            constraint=models.CheckConstraint(
                condition=models.Q(("interval_count__gte", 1)), name="ledger_recurring_count_positive"
            ),
        ),
        migrations.AddConstraint(
            model_name="recurringpayment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("day_of_month__isnull", True),
                    models.Q(("day_of_month__gte", 1), ("day_of_month__lte", 31), ("interval_unit", "months")),
                    _connector="OR",
                ),
                name="ledger_recurring_day_of_month",
            ),
        ),
        migrations.AddConstraint(
            model_name="recurringpayment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("end_date__isnull", True), ("end_date__gte", models.F("start_date")), _connector="OR"
                ),
                name="ledger_recurring_end_after_start",
            ),
        ),
        migrations.AddConstraint(
            model_name="recurringpaymentleg",
            constraint=models.CheckConstraint(
                condition=models.Q(("amount", 0), _negated=True), name="ledger_recurringleg_amount_not_zero"
            ),
        ),
        migrations.RunSQL(INTEGRITY, INTEGRITY_REVERSE),
    ]
