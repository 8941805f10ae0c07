"""Payments: gateway accounts (credentials encrypted), payments, refunds and refunds awaiting their payment, with
the triggers that keep statuses moving forward and refunds within what was captured (apps/billing/sql/)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import apps.billing.models.gateways
import apps.core.mechanisms.secrets
from apps.core.mechanisms.sql import SqlFile


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0001_initial"),
        ("core", "0007_audit_api_key"),
        ("ledger", "0003_no_postings_on_parent_accounts"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="GatewayAccount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "provider",
                    models.CharField(
                        choices=[("stripe", "Stripe"), ("yookassa", "YooKassa"), ("tbank", "T-Bank")],
                        max_length=16,
                        verbose_name="provider",
                    ),
                ),
                (
                    "mode",
                    models.CharField(
                        choices=[("test", "test"), ("live", "live")], default="test", max_length=8, verbose_name="mode"
                    ),
                ),
                ("name", models.CharField(max_length=100, verbose_name="name")),
                (
                    "credentials",
                    apps.core.mechanisms.secrets.EncryptedJSONField(
                        blank=True, default=dict, verbose_name="credentials"
                    ),
                ),
                (
                    "webhook_secret",
                    apps.core.mechanisms.secrets.EncryptedTextField(
                        blank=True, default="", verbose_name="webhook signing secret"
                    ),
                ),
                (
                    "endpoint",
                    models.CharField(
                        default=apps.billing.models.gateways.new_endpoint,
                        max_length=64,
                        unique=True,
                        verbose_name="webhook endpoint token",
                    ),
                ),
                ("is_active", models.BooleanField(default=True, verbose_name="active")),
                (
                    "supports_two_stage",
                    models.BooleanField(
                        default=False,
                        help_text="The provider holds the money first and takes it only when the payment is captured.",
                        verbose_name="supports two-stage payments",
                    ),
                ),
                (
                    "is_platform",
                    models.BooleanField(
                        default=False,
                        editable=False,
                        help_text="The platform's own account, configured by environment variables.",
                        verbose_name="platform account",
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
                (
                    "clearing_account",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="ledger.account",
                        verbose_name="clearing account",
                    ),
                ),
                (
                    "fee_account",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="ledger.account",
                        verbose_name="fee account",
                    ),
                ),
                (
                    "income_account",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="ledger.account",
                        verbose_name="default income account",
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
                "verbose_name": "payment gateway",
                "verbose_name_plural": "payment gateways",
                "ordering": ["organization_id", "provider", "name"],
            },
        ),
        migrations.CreateModel(
            name="Payment",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("amount", models.DecimalField(decimal_places=8, max_digits=28, verbose_name="amount")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "pending"),
                            ("waiting_for_capture", "waiting for capture"),
                            ("succeeded", "succeeded"),
                            ("canceled", "canceled"),
                            ("failed", "failed"),
                        ],
                        default="pending",
                        editable=False,
                        max_length=24,
                        verbose_name="status",
                    ),
                ),
                (
                    "provider_payment_id",
                    models.CharField(blank=True, default="", max_length=100, verbose_name="provider's payment id"),
                ),
                ("purpose_type", models.CharField(blank=True, default="", max_length=64, verbose_name="purpose type")),
                ("purpose_id", models.CharField(blank=True, default="", max_length=64, verbose_name="purpose id")),
                ("description", models.CharField(blank=True, default="", max_length=250, verbose_name="description")),
                ("idempotency_key", models.CharField(editable=False, max_length=128, verbose_name="idempotency key")),
                (
                    "provider_key",
                    models.CharField(editable=False, max_length=64, verbose_name="key sent to the provider"),
                ),
                (
                    "confirmation_url",
                    models.URLField(blank=True, default="", max_length=2000, verbose_name="confirmation URL"),
                ),
                ("return_url", models.URLField(blank=True, default="", max_length=2000, verbose_name="return URL")),
                (
                    "capture_mode",
                    models.CharField(
                        choices=[("one_stage", "one-stage"), ("two_stage", "two-stage (hold, then capture)")],
                        default="one_stage",
                        max_length=16,
                        verbose_name="capture mode",
                    ),
                ),
                (
                    "captured_amount",
                    models.DecimalField(
                        decimal_places=8, default=0, editable=False, max_digits=28, verbose_name="captured"
                    ),
                ),
                (
                    "fee",
                    models.DecimalField(
                        blank=True,
                        decimal_places=8,
                        editable=False,
                        max_digits=28,
                        null=True,
                        verbose_name="provider's fee",
                    ),
                ),
                (
                    "net",
                    models.DecimalField(
                        blank=True, decimal_places=8, editable=False, max_digits=28, null=True, verbose_name="net"
                    ),
                ),
                ("receipt", models.JSONField(blank=True, default=dict, verbose_name="receipt (54-FZ)")),
                (
                    "customer_email",
                    models.EmailField(blank=True, default="", max_length=254, verbose_name="customer's e-mail"),
                ),
                (
                    "customer_phone",
                    models.CharField(blank=True, default="", max_length=32, verbose_name="customer's phone"),
                ),
                ("amount_mismatch", models.BooleanField(default=False, editable=False, verbose_name="amount differs")),
                (
                    "mismatch_note",
                    models.TextField(blank=True, default="", editable=False, verbose_name="note on the amount"),
                ),
                ("metadata", models.JSONField(blank=True, default=dict, verbose_name="metadata")),
                (
                    "failure_reason",
                    models.CharField(
                        blank=True, default="", editable=False, max_length=250, verbose_name="failure reason"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
                (
                    "succeeded_at",
                    models.DateTimeField(blank=True, editable=False, null=True, verbose_name="succeeded at"),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="started by",
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
                    "gateway",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="payments",
                        to="billing.gatewayaccount",
                        verbose_name="gateway",
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
                "verbose_name": "payment",
                "verbose_name_plural": "payments",
                "ordering": ["-created_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="Refund",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("amount", models.DecimalField(decimal_places=8, max_digits=28, verbose_name="amount")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "pending"),
                            ("succeeded", "succeeded"),
                            ("canceled", "canceled or failed"),
                        ],
                        default="pending",
                        editable=False,
                        max_length=16,
                        verbose_name="status",
                    ),
                ),
                (
                    "provider_refund_id",
                    models.CharField(blank=True, default="", max_length=100, verbose_name="provider's refund id"),
                ),
                ("idempotency_key", models.CharField(editable=False, max_length=128, verbose_name="idempotency key")),
                (
                    "provider_key",
                    models.CharField(editable=False, max_length=64, verbose_name="key sent to the provider"),
                ),
                ("reason", models.CharField(blank=True, default="", max_length=250, verbose_name="reason")),
                ("receipt", models.JSONField(blank=True, default=dict, verbose_name="receipt (54-FZ)")),
                (
                    "failure_reason",
                    models.CharField(
                        blank=True, default="", editable=False, max_length=250, verbose_name="failure reason"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
                (
                    "succeeded_at",
                    models.DateTimeField(blank=True, editable=False, null=True, verbose_name="succeeded at"),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="refunded by",
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
                    "payment",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="refunds",
                        to="billing.payment",
                        verbose_name="payment",
                    ),
                ),
            ],
            options={
                "verbose_name": "refund",
                "verbose_name_plural": "refunds",
                "ordering": ["-created_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="UnmatchedRefund",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("provider_refund_id", models.CharField(max_length=100, verbose_name="provider's refund id")),
                ("provider_payment_id", models.CharField(max_length=100, verbose_name="provider's payment id")),
                ("state", models.JSONField(verbose_name="reported state")),
                ("received_at", models.DateTimeField(auto_now_add=True, verbose_name="received at")),
                ("applied_at", models.DateTimeField(blank=True, null=True, verbose_name="applied at")),
                (
                    "gateway",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="billing.gatewayaccount",
                        verbose_name="gateway",
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
                "verbose_name": "refund awaiting its payment",
                "verbose_name_plural": "refunds awaiting their payments",
                "ordering": ["received_at", "id"],
            },
        ),
        migrations.AddConstraint(
            model_name="gatewayaccount",
            constraint=models.CheckConstraint(
                condition=models.Q(("provider__in", ["stripe", "yookassa", "tbank"])),
                name="billing_gateway_provider_known",
            ),
        ),
        migrations.AddConstraint(
            model_name="gatewayaccount",
            constraint=models.CheckConstraint(
                condition=models.Q(("mode__in", ["test", "live"])), name="billing_gateway_mode_known"
            ),
        ),
        migrations.AddConstraint(
            model_name="gatewayaccount",
            constraint=models.UniqueConstraint(
                condition=models.Q(("is_platform", True)),
                fields=("organization", "provider"),
                name="billing_gateway_one_platform_per_provider",
            ),
        ),
        migrations.AddIndex(
            model_name="payment",
            index=models.Index(fields=["purpose_type", "purpose_id"], name="billing_payment_purpose"),
        ),
        migrations.AddConstraint(
            model_name="payment",
            constraint=models.UniqueConstraint(
                fields=("organization", "idempotency_key"), name="billing_payment_key_unique"
            ),
        ),
        migrations.AddConstraint(
            model_name="payment",
            constraint=models.UniqueConstraint(
                condition=models.Q(("provider_payment_id", ""), _negated=True),
                fields=("gateway", "provider_payment_id"),
                name="billing_payment_provider_id_unique",
            ),
        ),
        migrations.AddConstraint(
            model_name="payment",
            constraint=models.CheckConstraint(
                condition=models.Q(("amount__gt", 0)), name="billing_payment_amount_positive"
            ),
        ),
        migrations.AddConstraint(
            model_name="payment",
            constraint=models.CheckConstraint(
                condition=models.Q(("captured_amount__gte", 0), ("captured_amount__lte", models.F("amount"))),
                name="billing_payment_captured_within_amount",
            ),
        ),
        migrations.AddConstraint(
            model_name="payment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("status__in", ["pending", "waiting_for_capture", "succeeded", "canceled", "failed"])
                ),
                name="billing_payment_status_known",
            ),
        ),
        migrations.AddConstraint(
            model_name="payment",
            constraint=models.CheckConstraint(
                condition=models.Q(("capture_mode__in", ["one_stage", "two_stage"])),
                name="billing_payment_capture_mode_known",
            ),
        ),
        migrations.AddConstraint(
            model_name="refund",
            constraint=models.UniqueConstraint(
                fields=("organization", "idempotency_key"), name="billing_refund_key_unique"
            ),
        ),
        migrations.AddConstraint(
            model_name="refund",
            constraint=models.UniqueConstraint(
                condition=models.Q(("provider_refund_id", ""), _negated=True),
                fields=("payment", "provider_refund_id"),
                name="billing_refund_provider_id_unique",
            ),
        ),
        migrations.AddConstraint(
            model_name="refund",
            constraint=models.CheckConstraint(
                condition=models.Q(("amount__gt", 0)), name="billing_refund_amount_positive"
            ),
        ),
        migrations.AddConstraint(
            model_name="refund",
            constraint=models.CheckConstraint(
                condition=models.Q(("status__in", ["pending", "succeeded", "canceled"])),
                name="billing_refund_status_known",
            ),
        ),
        migrations.AddConstraint(
            model_name="unmatchedrefund",
            constraint=models.UniqueConstraint(
                fields=("gateway", "provider_refund_id"), name="billing_unmatched_refund_unique"
            ),
        ),
        SqlFile("billing", "billing_payment_guard", 1),
        SqlFile("billing", "billing_refund_guard", 1),
    ]
