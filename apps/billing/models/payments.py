"""Payments taken through a gateway and their refunds. A payment row exists (with its idempotency key) before
the provider is asked for anything, so a retried request finds it and sends the provider the same key."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.fields.json import KeyTransform
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy, pgettext_lazy

from apps.core.accounts.tenancy import TenantModel
from apps.core.language.nouns import NounForms

__all__ = [
    "CaptureMode",
    "Payment",
    "PaymentStatus",
    "Refund",
    "RefundStatus",
    "UnmatchedRefund",
    "PAYMENT_TRANSITIONS",
]

AMOUNT_DIGITS, AMOUNT_PLACES = 28, 8  # the width of every amount in Kontora (apps.ledger.models.AmountField)


def _amount(verbose_name, **kwargs):
    return models.DecimalField(verbose_name, max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES, **kwargs)


class PaymentStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("payment status", "pending")
    WAITING_FOR_CAPTURE = "waiting_for_capture", pgettext_lazy("payment status", "waiting for capture")
    SUCCEEDED = "succeeded", pgettext_lazy("payment status", "succeeded")
    CANCELED = "canceled", pgettext_lazy("payment status", "canceled")
    FAILED = "failed", pgettext_lazy("payment status", "failed")


# Where each status may go. Succeeded, canceled and failed are final: a provider's later word about a final
# payment (a stale webhook, a late poll) changes nothing. The trigger billing_payment_guard says the same.
PAYMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    PaymentStatus.PENDING: frozenset(
        {PaymentStatus.WAITING_FOR_CAPTURE, PaymentStatus.SUCCEEDED, PaymentStatus.CANCELED, PaymentStatus.FAILED}
    ),
    PaymentStatus.WAITING_FOR_CAPTURE: frozenset({PaymentStatus.SUCCEEDED, PaymentStatus.CANCELED}),
    PaymentStatus.SUCCEEDED: frozenset(),
    PaymentStatus.CANCELED: frozenset(),
    PaymentStatus.FAILED: frozenset(),
}


class CaptureMode(models.TextChoices):
    ONE_STAGE = "one_stage", _("one-stage")
    TWO_STAGE = "two_stage", _("two-stage (hold, then capture)")


class Payment(TenantModel):
    """A payment asked of a customer through a gateway, for a purpose (``purpose_type`` such as
    ``ledger.invoice`` or ``billing.subscription`` and its ``purpose_id``). ``captured_amount`` is what the
    provider took; ``fee`` its commission and ``net`` what it pays out. An amount the provider reports that
    differs from what was asked is not applied: ``amount_mismatch`` flags it with a note for a person."""

    gateway = models.ForeignKey(
        "billing.GatewayAccount", on_delete=models.PROTECT, related_name="payments", verbose_name=_("gateway")
    )
    amount = _amount(_("amount"))
    currency = models.ForeignKey(
        "core.Currency", on_delete=models.PROTECT, related_name="+", verbose_name=_("currency")
    )
    status = models.CharField(
        _("status"), max_length=24, choices=PaymentStatus.choices, default=PaymentStatus.PENDING, editable=False
    )
    provider_payment_id = models.CharField(_("provider's payment id"), max_length=100, blank=True, default="")
    purpose_type = models.CharField(_("purpose type"), max_length=64, blank=True, default="")
    purpose_id = models.CharField(_("purpose id"), max_length=64, blank=True, default="")
    description = models.CharField(_("description"), max_length=250, blank=True, default="")
    idempotency_key = models.CharField(_("idempotency key"), max_length=128, editable=False)
    # What the provider is sent as its idempotency key (Stripe's Idempotency-Key, YooKassa's Idempotence-Key,
    # T-Bank's OrderId): derived from ours, short enough for every provider (T-Bank takes 36 characters).
    provider_key = models.CharField(_("key sent to the provider"), max_length=64, editable=False)
    confirmation_url = models.URLField(_("confirmation URL"), max_length=2000, blank=True, default="")
    return_url = models.URLField(_("return URL"), max_length=2000, blank=True, default="")
    capture_mode = models.CharField(
        _("capture mode"), max_length=16, choices=CaptureMode.choices, default=CaptureMode.ONE_STAGE
    )
    captured_amount = _amount(_("captured"), default=0, editable=False)
    fee = _amount(_("provider's fee"), null=True, blank=True, editable=False)
    net = _amount(_("net"), null=True, blank=True, editable=False)
    receipt = models.JSONField(_("receipt (54-FZ)"), default=dict, blank=True)
    customer_email = models.EmailField(_("customer's e-mail"), blank=True, default="")
    customer_phone = models.CharField(_("customer's phone"), max_length=32, blank=True, default="")
    amount_mismatch = models.BooleanField(_("amount differs"), default=False, editable=False)
    mismatch_note = models.TextField(_("note on the amount"), blank=True, default="", editable=False)
    metadata = models.JSONField(_("metadata"), default=dict, blank=True)
    failure_reason = models.CharField(_("failure reason"), max_length=250, blank=True, default="", editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("started by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    succeeded_at = models.DateTimeField(_("succeeded at"), null=True, blank=True, editable=False)
    # Set by the sweeper when a paid payment's purpose is gone or cancelled (an invoice voided): a person
    # decides whether to refund it; nothing is refunded automatically.
    refund_flagged_at = models.DateTimeField(_("flagged for refund"), null=True, blank=True, editable=False)
    refund_flag_reason = models.CharField(
        _("why it should be refunded"), max_length=250, blank=True, default="", editable=False
    )

    noun_forms = NounForms(
        accusative=pgettext_lazy("accusative", "payment"),
        genitive=pgettext_lazy("genitive", "payment"),
        accusative_plural=pgettext_lazy("accusative plural", "payments"),
        genitive_plural=pgettext_lazy("genitive plural", "payments"),
        count=ngettext_lazy("%(count)s payment", "%(count)s payments", "count"),
        gender=pgettext_lazy("grammatical gender", "payment"),
    )

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "idempotency_key"], name="billing_payment_key_unique"),
            models.UniqueConstraint(
                fields=["gateway", "provider_payment_id"],
                condition=~Q(provider_payment_id=""),
                name="billing_payment_provider_id_unique",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="billing_payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(captured_amount__gte=0, captured_amount__lte=F("amount")),
                name="billing_payment_captured_within_amount",
            ),
            models.CheckConstraint(condition=Q(status__in=PaymentStatus.values), name="billing_payment_status_known"),
            models.CheckConstraint(
                condition=Q(capture_mode__in=CaptureMode.values), name="billing_payment_capture_mode_known"
            ),
        ]
        indexes = [
            models.Index(fields=["purpose_type", "purpose_id"], name="billing_payment_purpose"),
            # Events that name the payment by the provider's other id (Stripe's PaymentIntent) find it by key,
            # not by reading every payment of the gateway.
            models.Index(
                F("gateway"), KeyTransform("provider_reference", "metadata"), name="billing_payment_reference"
            ),
            # The sweeper's look for succeeded payments whose fee is still to be asked for: few rows, by time.
            models.Index(
                fields=["succeeded_at"],
                condition=Q(status="succeeded", fee__isnull=True),
                name="billing_payment_fee_unknown",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount.normalize():f} {self.currency_id} ({self.provider_payment_id or self.pk})"

    @property
    def is_final(self) -> bool:
        return not PAYMENT_TRANSITIONS[self.status]


class RefundStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("refund status", "pending")
    SUCCEEDED = "succeeded", pgettext_lazy("refund status", "succeeded")
    CANCELED = "canceled", pgettext_lazy("refund status", "canceled or failed")


class Refund(TenantModel):
    """Money given back on a payment. Pending and succeeded refunds together never exceed what the payment
    captured: the service checks it under a lock on the payment and the trigger billing_refund_guard
    refuses anything else, whatever writes the row."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("payment"))
    amount = _amount(_("amount"))
    status = models.CharField(
        _("status"), max_length=16, choices=RefundStatus.choices, default=RefundStatus.PENDING, editable=False
    )
    provider_refund_id = models.CharField(_("provider's refund id"), max_length=100, blank=True, default="")
    idempotency_key = models.CharField(_("idempotency key"), max_length=128, editable=False)
    provider_key = models.CharField(_("key sent to the provider"), max_length=64, editable=False)
    reason = models.CharField(_("reason"), max_length=250, blank=True, default="")
    receipt = models.JSONField(_("receipt (54-FZ)"), default=dict, blank=True)
    failure_reason = models.CharField(_("failure reason"), max_length=250, blank=True, default="", editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("refunded by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    succeeded_at = models.DateTimeField(_("succeeded at"), null=True, blank=True, editable=False)

    noun_forms = NounForms(
        accusative=pgettext_lazy("accusative", "refund"),
        genitive=pgettext_lazy("genitive", "refund"),
        accusative_plural=pgettext_lazy("accusative plural", "refunds"),
        genitive_plural=pgettext_lazy("genitive plural", "refunds"),
        count=ngettext_lazy("%(count)s refund", "%(count)s refunds", "count"),
        gender=pgettext_lazy("grammatical gender", "refund"),
    )

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "idempotency_key"], name="billing_refund_key_unique"),
            models.UniqueConstraint(
                fields=["payment", "provider_refund_id"],
                condition=~Q(provider_refund_id=""),
                name="billing_refund_provider_id_unique",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="billing_refund_amount_positive"),
            models.CheckConstraint(condition=Q(status__in=RefundStatus.values), name="billing_refund_status_known"),
        ]

    def __str__(self) -> str:
        return f"{self.amount.normalize():f} ({self.provider_refund_id or self.pk})"


class UnmatchedRefund(TenantModel):
    """A refund the provider told us about before we knew its payment (events arrive in any order): kept
    until the payment is known, then applied (``refund_apply_state``) and marked ``applied_at``."""

    gateway = models.ForeignKey(
        "billing.GatewayAccount", on_delete=models.PROTECT, related_name="+", verbose_name=_("gateway")
    )
    provider_refund_id = models.CharField(_("provider's refund id"), max_length=100)
    provider_payment_id = models.CharField(_("provider's payment id"), max_length=100)
    state = models.JSONField(_("reported state"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)

    noun_forms = NounForms(
        accusative=pgettext_lazy("accusative", "refund awaiting its payment"),
        genitive=pgettext_lazy("genitive", "refund awaiting its payment"),
        accusative_plural=pgettext_lazy("accusative plural", "refunds awaiting their payments"),
        genitive_plural=pgettext_lazy("genitive plural", "refunds awaiting their payments"),
        count=ngettext_lazy(
            "%(count)s refund awaiting its payment", "%(count)s refunds awaiting their payments", "count"
        ),
        gender=pgettext_lazy("grammatical gender", "refund awaiting its payment"),
    )

    class Meta:
        verbose_name = _("refund awaiting its payment")
        verbose_name_plural = _("refunds awaiting their payments")
        ordering = ["received_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["gateway", "provider_refund_id"], name="billing_unmatched_refund_unique")
        ]

    def __str__(self) -> str:
        return f"{self.provider_refund_id} → {self.provider_payment_id}"
