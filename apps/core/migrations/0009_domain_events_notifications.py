"""Domain events (with one delivery row per subscription) and the notifications outbox, and the two
sweepers that queue again what a process that died after a commit left behind (every minute, in the
database so that they show in the admin; see apps.core.mechanisms.events and .notifications).

Numbered 0009 and depending on 0007: 0008 is made beside it; the two are relinked when they meet.
"""

import django.db.models.deletion
from django.db import migrations, models

from apps.core.operations.beat import schedule_operation
from apps.core.operations.schedules import EVENTS_SWEEP, NOTIFICATIONS_SWEEP


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0008_webhook_deliveries"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.CreateModel(
            name="DomainEvent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=100, verbose_name="event")),
                (
                    "aggregate",
                    models.CharField(
                        blank=True,
                        help_text="What the event is about («billing.payment:12»); events of one aggregate are delivered in order.",
                        max_length=200,
                        verbose_name="aggregate",
                    ),
                ),
                ("payload", models.JSONField(blank=True, default=dict, verbose_name="payload")),
                (
                    "key",
                    models.CharField(
                        blank=True, max_length=128, null=True, unique=True, verbose_name="idempotency key"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="emitted")),
                (
                    "settled_at",
                    models.DateTimeField(
                        blank=True,
                        help_text="When every subscription had received the event or had given up on it.",
                        null=True,
                        verbose_name="settled",
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
                "verbose_name": "domain event",
                "verbose_name_plural": "domain events",
                "ordering": ["-id"],
            },
        ),
        migrations.CreateModel(
            name="DomainEventDelivery",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("subscription", models.CharField(max_length=100, verbose_name="subscription")),
                (
                    "status",
                    models.CharField(
                        choices=[("pending", "Pending"), ("done", "Delivered"), ("failed", "Failed")],
                        default="pending",
                        max_length=16,
                        verbose_name="status",
                    ),
                ),
                ("attempts", models.PositiveIntegerField(default=0, verbose_name="attempts")),
                ("next_attempt_at", models.DateTimeField(blank=True, null=True, verbose_name="next attempt")),
                ("error", models.TextField(blank=True, verbose_name="error")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created")),
                ("delivered_at", models.DateTimeField(blank=True, null=True, verbose_name="delivered")),
                (
                    "event",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="deliveries",
                        to="core.domainevent",
                        verbose_name="domain event",
                    ),
                ),
            ],
            options={
                "verbose_name": "event delivery",
                "verbose_name_plural": "event deliveries",
                "ordering": ["-id"],
            },
        ),
        migrations.CreateModel(
            name="Notification",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("channel", models.CharField(max_length=32, verbose_name="channel")),
                ("recipient", models.CharField(max_length=320, verbose_name="recipient")),
                ("template", models.CharField(max_length=100, verbose_name="template")),
                ("context", models.JSONField(blank=True, default=dict, verbose_name="context")),
                ("language", models.CharField(max_length=8, verbose_name="language")),
                ("key", models.CharField(max_length=128, unique=True, verbose_name="idempotency key")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("queued", "Queued"),
                            ("sent", "Sent"),
                            ("delivered", "Delivered"),
                            ("failed", "Failed"),
                        ],
                        default="queued",
                        max_length=16,
                        verbose_name="status",
                    ),
                ),
                ("attempts", models.PositiveIntegerField(default=0, verbose_name="attempts")),
                ("next_attempt_at", models.DateTimeField(blank=True, null=True, verbose_name="next attempt")),
                (
                    "provider_message_id",
                    models.CharField(blank=True, max_length=255, verbose_name="provider's message id"),
                ),
                ("error", models.TextField(blank=True, verbose_name="error")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created")),
                ("sent_at", models.DateTimeField(blank=True, null=True, verbose_name="sent")),
                ("delivered_at", models.DateTimeField(blank=True, null=True, verbose_name="delivered")),
                ("failed_at", models.DateTimeField(blank=True, null=True, verbose_name="failed")),
                (
                    "organization",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="core.organization",
                        verbose_name="organization",
                    ),
                ),
            ],
            options={
                "verbose_name": "notification",
                "verbose_name_plural": "notifications",
                "ordering": ["-id"],
            },
        ),
        migrations.AddIndex(
            model_name="domainevent",
            index=models.Index(fields=["organization", "aggregate", "id"], name="domainevent_aggregate"),
        ),
        migrations.AddIndex(
            model_name="domainevent",
            index=models.Index(
                condition=models.Q(("settled_at__isnull", True)), fields=["created_at"], name="domainevent_unsettled"
            ),
        ),
        migrations.AddConstraint(
            model_name="domaineventdelivery",
            constraint=models.UniqueConstraint(fields=("event", "subscription"), name="domaineventdelivery_once"),
        ),
        migrations.AddConstraint(
            model_name="domaineventdelivery",
            constraint=models.CheckConstraint(
                condition=models.Q(("status__in", ["pending", "done", "failed"])),
                name="domaineventdelivery_status_known",
            ),
        ),
        migrations.AddConstraint(
            model_name="domaineventdelivery",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "done"), _negated=True), ("delivered_at__isnull", False), _connector="OR"
                ),
                name="domaineventdelivery_done_has_time",
            ),
        ),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(fields=["status", "next_attempt_at"], name="notification_due"),
        ),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(fields=["channel", "provider_message_id"], name="notification_provider_id"),
        ),
        migrations.AddConstraint(
            model_name="notification",
            constraint=models.CheckConstraint(
                condition=models.Q(("status__in", ["queued", "sent", "delivered", "failed"])),
                name="notification_status_known",
            ),
        ),
        migrations.AddConstraint(
            model_name="notification",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status__in", ["sent", "delivered"]), _negated=True),
                    ("sent_at__isnull", False),
                    _connector="OR",
                ),
                name="notification_sent_has_time",
            ),
        ),
        schedule_operation(EVENTS_SWEEP, NOTIFICATIONS_SWEEP),
    ]
