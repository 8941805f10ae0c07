"""The ledger's baseline: its tables as the models define them, then its database code from apps/ledger/sql/
(composite keys, the rules held by functions and triggers, the posting function), then its periodic tasks.

It replaces migrations 0001–0013 of the first months (squashed before any production database existed): a
database that applied them all counts this one as applied; a new database builds from this alone. The
history of each rule is in git (``git log -p apps/ledger/migrations apps/ledger/sql``).

The SQL files follow the order of their dependencies: a table's composite unique keys before the foreign
keys that reference them. Going back applies the reverse of each file (it drops what the file creates).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from apps.core.mechanisms.sql import SqlFile
from apps.core.operations.beat import schedule_operation
from apps.ledger.schedules import TASKS

SQL_FILES = [
    # Composite keys: other rows name a row of these tables with their own organization (and currency).
    "ledger_transaction_keys",
    "ledger_account_keys",
    "ledger_project_keys",
    "ledger_category_keys",
    "ledger_counterparty_keys",
    "ledger_entry_keys",
    "ledger_invoice_keys",
    "ledger_invoicepayment_keys",
    "ledger_crypto_keys",
    # Accounts and their balance rows.
    "ledger_floor_sign",
    "ledger_account_sync_balance_row",
    "ledger_balance_guard",
    # Posting: the rules checked as rows are inserted, at commit, and the posting functions.
    "ledger_posted_immutable",
    "ledger_transactions_check",
    "ledger_period_lock_exclusive",
    "ledger_entries_apply",
    "ledger_verify_transaction",
    "ledger_transaction_check",
    "ledger_entry_check",
    "ledger_post_many",
    "ledger_post_diagnose",
    # Invoices and crypto transfers.
    "ledger_invoice_guard",
    "ledger_invoiceline_guard",
    "ledger_invoicepayment_guard",
    "ledger_invoice_paid_check",
    "ledger_crypto_final",
]


class Migration(migrations.Migration):
    initial = True

    replaces = [
        ("ledger", "0001_books"),
        ("ledger", "0002_integrity"),
        ("ledger", "0003_invoices_and_recurring_payments"),
        ("ledger", "0004_invoice_and_recurring_schedules"),
        ("ledger", "0005_crypto_transaction_details"),
        ("ledger", "0006_lighter_posting_locks"),
        ("ledger", "0007_posting_without_scans"),
        ("ledger", "0008_rules_checked_on_insert"),
        ("ledger", "0009_entry_keys_checked_by_triggers"),
        ("ledger", "0010_fewer_queries_per_posting"),
        ("ledger", "0011_partial_indexes_for_optional_keys"),
        ("ledger", "0012_batch_keys_without_join"),
        ("ledger", "0013_verification_without_session_state"),
    ]

    dependencies = [
        ("core", "0006_fx_rates_schedule"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.CreateModel(
            name="Account",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("code", models.CharField(max_length=32, verbose_name="code")),
                ("name", models.CharField(max_length=200, verbose_name="name")),
                (
                    "type",
                    models.CharField(
                        choices=[
                            ("asset", "Asset"),
                            ("liability", "Liability"),
                            ("equity", "Equity"),
                            ("income", "Income"),
                            ("expense", "Expense"),
                        ],
                        max_length=16,
                        verbose_name="type",
                    ),
                ),
                (
                    "purpose",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("", "General"),
                            ("cash", "Cash or bank"),
                            ("exchange", "Currency exchange"),
                            ("receivable", "Receivables"),
                            ("payable", "Payables"),
                            ("crypto_fee", "Network fees"),
                            ("opening", "Opening balances"),
                        ],
                        default="",
                        max_length=16,
                        verbose_name="purpose",
                    ),
                ),
                (
                    "non_negative",
                    models.BooleanField(
                        default=False,
                        help_text="Refuse any posting that would take the balance below zero.",
                        verbose_name="never below zero",
                    ),
                ),
                ("is_active", models.BooleanField(default=True, verbose_name="active")),
                ("description", models.TextField(blank=True, verbose_name="description")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created")),
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
                    "organization",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="core.organization",
                        verbose_name="organization",
                    ),
                ),
                (
                    "parent",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="children",
                        to="ledger.account",
                        verbose_name="parent",
                    ),
                ),
            ],
            options={
                "verbose_name": "account",
                "verbose_name_plural": "chart of accounts",
                "ordering": ["code"],
            },
        ),
        migrations.CreateModel(
            name="Category",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=200, verbose_name="name")),
                (
                    "kind",
                    models.CharField(
                        choices=[("income", "Income"), ("expense", "Expense")], max_length=8, verbose_name="kind"
                    ),
                ),
                ("is_active", models.BooleanField(default=True, verbose_name="active")),
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
                    "parent",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="children",
                        to="ledger.category",
                        verbose_name="parent",
                    ),
                ),
            ],
            options={
                "verbose_name": "category",
                "verbose_name_plural": "categories",
                "ordering": ["kind", "name"],
            },
        ),
        migrations.CreateModel(
            name="Counterparty",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=200, verbose_name="name")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("customer", "Customer"),
                            ("supplier", "Supplier"),
                            ("partner", "Partner"),
                            ("other", "Other"),
                        ],
                        default="other",
                        max_length=16,
                        verbose_name="kind",
                    ),
                ),
                (
                    "tax_id",
                    models.CharField(
                        blank=True, help_text="INN, VAT number or similar.", max_length=32, verbose_name="tax id"
                    ),
                ),
                ("email", models.EmailField(blank=True, max_length=254, verbose_name="e-mail")),
                ("phone", models.CharField(blank=True, max_length=32, verbose_name="phone")),
                ("notes", models.TextField(blank=True, verbose_name="notes")),
                ("is_active", models.BooleanField(default=True, verbose_name="active")),
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
                "verbose_name": "counterparty",
                "verbose_name_plural": "counterparties",
                "ordering": ["name"],
            },
        ),
        migrations.CreateModel(
            name="Transaction",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("date", models.DateField(verbose_name="date")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("income", "Income"),
                            ("expense", "Expense"),
                            ("transfer", "Transfer"),
                            ("exchange", "Currency exchange"),
                            ("complex", "Complex"),
                            ("reversal", "Reversal"),
                            ("invoice", "Invoice issued"),
                            ("payment", "Invoice payment"),
                            ("recurring", "Recurring payment"),
                            ("opening", "Opening balance"),
                        ],
                        default="complex",
                        max_length=16,
                        verbose_name="kind",
                    ),
                ),
                ("description", models.CharField(blank=True, max_length=500, verbose_name="description")),
                ("leg_count", models.SmallIntegerField(verbose_name="legs")),
                ("idempotency_key", models.CharField(max_length=128, verbose_name="idempotency key")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="posted at")),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="posted by",
                    ),
                ),
                (
                    "fx_rate",
                    models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="core.fxrate",
                        verbose_name="exchange rate used",
                    ),
                ),
                (
                    "organization",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="core.organization",
                        verbose_name="organization",
                    ),
                ),
                (
                    "reverses",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="reversed_by",
                        to="ledger.transaction",
                        verbose_name="reverses",
                    ),
                ),
            ],
            options={
                "verbose_name": "transaction",
                "verbose_name_plural": "transactions",
                "ordering": ["-date", "-id"],
            },
        ),
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
            name="PeriodLock",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("locked_through", models.DateField(verbose_name="closed through")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="changed")),
                (
                    "organization",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="core.organization",
                        verbose_name="organization",
                    ),
                ),
                (
                    "updated_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="changed by",
                    ),
                ),
            ],
            options={
                "verbose_name": "closed period",
                "verbose_name_plural": "closed periods",
            },
        ),
        migrations.CreateModel(
            name="Project",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=200, verbose_name="name")),
                ("code", models.CharField(blank=True, max_length=32, verbose_name="code")),
                ("is_active", models.BooleanField(default=True, verbose_name="active")),
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
                "verbose_name": "project",
                "verbose_name_plural": "projects",
                "ordering": ["name"],
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
            name="CryptoTransactionDetail",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "network",
                    models.CharField(choices=[("tron", "TRON")], default="tron", max_length=16, verbose_name="network"),
                ),
                (
                    "token",
                    models.CharField(
                        choices=[("TRX", "TRX (Tron)"), ("USDT", "USDT (TRC-20)")], max_length=10, verbose_name="token"
                    ),
                ),
                (
                    "token_contract",
                    models.CharField(
                        blank=True,
                        help_text="The TRC-20 contract address; empty for TRX.",
                        max_length=64,
                        verbose_name="token contract",
                    ),
                ),
                ("tx_hash", models.CharField(max_length=64, verbose_name="transaction hash")),
                (
                    "direction",
                    models.CharField(
                        choices=[("in", "Incoming: arrives to our wallet"), ("out", "Outgoing: leaves our wallet")],
                        max_length=3,
                        verbose_name="direction",
                    ),
                ),
                ("from_address", models.CharField(max_length=64, verbose_name="from address")),
                ("to_address", models.CharField(max_length=64, verbose_name="to address")),
                ("amount", models.DecimalField(decimal_places=8, max_digits=28, verbose_name="amount")),
                (
                    "fee_trx",
                    models.DecimalField(
                        decimal_places=8, default=0, editable=False, max_digits=28, verbose_name="network fee, TRX"
                    ),
                ),
                ("confirmations", models.PositiveIntegerField(default=0, editable=False, verbose_name="confirmations")),
                (
                    "status",
                    models.CharField(
                        choices=[("pending", "Pending"), ("confirmed", "Confirmed"), ("failed", "Failed")],
                        default="pending",
                        editable=False,
                        max_length=16,
                        verbose_name="status",
                    ),
                ),
                ("description", models.CharField(blank=True, max_length=500, verbose_name="description")),
                (
                    "block_number",
                    models.PositiveBigIntegerField(blank=True, editable=False, null=True, verbose_name="block"),
                ),
                ("block_time", models.DateTimeField(blank=True, editable=False, null=True, verbose_name="block time")),
                ("checked_at", models.DateTimeField(blank=True, editable=False, null=True, verbose_name="checked at")),
                ("error", models.TextField(blank=True, editable=False, verbose_name="last problem")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="registered at")),
                (
                    "account",
                    models.ForeignKey(
                        help_text="Our account the money arrives to or leaves from, in the token's currency.",
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="ledger.account",
                        verbose_name="wallet account",
                    ),
                ),
                (
                    "counter_account",
                    models.ForeignKey(
                        help_text="The other side of the posting, in the token's currency.",
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="ledger.account",
                        verbose_name="counter account",
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
                        verbose_name="registered by",
                    ),
                ),
                (
                    "fee_account",
                    models.ForeignKey(
                        blank=True,
                        help_text="When we send: the TRX account of purpose “network fees” the fee is booked to.",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="ledger.account",
                        verbose_name="network fee account",
                    ),
                ),
                (
                    "fee_source_account",
                    models.ForeignKey(
                        blank=True,
                        help_text="When we send USDT: the sending wallet's TRX account, which pays the network fee.",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="ledger.account",
                        verbose_name="account paying the fee",
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
                    "transaction",
                    models.OneToOneField(
                        blank=True,
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="crypto_detail",
                        to="ledger.transaction",
                        verbose_name="posting",
                    ),
                ),
            ],
            options={
                "verbose_name": "crypto transfer",
                "verbose_name_plural": "crypto transfers",
                "ordering": ["-created_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="TransactionEntry",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("date", models.DateField(verbose_name="date")),
                ("amount", models.DecimalField(decimal_places=8, max_digits=28, verbose_name="amount")),
                ("memo", models.CharField(blank=True, max_length=500, verbose_name="memo")),
                (
                    "account",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="entries",
                        to="ledger.account",
                        verbose_name="account",
                    ),
                ),
                (
                    "category",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="entries",
                        to="ledger.category",
                        verbose_name="category",
                    ),
                ),
                (
                    "counterparty",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="entries",
                        to="ledger.counterparty",
                        verbose_name="counterparty",
                    ),
                ),
                (
                    "currency",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="core.currency",
                        verbose_name="currency",
                    ),
                ),
                (
                    "organization",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="core.organization",
                    ),
                ),
                (
                    "project",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="entries",
                        to="ledger.project",
                        verbose_name="project",
                    ),
                ),
                (
                    "transaction",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="entries",
                        to="ledger.transaction",
                        verbose_name="transaction",
                    ),
                ),
            ],
            options={
                "verbose_name": "entry",
                "verbose_name_plural": "entries",
                "ordering": ["transaction_id", "id"],
            },
        ),
        migrations.CreateModel(
            name="AccountBalance",
            fields=[
                (
                    "account",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="balance_row",
                        serialize=False,
                        to="ledger.account",
                        verbose_name="account",
                    ),
                ),
                ("precision", models.SmallIntegerField()),
                ("floor_sign", models.SmallIntegerField(default=0)),
                ("balance", models.DecimalField(decimal_places=8, default=0, max_digits=28, verbose_name="balance")),
                ("entry_count", models.BigIntegerField(default=0, verbose_name="entries")),
                (
                    "currency",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to="core.currency"
                    ),
                ),
                (
                    "organization",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="core.organization"
                    ),
                ),
            ],
            options={
                "verbose_name": "account balance",
                "verbose_name_plural": "account balances",
            },
        ),
        migrations.AddConstraint(
            model_name="account",
            constraint=models.UniqueConstraint(fields=("organization", "code"), name="ledger_account_code_unique"),
        ),
        migrations.AddConstraint(
            model_name="account",
            constraint=models.CheckConstraint(
                condition=models.Q(("type__in", ["asset", "liability", "equity", "income", "expense"])),
                name="ledger_account_type_known",
            ),
        ),
        migrations.AddConstraint(
            model_name="account",
            constraint=models.CheckConstraint(
                condition=models.Q(("parent", models.F("id")), _negated=True), name="ledger_account_not_own_parent"
            ),
        ),
        migrations.AddConstraint(
            model_name="category",
            constraint=models.UniqueConstraint(
                fields=("organization", "kind", "name"), name="ledger_category_name_unique"
            ),
        ),
        migrations.AddConstraint(
            model_name="invoicenumbercounter",
            constraint=models.UniqueConstraint(
                fields=("organization", "kind", "year"), name="ledger_invoice_counter_unique"
            ),
        ),
        migrations.AddConstraint(
            model_name="project",
            constraint=models.UniqueConstraint(fields=("organization", "name"), name="ledger_project_name_unique"),
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
        migrations.AddIndex(
            model_name="transaction",
            index=models.Index(fields=["organization", "-date", "-id"], name="ledger_tx_org_date"),
        ),
        migrations.AddIndex(
            model_name="transaction",
            index=models.Index(
                condition=models.Q(("fx_rate__isnull", False)), fields=["fx_rate"], name="ledger_tx_fx_rate"
            ),
        ),
        migrations.AddIndex(
            model_name="transaction",
            index=models.Index(
                condition=models.Q(("created_by__isnull", False)), fields=["created_by"], name="ledger_tx_created_by"
            ),
        ),
        migrations.AddConstraint(
            model_name="transaction",
            constraint=models.UniqueConstraint(
                fields=("organization", "idempotency_key"), name="ledger_transaction_idempotency"
            ),
        ),
        migrations.AddConstraint(
            model_name="invoicepayment",
            constraint=models.CheckConstraint(
                condition=models.Q(("amount__gt", 0)), name="ledger_invoicepayment_positive"
            ),
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
        migrations.AddIndex(
            model_name="cryptotransactiondetail",
            index=models.Index(
                models.OrderBy(models.F("checked_at"), nulls_first=True),
                models.F("id"),
                condition=models.Q(("status", "pending")),
                name="ledger_crypto_pending",
            ),
        ),
        migrations.AddConstraint(
            model_name="cryptotransactiondetail",
            constraint=models.UniqueConstraint(
                fields=("organization", "network", "tx_hash"), name="ledger_crypto_hash_unique_per_network"
            ),
        ),
        migrations.AddConstraint(
            model_name="cryptotransactiondetail",
            constraint=models.CheckConstraint(
                condition=models.Q(("network__in", ["tron"])), name="ledger_crypto_network_known"
            ),
        ),
        migrations.AddConstraint(
            model_name="cryptotransactiondetail",
            constraint=models.CheckConstraint(
                condition=models.Q(("token__in", ["TRX", "USDT"])), name="ledger_crypto_token_known"
            ),
        ),
        migrations.AddConstraint(
            model_name="cryptotransactiondetail",
            constraint=models.CheckConstraint(
                condition=models.Q(("direction__in", ["in", "out"])), name="ledger_crypto_direction_known"
            ),
        ),
        migrations.AddConstraint(
            model_name="cryptotransactiondetail",
            constraint=models.CheckConstraint(
                condition=models.Q(("status__in", ["pending", "confirmed", "failed"])),
                name="ledger_crypto_status_known",
            ),
        ),
        migrations.AddConstraint(
            model_name="cryptotransactiondetail",
            constraint=models.CheckConstraint(
                condition=models.Q(("amount__gt", 0), ("fee_trx__gte", 0)), name="ledger_crypto_amounts_positive"
            ),
        ),
        migrations.AddConstraint(
            model_name="cryptotransactiondetail",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "confirmed"), ("transaction__isnull", False)),
                    models.Q(models.Q(("status", "confirmed"), _negated=True), ("transaction__isnull", True)),
                    _connector="OR",
                ),
                name="ledger_crypto_confirmed_iff_posted",
            ),
        ),
        migrations.AddConstraint(
            model_name="cryptotransactiondetail",
            constraint=models.CheckConstraint(
                condition=models.Q(("from_address", models.F("to_address")), _negated=True),
                name="ledger_crypto_two_addresses",
            ),
        ),
        migrations.AddConstraint(
            model_name="cryptotransactiondetail",
            constraint=models.CheckConstraint(
                condition=models.Q(("account", models.F("counter_account")), _negated=True),
                name="ledger_crypto_two_accounts",
            ),
        ),
        migrations.AddIndex(
            model_name="transactionentry",
            index=models.Index(fields=["account", "date", "id"], name="ledger_entry_account_date"),
        ),
        migrations.AddIndex(
            model_name="transactionentry",
            index=models.Index(fields=["organization", "date"], name="ledger_entry_org_date"),
        ),
        migrations.AddIndex(
            model_name="transactionentry",
            index=models.Index(
                condition=models.Q(("project__isnull", False)), fields=["project"], name="ledger_entry_project"
            ),
        ),
        migrations.AddIndex(
            model_name="transactionentry",
            index=models.Index(
                condition=models.Q(("category__isnull", False)), fields=["category"], name="ledger_entry_category"
            ),
        ),
        migrations.AddIndex(
            model_name="transactionentry",
            index=models.Index(
                condition=models.Q(("counterparty__isnull", False)),
                fields=["counterparty"],
                name="ledger_entry_counterparty",
            ),
        ),
        *(SqlFile("ledger", name, 1) for name in SQL_FILES),
        schedule_operation(*TASKS),
    ]
