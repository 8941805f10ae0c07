"""The webhook inbox (apps.core.mechanisms.webhooks): one table of inbound deliveries, and the sweeper that
hands over the ones whose handling task was lost (every five minutes, in the database so that it shows in the
admin; idempotent and reversible like the other schedules, see apps.core.operations.beat)."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

from apps.core.operations.beat import schedule_operation
from apps.core.operations.schedules import WEBHOOK_SWEEP


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0007_audit_api_key"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.CreateModel(
            name="WebhookDelivery",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "source",
                    models.CharField(
                        help_text="The integration that registered the inbox.", max_length=64, verbose_name="source"
                    ),
                ),
                (
                    "endpoint",
                    models.CharField(
                        blank=True,
                        help_text="The part of the address naming the receiving account.",
                        max_length=128,
                        verbose_name="endpoint",
                    ),
                ),
                ("method", models.CharField(max_length=10, verbose_name="method")),
                ("headers", models.JSONField(blank=True, default=dict, verbose_name="headers")),
                ("body", models.BinaryField(blank=True, default=b"", verbose_name="body")),
                (
                    "body_size",
                    models.PositiveIntegerField(
                        default=0, help_text="Bytes, as announced or read.", verbose_name="body size"
                    ),
                ),
                ("remote_address", models.GenericIPAddressField(blank=True, null=True, verbose_name="remote address")),
                ("received_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="received")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("received", "Received"),
                            ("rejected", "Rejected"),
                            ("verified", "Verified"),
                            ("duplicate", "Duplicate"),
                            ("processing", "Processing"),
                            ("processed", "Processed"),
                            ("failed", "Failed"),
                        ],
                        default="received",
                        max_length=16,
                        verbose_name="status",
                    ),
                ),
                (
                    "error",
                    models.TextField(
                        blank=True, help_text="Why it was rejected, or why handling it failed.", verbose_name="error"
                    ),
                ),
                ("event_id", models.CharField(blank=True, max_length=255, verbose_name="event id")),
                ("event_type", models.CharField(blank=True, max_length=128, verbose_name="event type")),
                (
                    "payload",
                    models.JSONField(
                        blank=True,
                        help_text="What the verifier established: the parsed or re-fetched event.",
                        null=True,
                        verbose_name="payload",
                    ),
                ),
                ("attempts", models.PositiveSmallIntegerField(default=0, verbose_name="attempts")),
                ("next_attempt_at", models.DateTimeField(blank=True, null=True, verbose_name="next attempt")),
                ("processed_at", models.DateTimeField(blank=True, null=True, verbose_name="processed")),
                (
                    "duplicate_of",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="duplicates",
                        to="core.webhookdelivery",
                        verbose_name="duplicate of",
                    ),
                ),
                (
                    "organization",
                    models.ForeignKey(
                        blank=True,
                        help_text="Known once the delivery is verified; empty when it was rejected before that.",
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="core.organization",
                        verbose_name="organization",
                    ),
                ),
            ],
            options={
                "verbose_name": "webhook delivery",
                "verbose_name_plural": "webhook deliveries",
                "ordering": ["-received_at", "-id"],
                "indexes": [
                    models.Index(fields=["organization", "-received_at"], name="webhookdelivery_org_time"),
                    models.Index(fields=["source", "-received_at"], name="webhookdelivery_source_time"),
                    models.Index(fields=["status", "-received_at"], name="webhookdelivery_status_time"),
                    models.Index(fields=["event_id"], name="webhookdelivery_event_id"),
                    models.Index(
                        condition=models.Q(("status__in", ["verified", "processing", "failed"])),
                        fields=["received_at"],
                        name="webhookdelivery_pending",
                    ),
                ],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("status__in", ["verified", "processing", "processed", "failed"])),
                        fields=("source", "event_id"),
                        name="webhookdelivery_event_once",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("status__in", ["received", "rejected"]),
                            models.Q(("event_id", ""), _negated=True),
                            _connector="OR",
                        ),
                        name="webhookdelivery_verified_has_event_id",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("duplicate_of__isnull", True), ("status", "duplicate"), _connector="OR"),
                        name="webhookdelivery_only_duplicates_point",
                    ),
                ],
            },
        ),
        schedule_operation(WEBHOOK_SWEEP),
    ]
