"""What an organization pays Kontora for: plans with prices and limits, its subscription, and the usage it has
consumed of each limited resource.

Plans are global (the catalogue every organization chooses from); subscriptions and usage belong to one
organization. Names and descriptions are plain ``*_ru`` / ``*_en`` columns rather than gettext strings: the
catalogue is data that the operator edits in the admin, not text shipped with a release, and two columns are
what the admin can show side by side (``Plan.name`` picks the one of the active language).

Resources are of two kinds (:data:`PER_PERIOD_RESOURCES`):

- **per-period counters** (``llm_tokens``, ``messages``): consumption per calendar month in the organization's
  time zone, whatever the billing period (a yearly plan still grants its tokens per month); a new month starts
  at zero (a new :class:`UsageCounter` row);
- **standing counts** (``seats``, ``agents``, ``knowledge_storage_mb``): what is in use now; their counter has
  no period (``period`` is NULL) and goes down when the app gives units back (``usage_free``).

What the database guarantees, whatever writes the rows: one current subscription per organization (a partial
unique index), counters never negative (CHECK), one reservation and at most one end (settle or release) per
request key (unique indexes), and usage records that are never changed or deleted (a trigger,
``apps/billing/sql/billing_usagerecord_append_only.0001.sql``): the records are the truth from which the
counters, usage and overage are derived (``apps.billing.selectors.usage_counter_recompute``).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy, pgettext_lazy

from apps.core.accounts.tenancy import TenantModel
from apps.core.language.nouns import NounForms
from apps.core.money.amounts import check_precision

__all__ = [
    "BillingPeriod",
    "PER_PERIOD_RESOURCES",
    "Plan",
    "PlanLimit",
    "PlanPrice",
    "Resource",
    "Subscription",
    "SubscriptionEvent",
    "SubscriptionProvider",
    "SubscriptionStatus",
    "UsageCounter",
    "UsageKind",
    "UsageRecord",
    "UsageThreshold",
    "limit_in_force",
    "month_of",
    "plan_in_force",
    "usage_period",
]


class Resource(models.TextChoices):
    SEATS = "seats", _("seats")
    AGENTS = "agents", _("agents")
    KNOWLEDGE_STORAGE_MB = "knowledge_storage_mb", _("knowledge storage, MB")
    LLM_TOKENS = "llm_tokens", _("LLM tokens per month")
    MESSAGES = "messages", _("messages per month")


# Counted per calendar month; the others are standing counts of what is in use now.
PER_PERIOD_RESOURCES = frozenset({Resource.LLM_TOKENS, Resource.MESSAGES})


class BillingPeriod(models.TextChoices):
    MONTH = "month", _("month")
    YEAR = "year", _("year")


class Plan(models.Model):
    """A plan of the catalogue (global): its names, trial, prices per currency and period, and limits."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name_ru = models.CharField(_("name (Russian)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    description_ru = models.TextField(_("description (Russian)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    trial_days = models.PositiveSmallIntegerField(_("trial days"), default=0)
    is_free = models.BooleanField(
        _("free"), default=False, help_text=_("The plan an organization falls back to when a paid plan ends.")
    )
    is_public = models.BooleanField(_("shown on the pricing page"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    noun_forms = NounForms(
        accusative=pgettext_lazy("accusative", "plan"),
        genitive=pgettext_lazy("genitive", "plan"),
        accusative_plural=pgettext_lazy("accusative plural", "plans"),
        genitive_plural=pgettext_lazy("genitive plural", "plans"),
        count=ngettext_lazy("%(count)s plan", "%(count)s plans", "count"),
        gender=pgettext_lazy("grammatical gender", "plan"),
    )

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The name in the active language (Russian for ``ru``, English otherwise)."""
        return self.name_ru if (translation.get_language() or "").startswith("ru") else self.name_en

    @property
    def description(self) -> str:
        return self.description_ru if (translation.get_language() or "").startswith("ru") else self.description_en

    def limits(self) -> dict[str, int | None]:
        """``{resource: amount}`` for every resource; a resource without a row allows nothing (0), ``None`` is
        unlimited."""
        limits: dict[str, int | None] = dict.fromkeys(Resource.values, 0)
        limits.update(dict(PlanLimit.objects.filter(plan=self).values_list("resource", "amount")))
        return limits


class PlanPrice(models.Model):
    """What a plan costs per period in one currency (NUMERIC, within the currency's precision)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="prices", verbose_name=_("plan"))
    currency = models.ForeignKey(
        "core.Currency", on_delete=models.PROTECT, related_name="+", verbose_name=_("currency")
    )
    period = models.CharField(_("period"), max_length=8, choices=BillingPeriod.choices)
    amount = models.DecimalField(_("amount"), max_digits=28, decimal_places=8)

    noun_forms = NounForms(
        accusative=pgettext_lazy("accusative", "plan price"),
        genitive=pgettext_lazy("genitive", "plan price"),
        accusative_plural=pgettext_lazy("accusative plural", "plan prices"),
        genitive_plural=pgettext_lazy("genitive plural", "plan prices"),
        count=ngettext_lazy("%(count)s plan price", "%(count)s plan prices", "count"),
        gender=pgettext_lazy("grammatical gender", "plan price"),
    )

    class Meta:
        verbose_name = _("plan price")
        verbose_name_plural = _("plan prices")
        ordering = ["plan", "currency", "period"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "currency", "period"], name="billing_planprice_unique"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="billing_planprice_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.plan.code} {self.amount} {self.currency_id}/{self.period}"

    def clean(self) -> None:
        super().clean()
        if self.amount is not None and self.currency_id:
            check_precision(self.amount, currency=self.currency_id, precision=self.currency.precision)


class PlanLimit(models.Model):
    """How much of a resource a plan allows; an empty amount is unlimited."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="plan_limits", verbose_name=_("plan"))
    resource = models.CharField(_("resource"), max_length=32, choices=Resource.choices)
    amount = models.BigIntegerField(_("amount"), null=True, blank=True, help_text=_("Empty means unlimited."))

    noun_forms = NounForms(
        accusative=pgettext_lazy("accusative", "plan limit"),
        genitive=pgettext_lazy("genitive", "plan limit"),
        accusative_plural=pgettext_lazy("accusative plural", "plan limits"),
        genitive_plural=pgettext_lazy("genitive plural", "plan limits"),
        count=ngettext_lazy("%(count)s plan limit", "%(count)s plan limits", "count"),
        gender=pgettext_lazy("grammatical gender", "plan limit"),
    )

    class Meta:
        verbose_name = _("plan limit")
        verbose_name_plural = _("plan limits")
        ordering = ["plan", "resource"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "resource"], name="billing_planlimit_unique"),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0), name="billing_planlimit_amount_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan.code}: {self.resource} {self.amount if self.amount is not None else '∞'}"


class SubscriptionStatus(models.TextChoices):
    INCOMPLETE = "incomplete", _("awaiting payment")
    TRIALING = "trialing", _("trial")
    ACTIVE = "active", _("active")
    PAST_DUE = "past_due", _("past due")
    CANCELED = "canceled", _("canceled")
    EXPIRED = "expired", _("expired")


# The statuses of an organization's current subscription: the one whose plan's limits apply. An incomplete
# subscription (awaiting its first payment) is not current: limits change only from a verified payment.
CURRENT_STATUSES = (SubscriptionStatus.TRIALING, SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE)
ENDED_STATUSES = (SubscriptionStatus.CANCELED, SubscriptionStatus.EXPIRED)


class SubscriptionProvider(models.TextChoices):
    NONE = "", _("none (free)")
    STRIPE = "stripe", "Stripe"
    YOOKASSA = "yookassa", "YooKassa"
    TBANK = "tbank", "T-Bank"


class SubscriptionQuerySet(models.QuerySet):
    def current(self):
        return self.filter(status__in=CURRENT_STATUSES)

    def current_for(self, organization) -> Subscription | None:
        """The organization's current subscription (trial, active or past due), if any."""
        return self.current().filter(organization_id=getattr(organization, "pk", organization)).first()


class Subscription(TenantModel):
    """An organization's subscription to a plan. At most one is current (trialing, active, past due); the
    others are awaiting their first payment or ended. Changed only by apps.billing.services.subscriptions."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="+", verbose_name=_("plan"))
    price = models.ForeignKey(
        PlanPrice, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("price")
    )
    status = models.CharField(_("status"), max_length=16, choices=SubscriptionStatus.choices)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    trial_ends_at = models.DateTimeField(_("trial ends"), null=True, blank=True)
    current_period_start = models.DateTimeField(_("current period start"), null=True, blank=True)
    current_period_end = models.DateTimeField(_("current period end"), null=True, blank=True)
    cancel_at_period_end = models.BooleanField(_("cancel at period end"), default=False)
    scheduled_plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("plan from next period")
    )
    scheduled_price = models.ForeignKey(
        PlanPrice,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("price from next period"),
    )
    # An upgrade that waits for its prorated payment: limits change only when the payment is verified.
    pending_plan = models.ForeignKey(
        Plan,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("upgrade awaiting payment"),
    )
    pending_price = models.ForeignKey(
        PlanPrice,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("price of the upgrade"),
    )
    pending_amount = models.DecimalField(
        _("upgrade amount due"), max_digits=28, decimal_places=8, null=True, blank=True
    )
    provider = models.CharField(_("provider"), max_length=16, choices=SubscriptionProvider.choices, blank=True)
    provider_subscription_id = models.CharField(_("provider's subscription id"), max_length=255, blank=True)
    payment_method_id = models.CharField(
        _("saved payment method"),
        max_length=255,
        blank=True,
        help_text=_("YooKassa payment_method_id or T-Bank RebillId, charged on renewal."),
    )
    renewal_attempts = models.PositiveSmallIntegerField(_("failed renewal attempts"), default=0)
    next_renewal_attempt_at = models.DateTimeField(_("next renewal attempt"), null=True, blank=True)
    grace_until = models.DateTimeField(_("grace period until"), null=True, blank=True)
    canceled_at = models.DateTimeField(_("canceled"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = SubscriptionQuerySet.as_manager()

    noun_forms = NounForms(
        accusative=pgettext_lazy("accusative", "subscription"),
        genitive=pgettext_lazy("genitive", "subscription"),
        accusative_plural=pgettext_lazy("accusative plural", "subscriptions"),
        genitive_plural=pgettext_lazy("genitive plural", "subscriptions"),
        count=ngettext_lazy("%(count)s subscription", "%(count)s subscriptions", "count"),
        gender=pgettext_lazy("grammatical gender", "subscription"),
    )

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization"],
                condition=Q(status__in=[s.value for s in CURRENT_STATUSES]),
                name="billing_subscription_one_current",
                violation_error_message=_("The organization already has a current subscription."),
            ),
            models.CheckConstraint(
                condition=Q(current_period_end__isnull=True)
                | Q(current_period_start__isnull=True)
                | Q(current_period_end__gt=models.F("current_period_start")),
                name="billing_subscription_period_order",
            ),
        ]
        indexes = [models.Index(fields=["status", "current_period_end"], name="billing_sub_status_end")]

    def __str__(self) -> str:
        return f"{self.plan.code} ({self.get_status_display()})"

    @property
    def is_current(self) -> bool:
        return self.status in CURRENT_STATUSES


class SubscriptionEvent(TenantModel):
    """A change applied to a subscription under a key (a verified payment event, a dunning step, a period
    roll): the key is unique, so the same event applied twice has one effect."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.PROTECT, related_name="events", verbose_name=_("subscription")
    )
    key = models.CharField(_("key"), max_length=255, unique=True)
    kind = models.CharField(_("kind"), max_length=32)
    data = models.JSONField(_("data"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    noun_forms = NounForms(
        accusative=pgettext_lazy("accusative", "subscription event"),
        genitive=pgettext_lazy("genitive", "subscription event"),
        accusative_plural=pgettext_lazy("accusative plural", "subscription events"),
        genitive_plural=pgettext_lazy("genitive plural", "subscription events"),
        count=ngettext_lazy("%(count)s subscription event", "%(count)s subscription events", "count"),
        gender=pgettext_lazy("grammatical gender", "subscription event"),
    )

    class Meta:
        verbose_name = _("subscription event")
        verbose_name_plural = _("subscription events")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"


class UsageCounter(TenantModel):
    """How much of a resource an organization has used and has reserved, per month for per-period resources
    (``period`` = the month's first day) or standing (``period`` empty). Derived from :class:`UsageRecord`."""

    resource = models.CharField(_("resource"), max_length=32, choices=Resource.choices)
    period = models.DateField(_("period"), null=True, blank=True)
    used = models.BigIntegerField(_("used"), default=0)
    reserved = models.BigIntegerField(_("reserved"), default=0)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    noun_forms = NounForms(
        accusative=pgettext_lazy("accusative", "usage counter"),
        genitive=pgettext_lazy("genitive", "usage counter"),
        accusative_plural=pgettext_lazy("accusative plural", "usage counters"),
        genitive_plural=pgettext_lazy("genitive plural", "usage counters"),
        count=ngettext_lazy("%(count)s usage counter", "%(count)s usage counters", "count"),
        gender=pgettext_lazy("grammatical gender", "usage counter"),
    )

    class Meta:
        verbose_name = _("usage counter")
        verbose_name_plural = _("usage counters")
        ordering = ["organization", "resource", "-period"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "resource", "period"],
                name="billing_usagecounter_unique",
                nulls_distinct=False,  # one standing counter (period NULL) per resource
            ),
            models.CheckConstraint(condition=Q(used__gte=0), name="billing_usagecounter_used_not_negative"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="billing_usagecounter_reserved_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.resource} {self.period or ''}: {self.used} + {self.reserved}"


class UsageKind(models.TextChoices):
    RESERVE = "reserve", _("reserved")
    SETTLE = "settle", _("settled")
    RELEASE = "release", _("released")
    FREE = "free", _("given back")


class UsageRecord(TenantModel):
    """One step of a request's usage, never changed or deleted: reserved before the work, then settled with
    the real amount or released; a standing resource's units are given back (``free``) when no longer in use.

    A request key has one reservation and at most one end (settle or release), which the unique indexes say."""

    resource = models.CharField(_("resource"), max_length=32, choices=Resource.choices)
    amount = models.BigIntegerField(_("amount"))
    period = models.DateField(_("period"), null=True, blank=True)
    key = models.CharField(_("request key"), max_length=128)
    kind = models.CharField(_("kind"), max_length=8, choices=UsageKind.choices)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    noun_forms = NounForms(
        accusative=pgettext_lazy("accusative", "usage record"),
        genitive=pgettext_lazy("genitive", "usage record"),
        accusative_plural=pgettext_lazy("accusative plural", "usage records"),
        genitive_plural=pgettext_lazy("genitive plural", "usage records"),
        count=ngettext_lazy("%(count)s usage record", "%(count)s usage records", "count"),
        gender=pgettext_lazy("grammatical gender", "usage record"),
    )

    class Meta:
        verbose_name = _("usage record")
        verbose_name_plural = _("usage records")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "key", "kind"], name="billing_usagerecord_key_kind"),
            models.UniqueConstraint(
                fields=["organization", "key"],
                condition=Q(kind__in=[UsageKind.SETTLE.value, UsageKind.RELEASE.value]),
                name="billing_usagerecord_one_end",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="billing_usagerecord_amount_not_negative"),
        ]
        indexes = [models.Index(fields=["organization", "resource", "period"], name="billing_usagerec_counter")]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} {self.resource} ({self.key})"


class UsageThreshold(TenantModel):
    """A threshold (80 % or 100 % of the limit) that an organization's usage of a resource crossed in a month:
    recorded once per month, so that it is reported (and notified) once."""

    resource = models.CharField(_("resource"), max_length=32, choices=Resource.choices)
    period = models.DateField(_("month"))
    percent = models.PositiveSmallIntegerField(_("threshold, %"))
    used = models.BigIntegerField(_("used"))
    limit = models.BigIntegerField(_("limit"))
    crossed_at = models.DateTimeField(_("crossed"), default=timezone.now)

    noun_forms = NounForms(
        accusative=pgettext_lazy("accusative", "usage threshold crossed"),
        genitive=pgettext_lazy("genitive", "usage threshold crossed"),
        accusative_plural=pgettext_lazy("accusative plural", "usage thresholds crossed"),
        genitive_plural=pgettext_lazy("genitive plural", "usage thresholds crossed"),
        count=ngettext_lazy("%(count)s usage threshold crossed", "%(count)s usage thresholds crossed", "count"),
        gender=pgettext_lazy("grammatical gender", "usage threshold crossed"),
    )

    class Meta:
        verbose_name = _("usage threshold crossed")
        verbose_name_plural = _("usage thresholds crossed")
        ordering = ["-crossed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "resource", "period", "percent"], name="billing_usagethreshold_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.resource} {self.percent}% {self.period}"


# --- what applies to an organization now (shared by the services and the selectors) -------------------------


def plan_in_force(organization) -> Plan | None:
    """The plan whose limits apply to the organization: its current subscription's, else the free plan (an
    organization that never subscribed is on it), else none (no catalogue yet: nothing is allowed)."""
    subscription = (
        Subscription.objects.current()
        .select_related("plan")
        .filter(organization_id=getattr(organization, "pk", organization))
        .first()
    )
    if subscription is not None:
        return subscription.plan
    return Plan.objects.filter(is_free=True, is_active=True).order_by("sort_order", "pk").first()


def limit_in_force(organization, resource: str) -> int | None:
    """How much of ``resource`` the organization's plan allows: ``None`` is unlimited; no plan, or a resource its
    plan does not list, allows nothing (0)."""
    plan = plan_in_force(organization)
    if plan is None:
        return 0
    amounts = list(PlanLimit.objects.filter(plan=plan, resource=resource).values_list("amount", flat=True)[:1])
    return amounts[0] if amounts else 0


def usage_period(organization, resource: str, *, now=None):
    """The counter period of ``resource`` now: the first day of the organization's current month for a
    per-period resource, ``None`` for a standing count."""
    if resource not in PER_PERIOD_RESOURCES:
        return None
    return month_of(organization, now=now)


def month_of(organization, *, now=None):
    """The first day of the organization's current month (in its time zone)."""
    return organization.today(now=now).replace(day=1)
