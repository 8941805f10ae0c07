"""Users, organizations and their memberships, currencies, and the audit trail."""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo

from django.conf import settings
from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy, pgettext_lazy

from apps.core.accounts.roles import Role
from apps.core.accounts.tenancy import TenantModel
from apps.core.language.nouns import NounForms
from apps.core.validation.files import validate_image_upload


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person who signs in with an e-mail address. Organizations are reached through memberships."""

    username = None
    email = models.EmailField(_("e-mail address"), unique=True)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []
    objects = UserManager()

    # Users are seen by the members of the organizations they share (see apps.core.accounts.tenancy.scope).
    tenant_path = "@users"

    noun_forms = NounForms(
        accusative=pgettext_lazy("accusative", "user"),
        genitive=pgettext_lazy("genitive", "user"),
        accusative_plural=pgettext_lazy("accusative plural", "users"),
        genitive_plural=pgettext_lazy("genitive plural", "users"),
        count=ngettext_lazy("%(count)s user", "%(count)s users", "count"),
        gender=pgettext_lazy("grammatical gender", "user"),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email


@functools.cache
def time_zone_names() -> frozenset[str]:
    """The IANA time zones this server knows (read once: the walk over the zone files takes ~30 ms). Not
    "localtime": the host's own zone, whatever it is, which no other server would read the same way."""
    return frozenset(zoneinfo.available_timezones() - {"localtime"})


def validate_time_zone(value: str) -> None:
    if value not in time_zone_names():
        raise ValidationError(_("“%(value)s” is not a known time zone."), code="invalid", params={"value": value})


class Currency(models.Model):
    """A currency or crypto asset with its precision: how many decimals an amount in it may have."""

    code = models.CharField(
        _("code"),
        max_length=10,
        primary_key=True,
        validators=[RegexValidator(r"^[A-Z0-9]{3,10}$", _("Use 3 to 10 capital letters or digits."))],
    )
    name = models.CharField(_("name"), max_length=64)
    precision = models.PositiveSmallIntegerField(
        _("precision"),
        validators=[MaxValueValidator(8)],
        help_text=_("Decimal places an amount may have (at most 8, as amounts are stored with 8)."),
    )
    is_crypto = models.BooleanField(_("crypto asset"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    noun_forms = NounForms(
        accusative=pgettext_lazy("accusative", "currency"),
        genitive=pgettext_lazy("genitive", "currency"),
        accusative_plural=pgettext_lazy("accusative plural", "currencies"),
        genitive_plural=pgettext_lazy("genitive plural", "currencies"),
        count=ngettext_lazy("%(count)s currency", "%(count)s currencies", "count"),
        gender=pgettext_lazy("grammatical gender", "currency"),
    )

    class Meta:
        verbose_name = _("currency")
        verbose_name_plural = _("currencies")
        ordering = ["code"]
        constraints = [models.CheckConstraint(condition=models.Q(precision__lte=8), name="currency_precision_max_8")]

    def __str__(self) -> str:
        return self.code


class Organization(models.Model):
    """The tenant: one business. Every domain row belongs to exactly one organization."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Moscow", validators=[validate_time_zone]
    )
    reporting_currency = models.ForeignKey(
        Currency, on_delete=models.PROTECT, default="RUB", related_name="+", verbose_name=_("reporting currency")
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="ru")
    require_mfa = models.BooleanField(
        _("require two-factor authentication"),
        default=False,
        help_text=_("Members must set up an authenticator app before they can work in this organization."),
    )
    logo = models.FileField(_("logo"), upload_to="organizations/logos/", blank=True, validators=[validate_image_upload])
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    tenant_path = ""

    noun_forms = NounForms(
        accusative=pgettext_lazy("accusative", "organization"),
        genitive=pgettext_lazy("genitive", "organization"),
        accusative_plural=pgettext_lazy("accusative plural", "organizations"),
        genitive_plural=pgettext_lazy("genitive plural", "organizations"),
        count=ngettext_lazy("%(count)s organization", "%(count)s organizations", "count"),
        gender=pgettext_lazy("grammatical gender", "organization"),
    )

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    # The one place that says what date it is for an organization: its business date (what is due, overdue,
    # the default date of a form or a report) is the date where it is, not where the server is.
    def local_date(self, moment: dt.datetime) -> dt.date:
        """The date ``moment`` falls on in the organization's time zone."""
        return moment.astimezone(zoneinfo.ZoneInfo(self.time_zone)).date()

    def today(self, *, now: dt.datetime | None = None) -> dt.date:
        """Today's date where the organization is (``now`` stands in for the present, for a run that must
        see one moment throughout)."""
        return self.local_date(now or timezone.now())


class Membership(models.Model):
    """A user's place in an organization. The role decides what they may change (see apps.core.accounts.roles)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("organization")
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(_("joined"), auto_now_add=True)

    tenant_path = "organization"

    noun_forms = NounForms(
        accusative=pgettext_lazy("accusative", "membership"),
        genitive=pgettext_lazy("genitive", "membership"),
        accusative_plural=pgettext_lazy("accusative plural", "memberships"),
        genitive_plural=pgettext_lazy("genitive plural", "memberships"),
        count=ngettext_lazy("%(count)s membership", "%(count)s memberships", "count"),
        gender=pgettext_lazy("grammatical gender", "membership"),
    )

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["organization__name", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="membership_unique_user_organization"),
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="membership_role_known"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization} ({self.get_role_display()})"


class AuditLog(models.Model):
    """One state change made through a service: who did what to which object, and what changed."""

    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("organization")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("actor"),
    )
    api_key = models.ForeignKey(
        "core.ApiKey",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("API key"),
        help_text=_("The key the change was made with, when a script rather than a person made it."),
    )
    action = models.CharField(_("action"), max_length=64)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    tenant_path = "organization"

    noun_forms = NounForms(
        accusative=pgettext_lazy("accusative", "audit record"),
        genitive=pgettext_lazy("genitive", "audit record"),
        accusative_plural=pgettext_lazy("accusative plural", "audit records"),
        genitive_plural=pgettext_lazy("genitive plural", "audit records"),
        count=ngettext_lazy("%(count)s audit record", "%(count)s audit records", "count"),
        gender=pgettext_lazy("grammatical gender", "audit record"),
    )

    class Meta:
        verbose_name = _("audit record")
        verbose_name_plural = _("audit log")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "-created_at"], name="auditlog_org_time")]

    def __str__(self) -> str:
        return f"{self.action_label} {self.object_repr}"

    @property
    def action_label(self) -> str:
        """The action in words, in the active language («Счёт на оплату выставлен»), not its code."""
        from apps.core.mechanisms.audit_labels import action_label

        return action_label(self.action)

    @property
    def actor_display(self) -> str:
        """Who made the change: the person, or the API key a script used."""
        if self.actor_id is not None:
            return str(self.actor)
        if self.api_key_id is not None:
            return str(_("API key {name}").format(name=self.api_key))
        return ""


class ApiKey(TenantModel):
    """An organization's key for scripts and integrations. Only a hash is stored; the key is shown once.

    The key authenticates as the organization, not as a person: it sees that organization's data only and
    may change it only with the ``write`` scope (and then with the powers of ``role``).
    """

    class Scope(models.TextChoices):
        READ = "read", _("Read")
        WRITE = "write", _("Read and write")

    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, help_text=_("The visible start of the key."))
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True, editable=False)
    scopes = ArrayField(
        models.CharField(max_length=16, choices=Scope.choices), default=list, verbose_name=_("scopes"), blank=True
    )
    role = models.CharField(
        _("acts as role"),
        max_length=16,
        choices=Role.choices,
        default=Role.VIEWER,
        help_text=_("With the write scope, the key may change what a member of this role may change."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    noun_forms = NounForms(
        accusative=pgettext_lazy("accusative", "API key"),
        genitive=pgettext_lazy("genitive", "API key"),
        accusative_plural=pgettext_lazy("accusative plural", "API keys"),
        genitive_plural=pgettext_lazy("genitive plural", "API keys"),
        count=ngettext_lazy("%(count)s API key", "%(count)s API keys", "count"),
        gender=pgettext_lazy("grammatical gender", "API key"),
    )

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class RefreshToken(models.Model):
    """One refresh token of a login family. Using it issues a new access token and a new refresh token
    (rotation); using a token a second time means it was stolen, and revokes the whole family."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="refresh_tokens", verbose_name=_("user")
    )
    family = models.UUIDField(_("family"), db_index=True)
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    user_agent = models.CharField(_("client"), max_length=200, blank=True)

    noun_forms = NounForms(
        accusative=pgettext_lazy("accusative", "refresh token"),
        genitive=pgettext_lazy("genitive", "refresh token"),
        accusative_plural=pgettext_lazy("accusative plural", "refresh tokens"),
        genitive_plural=pgettext_lazy("genitive plural", "refresh tokens"),
        count=ngettext_lazy("%(count)s refresh token", "%(count)s refresh tokens", "count"),
        gender=pgettext_lazy("grammatical gender", "refresh token"),
    )

    class Meta:
        verbose_name = _("refresh token")
        verbose_name_plural = _("refresh tokens")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["expires_at"], name="refreshtoken_expires")]

    def __str__(self) -> str:
        return f"{self.user} · {self.family}"


class FxRate(models.Model):
    """An exchange rate: one unit of ``base`` costs ``rate`` units of ``quote`` on ``date``, per ``source``.

    Public rates (the Central Bank of Russia's daily fixing, fetched by a beat task) belong to no
    organization and are shared; a rate entered by hand or recorded by a conversion belongs to the
    organization that used it and is seen by its members only.
    """

    class Source(models.TextChoices):
        CBR = "cbr", _("Central Bank of Russia")
        MANUAL = "manual", _("Entered by hand")
        DEAL = "deal", _("Rate of an actual exchange")

    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("organization"),
        help_text=_("Empty for public rates shared by everyone."),
    )
    date = models.DateField(_("date"))
    base = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+", verbose_name=_("base currency"))
    quote = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+", verbose_name=_("quote currency"))
    rate = models.DecimalField(_("rate"), max_digits=28, decimal_places=12)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.MANUAL)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    tenant_path = "organization"
    tenant_shared_when_null = True

    noun_forms = NounForms(
        accusative=pgettext_lazy("accusative", "exchange rate"),
        genitive=pgettext_lazy("genitive", "exchange rate"),
        accusative_plural=pgettext_lazy("accusative plural", "exchange rates"),
        genitive_plural=pgettext_lazy("genitive plural", "exchange rates"),
        count=ngettext_lazy("%(count)s exchange rate", "%(count)s exchange rates", "count"),
        gender=pgettext_lazy("grammatical gender", "exchange rate"),
    )

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        ordering = ["-date", "base", "quote"]
        constraints = [
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="fxrate_positive"),
            models.CheckConstraint(condition=~models.Q(base=models.F("quote")), name="fxrate_two_currencies"),
            models.UniqueConstraint(
                fields=["date", "base", "quote", "source"],
                condition=models.Q(organization__isnull=True),
                name="fxrate_public_unique",
            ),
        ]
        indexes = [models.Index(fields=["base", "quote", "-date"], name="fxrate_pair_date")]

    def __str__(self) -> str:
        rate = format(self.rate.normalize(), "f")  # 80, not 8E+1
        return f"{self.date} 1 {self.base_id} = {rate} {self.quote_id} ({self.get_source_display()})"


class WebhookDelivery(models.Model):
    """One inbound webhook as it arrived: stored before anything is believed, then verified by its source's
    verifier and handled in the background (``apps.core.mechanisms.webhooks``). Never edited by hand.

    An event is handled once per source: among the deliveries that claimed one (verified and after), the
    pair (source, event id) is unique in the database; a later delivery of the same event is kept as a
    duplicate pointing at the first, so a provider's retries stay visible without being acted on twice.
    """

    class Status(models.TextChoices):
        RECEIVED = "received", pgettext_lazy("webhook delivery status", "Received")
        REJECTED = "rejected", pgettext_lazy("webhook delivery status", "Rejected")
        VERIFIED = "verified", pgettext_lazy("webhook delivery status", "Verified")
        DUPLICATE = "duplicate", pgettext_lazy("webhook delivery status", "Duplicate")
        PROCESSING = "processing", pgettext_lazy("webhook delivery status", "Processing")
        PROCESSED = "processed", pgettext_lazy("webhook delivery status", "Processed")
        FAILED = "failed", pgettext_lazy("webhook delivery status", "Failed")

    # The statuses of a delivery that owns its event: one per (source, event id).
    CLAIMED = (Status.VERIFIED, Status.PROCESSING, Status.PROCESSED, Status.FAILED)

    source = models.CharField(_("source"), max_length=64, help_text=_("The integration that registered the inbox."))
    endpoint = models.CharField(
        _("endpoint"), max_length=128, blank=True, help_text=_("The part of the address naming the receiving account.")
    )
    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("organization"),
        help_text=_("Known once the delivery is verified; empty when it was rejected before that."),
    )
    method = models.CharField(_("method"), max_length=10)
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    body = models.BinaryField(_("body"), blank=True, default=b"")
    body_size = models.PositiveIntegerField(_("body size"), default=0, help_text=_("Bytes, as announced or read."))
    remote_address = models.GenericIPAddressField(_("remote address"), null=True, blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.RECEIVED)
    error = models.TextField(_("error"), blank=True, help_text=_("Why it was rejected, or why handling it failed."))
    event_id = models.CharField(_("event id"), max_length=255, blank=True)
    event_type = models.CharField(_("event type"), max_length=128, blank=True)
    payload = models.JSONField(
        _("payload"),
        null=True,
        blank=True,
        help_text=_("What the verifier established: the parsed or re-fetched event."),
    )
    duplicate_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="duplicates",
        verbose_name=_("duplicate of"),
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)

    # Members see their organization's deliveries; a delivery not yet tied to one is seen by superusers only.
    tenant_path = "organization"

    noun_forms = NounForms(
        accusative=pgettext_lazy("accusative", "webhook delivery"),
        genitive=pgettext_lazy("genitive", "webhook delivery"),
        accusative_plural=pgettext_lazy("accusative plural", "webhook deliveries"),
        genitive_plural=pgettext_lazy("genitive plural", "webhook deliveries"),
        count=ngettext_lazy("%(count)s webhook delivery", "%(count)s webhook deliveries", "count"),
        gender=pgettext_lazy("grammatical gender", "webhook delivery"),
    )

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "event_id"],
                condition=models.Q(status__in=["verified", "processing", "processed", "failed"]),
                name="webhookdelivery_event_once",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["received", "rejected"]) | ~models.Q(event_id=""),
                name="webhookdelivery_verified_has_event_id",
            ),
            models.CheckConstraint(
                condition=models.Q(duplicate_of__isnull=True) | models.Q(status="duplicate"),
                name="webhookdelivery_only_duplicates_point",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "-received_at"], name="webhookdelivery_org_time"),
            models.Index(fields=["source", "-received_at"], name="webhookdelivery_source_time"),
            models.Index(fields=["status", "-received_at"], name="webhookdelivery_status_time"),
            models.Index(fields=["event_id"], name="webhookdelivery_event_id"),
            # The sweeper's look for deliveries that should have been handled by now.
            models.Index(
                fields=["received_at"],
                condition=models.Q(status__in=["verified", "processing", "failed"]),
                name="webhookdelivery_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.event_type or '-'} {self.event_id or '#' + str(self.pk)}"


# --- domain events and the notifications outbox (apps.core.mechanisms.events, .notifications) -------------


class DomainEvent(TenantModel):
    """Something that happened in a lower app that higher apps may act on («billing.payment_succeeded»).

    Written in the transaction of the change it reports, so it exists exactly when the change does; delivered
    to each subscription after the commit (see apps.core.mechanisms.events)."""

    name = models.CharField(_("event"), max_length=100)
    aggregate = models.CharField(
        _("aggregate"),
        max_length=200,
        blank=True,
        help_text=_("What the event is about («billing.payment:12»); events of one aggregate are delivered in order."),
    )
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    key = models.CharField(_("idempotency key"), max_length=128, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(_("emitted"), auto_now_add=True)
    settled_at = models.DateTimeField(
        _("settled"),
        null=True,
        blank=True,
        help_text=_("When every subscription had received the event or had given up on it."),
    )

    noun_forms = NounForms(
        accusative=pgettext_lazy("accusative", "domain event"),
        genitive=pgettext_lazy("genitive", "domain event"),
        accusative_plural=pgettext_lazy("accusative plural", "domain events"),
        genitive_plural=pgettext_lazy("genitive plural", "domain events"),
        count=ngettext_lazy("%(count)s domain event", "%(count)s domain events", "count"),
        gender=pgettext_lazy("grammatical gender", "domain event"),
    )

    class Meta:
        verbose_name = _("domain event")
        verbose_name_plural = _("domain events")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["organization", "aggregate", "id"], name="domainevent_aggregate"),
            # The sweeper's scan: only events still owed to some subscription.
            models.Index(
                fields=["created_at"], condition=models.Q(settled_at__isnull=True), name="domainevent_unsettled"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.name}"


class DomainEventDelivery(models.Model):
    """One event delivered to one subscription: done once, whatever the number of task runs."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("event delivery status", "Pending")
        DONE = "done", pgettext_lazy("event delivery status", "Delivered")
        FAILED = "failed", pgettext_lazy("event delivery status", "Failed")

    event = models.ForeignKey(
        DomainEvent, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("domain event")
    )
    subscription = models.CharField(_("subscription"), max_length=100)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    tenant_path = "event__organization"

    noun_forms = NounForms(
        accusative=pgettext_lazy("accusative", "event delivery"),
        genitive=pgettext_lazy("genitive", "event delivery"),
        accusative_plural=pgettext_lazy("accusative plural", "event deliveries"),
        genitive_plural=pgettext_lazy("genitive plural", "event deliveries"),
        count=ngettext_lazy("%(count)s event delivery", "%(count)s event deliveries", "count"),
        gender=pgettext_lazy("grammatical gender", "event delivery"),
    )

    class Meta:
        verbose_name = _("event delivery")
        verbose_name_plural = _("event deliveries")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "subscription"], name="domaineventdelivery_once"),
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "done", "failed"]), name="domaineventdelivery_status_known"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="done") | models.Q(delivered_at__isnull=False),
                name="domaineventdelivery_done_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.event_id} → {self.subscription}"


class Notification(models.Model):
    """One message to one recipient through one channel (e-mail, later messengers and SMS), unique by its key.

    Written in the transaction of the change it tells about and sent by Celery after the commit (see
    apps.core.mechanisms.notifications). Platform messages belong to no organization: superusers see them."""

    class Status(models.TextChoices):
        QUEUED = "queued", pgettext_lazy("notification status", "Queued")
        SENT = "sent", pgettext_lazy("notification status", "Sent")
        DELIVERED = "delivered", pgettext_lazy("notification status", "Delivered")
        FAILED = "failed", pgettext_lazy("notification status", "Failed")

    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("organization")
    )
    channel = models.CharField(_("channel"), max_length=32)
    recipient = models.CharField(_("recipient"), max_length=320)
    template = models.CharField(_("template"), max_length=100)
    context = models.JSONField(_("context"), default=dict, blank=True)
    language = models.CharField(_("language"), max_length=8)
    key = models.CharField(_("idempotency key"), max_length=128, unique=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    provider_message_id = models.CharField(_("provider's message id"), max_length=255, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed"), null=True, blank=True)

    tenant_path = "organization"

    noun_forms = NounForms(
        accusative=pgettext_lazy("accusative", "notification"),
        genitive=pgettext_lazy("genitive", "notification"),
        accusative_plural=pgettext_lazy("accusative plural", "notifications"),
        genitive_plural=pgettext_lazy("genitive plural", "notifications"),
        count=ngettext_lazy("%(count)s notification", "%(count)s notifications", "count"),
        gender=pgettext_lazy("grammatical gender", "notification"),
    )

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["queued", "sent", "delivered", "failed"]),
                name="notification_status_known",
            ),
            # Sent (or delivered) means the provider took it: the time and its id are there.
            models.CheckConstraint(
                condition=~models.Q(status__in=["sent", "delivered"]) | models.Q(sent_at__isnull=False),
                name="notification_sent_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notification_due"),
            models.Index(fields=["channel", "provider_message_id"], name="notification_provider_id"),
        ]

    def __str__(self) -> str:
        return f"{self.template} → {self.recipient_masked}"

    @property
    def recipient_masked(self) -> str:
        """The recipient with most of its name hidden («an***@example.com», «+7***45»)."""
        name, at, domain = self.recipient.partition("@")
        if at:
            return f"{name[:2]}***@{domain}"
        return f"{self.recipient[:2]}***{self.recipient[-2:]}" if len(self.recipient) > 6 else "***"
