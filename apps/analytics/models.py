"""Traffic: where the numbers come from (sources, programs, offers, campaigns), the daily facts and conversions
the files carry, the imports that loaded them, and the affiliate payouts that reach the books.

What the database guarantees, whatever writes the rows (the import pipeline's set-based SQL, the ORM, raw
SQL):

- a daily fact exists once per natural key (organization, source, campaign, report date and every cut). An
  absent cut is ``""``, never NULL, so the key is NOT NULL and the unique constraint really holds: a NULL in
  a unique key would let the same row in twice;
- a missing metric is NULL, never 0; amounts are NUMERIC, never float;
- a conversion exists once per (source, transaction id);
- a campaign is matched once per source by its external id, or by the name the files give when they carry
  no id; the name shown to people can be changed without breaking that match;
- an import job of a file exists once per (source, file hash) unless the import was forced, so the same file
  uploaded twice is applied once;
- an approved payout holds its posting, a paid one its payment, a reversed one its reversal.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy, pgettext_lazy

from apps.core.accounts.tenancy import TenantModel
from apps.core.language.nouns import NounForms
from apps.core.mechanisms.secrets import EncryptedJSONField

# Amounts: the ledger's width (28 significant digits, 8 decimals: the largest precision Kontora supports).
AMOUNT_DIGITS = 28
AMOUNT_PLACES = 8
CUT_LENGTH = 255
# The cuts of the natural key compare byte by byte: a linguistic collation makes each comparison in its
# unique index several times dearer, and a key only needs to tell "same" from "different".
BYTES = "C"


def AmountField(verbose_name, **kwargs):  # reads like a field class, as it stands for one
    return models.DecimalField(verbose_name, max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES, **kwargs)


class TrafficSource(TenantModel):
    """An ad network, attribution platform or tracker whose exports are imported, with the time zone and
    currency its files are written in and the column mapping saved for its generic CSV files."""

    class Kind(models.TextChoices):
        AD_NETWORK = "ad_network", _("Ad network")
        ATTRIBUTION = "attribution", _("Attribution platform")
        TRACKER = "tracker", _("Tracker")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.AD_NETWORK)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="UTC", help_text=_("The time zone the source's report dates are in.")
    )
    currency = models.CharField(
        _("currency"),
        max_length=10,
        blank=True,
        default="",
        help_text=_("The currency of amounts when a file does not name one."),
    )
    column_mapping = models.JSONField(
        _("column mapping"),
        default=dict,
        blank=True,
        help_text=_("For generic CSV files: our field name to the column name in the source's files."),
    )
    expected_delay = models.DurationField(
        _("expected delay"),
        default=timedelta(days=1),
        help_text=_("How old the newest data may be before the source is flagged as stale."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    noun_forms = NounForms(
        accusative=pgettext_lazy("accusative", "traffic source"),
        genitive=pgettext_lazy("genitive", "traffic source"),
        accusative_plural=pgettext_lazy("accusative plural", "traffic sources"),
        genitive_plural=pgettext_lazy("genitive plural", "traffic sources"),
        count=ngettext_lazy("%(count)s traffic source", "%(count)s traffic sources", "count"),
        gender=pgettext_lazy("grammatical gender", "traffic source"),
    )

    class Meta:
        verbose_name = _("traffic source")
        verbose_name_plural = _("traffic sources")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                "organization",
                "name",
                name="analytics_source_name_unique",
                violation_error_message=_("This organization already has a traffic source of this name."),
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """A time zone, a currency and a column mapping that an import can use, whoever saves the source (the
        admin, the API): a misspelt zone or currency would otherwise surface only at the next import."""
        from apps.core.models import Currency, time_zone_names

        from .formats.catalog import generic

        super().clean()
        errors = {}
        if self.time_zone not in time_zone_names():
            errors["time_zone"] = _("“{zone}” is not a time zone; use a name such as Europe/Moscow or UTC.").format(
                zone=self.time_zone
            )
        self.currency = (self.currency or "").strip().upper()
        if self.currency and not Currency.objects.filter(pk=self.currency).exists():
            errors["currency"] = _("“{code}” is not a currency Kontora knows; use an ISO code such as USD.").format(
                code=self.currency
            )
        mapping = self.column_mapping
        if not isinstance(mapping, dict) or not all(
            isinstance(name, str) and isinstance(column, str) and column.strip() for name, column in mapping.items()
        ):
            errors["column_mapping"] = _(
                'An object of our field names to the column names in the files, e.g. {"report_date": "Day"}.'
            )
        elif mapping:
            try:
                generic(mapping)
            except ValueError as error:
                errors["column_mapping"] = str(error)
        if self.expected_delay is not None and self.expected_delay < timedelta(0):
            errors["expected_delay"] = _("The expected delay cannot be negative.")
        if errors:
            raise ValidationError(errors)


class AffiliateProgram(TenantModel):
    """An affiliate program (network) that pays for conversions: the counterparty of payouts."""

    name = models.CharField(_("name"), max_length=200)
    external_id = models.CharField(_("external id"), max_length=255, blank=True, default="")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    noun_forms = NounForms(
        accusative=pgettext_lazy("accusative", "affiliate program"),
        genitive=pgettext_lazy("genitive", "affiliate program"),
        accusative_plural=pgettext_lazy("accusative plural", "affiliate programs"),
        genitive_plural=pgettext_lazy("genitive plural", "affiliate programs"),
        count=ngettext_lazy("%(count)s affiliate program", "%(count)s affiliate programs", "count"),
        gender=pgettext_lazy("grammatical gender", "affiliate program"),
    )

    class Meta:
        verbose_name = _("affiliate program")
        verbose_name_plural = _("affiliate programs")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                "organization",
                "name",
                name="analytics_program_name_unique",
                violation_error_message=_("This organization already has an affiliate program of this name."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class Offer(TenantModel):
    """An offer of an affiliate program that campaigns promote."""

    program = models.ForeignKey(
        AffiliateProgram,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="offers",
        verbose_name=_("affiliate program"),
    )
    name = models.CharField(_("name"), max_length=200)
    external_id = models.CharField(_("external id"), max_length=255, blank=True, default="")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    noun_forms = NounForms(
        accusative=pgettext_lazy("accusative", "offer"),
        genitive=pgettext_lazy("genitive", "offer"),
        accusative_plural=pgettext_lazy("accusative plural", "offers"),
        genitive_plural=pgettext_lazy("genitive plural", "offers"),
        count=ngettext_lazy("%(count)s offer", "%(count)s offers", "count"),
        gender=pgettext_lazy("grammatical gender", "offer"),
    )

    class Meta:
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Campaign(TenantModel):
    """A campaign of a traffic source, created the first time a file names it.

    Files are matched by ``external_id`` when they carry one, else by ``match_name`` (the name exactly as the
    files write it); ``name`` is what people see and may be changed freely without breaking the match.
    """

    source = models.ForeignKey(
        TrafficSource, on_delete=models.PROTECT, related_name="campaigns", verbose_name=_("traffic source")
    )
    external_id = models.CharField(_("external id"), max_length=CUT_LENGTH, blank=True, default="")
    match_name = models.CharField(
        _("name in files"),
        max_length=CUT_LENGTH,
        blank=True,
        default="",
        help_text=_("The name as the source's files write it; files without an id are matched by it."),
    )
    name = models.CharField(_("name"), max_length=CUT_LENGTH)
    offer = models.ForeignKey(
        Offer, on_delete=models.PROTECT, null=True, blank=True, related_name="campaigns", verbose_name=_("offer")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    noun_forms = NounForms(
        accusative=pgettext_lazy("accusative", "campaign"),
        genitive=pgettext_lazy("genitive", "campaign"),
        accusative_plural=pgettext_lazy("accusative plural", "campaigns"),
        genitive_plural=pgettext_lazy("genitive plural", "campaigns"),
        count=ngettext_lazy("%(count)s campaign", "%(count)s campaigns", "count"),
        gender=pgettext_lazy("grammatical gender", "campaign"),
    )

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                "source",
                "external_id",
                condition=~Q(external_id=""),
                name="analytics_campaign_external_id_unique",
                violation_error_message=_("This traffic source already has a campaign with this id."),
            ),
            models.UniqueConstraint(
                "source",
                "match_name",
                condition=Q(external_id=""),
                name="analytics_campaign_match_name_unique",
                violation_error_message=_("This traffic source already has a campaign without an id of this name."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ImportJob(TenantModel):
    """One file imported into a traffic source: the file (kept in storage with its hash), what happened to
    it, its counts, timing, warnings and the report of its bad cells."""

    class Status(models.TextChoices):
        QUEUED = "queued", pgettext_lazy("import status", "Queued")
        RUNNING = "running", pgettext_lazy("import status", "Running")
        DONE = "done", pgettext_lazy("import status", "Done")
        FAILED = "failed", pgettext_lazy("import status", "Failed")
        REJECTED = "rejected", pgettext_lazy("import status", "Rejected")

    source = models.ForeignKey(
        TrafficSource, on_delete=models.PROTECT, related_name="imports", verbose_name=_("traffic source")
    )
    file = models.FileField(_("file"), upload_to="analytics/imports/%Y/%m/", max_length=500)
    file_name = models.CharField(_("file name"), max_length=255, blank=True, default="")
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    format = models.CharField(
        _("format"), max_length=32, blank=True, default="", help_text=_("Empty: detected from the file's header.")
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    keep_valid = models.BooleanField(
        _("import the valid rows"),
        default=False,
        help_text=_("Import the valid rows of a file with errors and leave the bad ones in the error report."),
    )
    forced = models.BooleanField(
        _("forced"), default=False, help_text=_("Imported again although the same file was imported before.")
    )
    rows_read = models.PositiveIntegerField(_("rows read"), default=0)
    rows_inserted = models.PositiveIntegerField(_("rows inserted"), default=0)
    rows_updated = models.PositiveIntegerField(_("rows updated"), default=0)
    rows_unchanged = models.PositiveIntegerField(_("rows unchanged"), default=0)
    rows_rejected = models.PositiveIntegerField(_("rows rejected"), default=0)
    error_count = models.PositiveIntegerField(_("bad cells"), default=0)
    errors = models.JSONField(_("bad cells (first ones)"), default=list, blank=True)
    warnings = models.JSONField(_("warnings"), default=list, blank=True)
    error_report = models.FileField(
        _("error report"), upload_to="analytics/import-errors/%Y/%m/", max_length=500, blank=True
    )
    message = models.TextField(_("message"), blank=True, default="")
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    noun_forms = NounForms(
        accusative=pgettext_lazy("accusative", "import"),
        genitive=pgettext_lazy("genitive", "import"),
        accusative_plural=pgettext_lazy("accusative plural", "imports"),
        genitive_plural=pgettext_lazy("genitive plural", "imports"),
        count=ngettext_lazy("%(count)s import", "%(count)s imports", "count"),
        gender=pgettext_lazy("grammatical gender", "import"),
    )

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # Failed and rejected jobs do not hold the file's place: fixing the cause and importing again is
            # the normal way forward.
            models.UniqueConstraint(
                "source",
                "sha256",
                condition=Q(forced=False, status__in=["queued", "running", "done"]),
                name="analytics_import_file_once",
                violation_error_message=_("This file has already been imported into this traffic source."),
            ),
            models.CheckConstraint(
                condition=Q(
                    rows_read__gte=F("rows_inserted") + F("rows_updated") + F("rows_unchanged") + F("rows_rejected")
                ),
                name="analytics_import_counts_add_up",
            ),
        ]
        indexes = [models.Index(fields=["organization", "-created_at"], name="analytics_import_org_created")]

    def __str__(self) -> str:
        return self.file_name or f"#{self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED, self.Status.REJECTED}


class MetricFact(TenantModel):
    """One day of a campaign at the grain its file carries: the cuts present ("" when absent), the metrics
    (NULL when missing, never 0) and the import and file line it came from (lineage)."""

    # A fact table grows to tens of millions of rows and an import writes a million at once, so its references
    # are checked once per statement rather than once per row: no per-row foreign keys (four checks a row made
    # an import several times slower), but the statement triggers of sql/analytics_fact_references.*.sql,
    # which refuse any written fact whose campaign, source, organization and import do not belong together,
    # and sql/analytics_fact_referenced.*.sql, which refuses to delete a campaign or import that facts name.
    # The natural key's unique index starts with the organization, so no index of its own is needed either.
    organization = models.ForeignKey(
        "core.Organization",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
        verbose_name=_("organization"),
    )
    report_date = models.DateField(_("report date"))
    time_zone = models.CharField(_("time zone"), max_length=64)
    source = models.ForeignKey(
        TrafficSource,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
        verbose_name=_("traffic source"),
    )
    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.PROTECT,
        related_name="facts",
        db_index=False,
        db_constraint=False,
        verbose_name=_("campaign"),
    )
    ad_group = models.CharField(_("ad group"), max_length=CUT_LENGTH, blank=True, default="", db_collation=BYTES)
    creative = models.CharField(_("creative"), max_length=CUT_LENGTH, blank=True, default="", db_collation=BYTES)
    placement = models.CharField(_("placement"), max_length=CUT_LENGTH, blank=True, default="", db_collation=BYTES)
    country = models.CharField(_("country"), max_length=2, blank=True, default="", db_collation=BYTES)
    os = models.CharField(_("OS"), max_length=32, blank=True, default="", db_collation=BYTES)
    sub_id = models.CharField(_("sub-id"), max_length=CUT_LENGTH, blank=True, default="", db_collation=BYTES)
    impressions = models.BigIntegerField(_("impressions"), null=True, blank=True)
    clicks = models.BigIntegerField(_("clicks"), null=True, blank=True)
    installs = models.BigIntegerField(_("installs"), null=True, blank=True)
    conversions = models.BigIntegerField(_("conversions"), null=True, blank=True)
    events = models.JSONField(_("events"), null=True, blank=True)
    spend = AmountField(_("spend"), null=True, blank=True)
    revenue = AmountField(_("revenue"), null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=10, blank=True, default="")
    import_job = models.ForeignKey(
        ImportJob,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
        verbose_name=_("import"),
    )
    line = models.PositiveIntegerField(_("file line"))

    noun_forms = NounForms(
        accusative=pgettext_lazy("accusative", "daily metric"),
        genitive=pgettext_lazy("genitive", "daily metric"),
        accusative_plural=pgettext_lazy("accusative plural", "daily metrics"),
        genitive_plural=pgettext_lazy("genitive plural", "daily metrics"),
        count=ngettext_lazy("%(count)s daily metric", "%(count)s daily metrics", "count"),
        gender=pgettext_lazy("grammatical gender", "daily metric"),
    )

    class Meta:
        verbose_name = _("daily metric")
        verbose_name_plural = _("daily metrics")
        constraints = [
            # Organization, source and day first: an import's rollup refresh reads a date range of one source
            # by it, a report by creative a date range of the organization (skipping over its few sources),
            # and an import writes its facts in this order. One index for all of them: each index more on a
            # table a million rows are written into at once costs a sixth of the import's time.
            models.UniqueConstraint(
                "organization",
                "source",
                "report_date",
                "campaign",
                "ad_group",
                "creative",
                "placement",
                "country",
                "os",
                "sub_id",
                name="analytics_fact_natural_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report_date} {self.campaign_id}"


class Conversion(TenantModel):
    """One install, in-app event or tracker conversion, once per (source, transaction id)."""

    organization = models.ForeignKey(
        "core.Organization", on_delete=models.PROTECT, related_name="+", db_index=False, verbose_name=_("organization")
    )
    source = models.ForeignKey(
        TrafficSource, on_delete=models.PROTECT, related_name="+", db_index=False, verbose_name=_("traffic source")
    )
    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="conversions",
        verbose_name=_("campaign"),
    )
    click_id = models.CharField(_("click id"), max_length=CUT_LENGTH, blank=True, default="")
    transaction_id = models.CharField(_("transaction id"), max_length=CUT_LENGTH)
    event = models.CharField(_("event"), max_length=CUT_LENGTH, blank=True, default="")
    status = models.CharField(_("status"), max_length=64, blank=True, default="")
    payout = AmountField(_("payout"), null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=10, blank=True, default="")
    click_time = models.DateTimeField(_("click time"), null=True, blank=True)
    conversion_time = models.DateTimeField(_("conversion time"))
    country = models.CharField(_("country"), max_length=2, blank=True, default="")
    os = models.CharField(_("OS"), max_length=32, blank=True, default="")
    sub_id = models.CharField(_("sub-id"), max_length=CUT_LENGTH, blank=True, default="")
    import_job = models.ForeignKey(
        ImportJob,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("import"),
    )
    line = models.PositiveIntegerField(_("file line"), null=True, blank=True)

    noun_forms = NounForms(
        accusative=pgettext_lazy("accusative", "conversion"),
        genitive=pgettext_lazy("genitive", "conversion"),
        accusative_plural=pgettext_lazy("accusative plural", "conversions"),
        genitive_plural=pgettext_lazy("genitive plural", "conversions"),
        count=ngettext_lazy("%(count)s conversion", "%(count)s conversions", "count"),
        gender=pgettext_lazy("grammatical gender", "conversion"),
    )

    class Meta:
        verbose_name = _("conversion")
        verbose_name_plural = _("conversions")
        constraints = [
            models.UniqueConstraint("source", "transaction_id", name="analytics_conversion_transaction_unique"),
        ]
        indexes = [models.Index(fields=["organization", "conversion_time"], name="analytics_conv_org_time")]

    def __str__(self) -> str:
        return self.transaction_id


class Payout(TenantModel):
    """What an affiliate program owes for a period: pending → approved (posted to the books as a receivable
    against income) → paid (the receivable moves to cash), or rejected, or reversed (the posting reversed)."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("payout status", "Pending")
        APPROVED = "approved", pgettext_lazy("payout status", "Approved")
        PAID = "paid", pgettext_lazy("payout status", "Paid")
        REJECTED = "rejected", pgettext_lazy("payout status", "Rejected")
        REVERSED = "reversed", pgettext_lazy("payout status", "Reversed")

    program = models.ForeignKey(
        AffiliateProgram, on_delete=models.PROTECT, related_name="payouts", verbose_name=_("affiliate program")
    )
    offer = models.ForeignKey(
        Offer, on_delete=models.PROTECT, null=True, blank=True, related_name="payouts", verbose_name=_("offer")
    )
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    amount = AmountField(_("amount"))
    currency = models.ForeignKey(
        "core.Currency", on_delete=models.PROTECT, related_name="+", verbose_name=_("currency")
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    approval_transaction = models.ForeignKey(
        "ledger.Transaction",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approval posting"),
    )
    payment_transaction = models.ForeignKey(
        "ledger.Transaction",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("payment posting"),
    )
    reversal_transaction = models.ForeignKey(
        "ledger.Transaction",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reversal posting"),
    )
    note = models.TextField(_("note"), blank=True, default="")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    reversed_at = models.DateTimeField(_("reversed"), null=True, blank=True)

    noun_forms = NounForms(
        accusative=pgettext_lazy("accusative", "payout"),
        genitive=pgettext_lazy("genitive", "payout"),
        accusative_plural=pgettext_lazy("accusative plural", "payouts"),
        genitive_plural=pgettext_lazy("genitive plural", "payouts"),
        count=ngettext_lazy("%(count)s payout", "%(count)s payouts", "count"),
        gender=pgettext_lazy("grammatical gender", "payout"),
    )

    class Meta:
        verbose_name = _("payout")
        verbose_name_plural = _("payouts")
        ordering = ["-period_end", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="analytics_payout_amount_positive"),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="analytics_payout_period_order"
            ),
            # The status and the postings move together: the books never disagree with the payout.
            models.CheckConstraint(
                condition=Q(status__in=["pending", "rejected"], approval_transaction__isnull=True)
                | Q(status__in=["approved", "paid", "reversed"], approval_transaction__isnull=False),
                name="analytics_payout_approval_posted",
            ),
            models.CheckConstraint(
                condition=Q(status="paid", payment_transaction__isnull=False)
                | (~Q(status="paid") & Q(payment_transaction__isnull=True)),
                name="analytics_payout_payment_posted",
            ),
            models.CheckConstraint(
                condition=Q(status="reversed", reversal_transaction__isnull=False)
                | (~Q(status="reversed") & Q(reversal_transaction__isnull=True)),
                name="analytics_payout_reversal_posted",
            ),
        ]
        indexes = [models.Index(fields=["organization", "period_end"], name="analytics_payout_org_period")]

    def __str__(self) -> str:
        return f"{self.program_id} {self.period_start}–{self.period_end}"


class DailyRollup(TenantModel):
    """The daily facts of a source summed per campaign, country, OS, currency and time zone: what reports and
    dashboards read, tens of times fewer rows than the facts. Written only by
    ``apps.analytics.rollups.rollup_refresh`` (after every import, for the days the import changed), which
    recomputes whole days from the facts, so a rollup row always equals the sum of its facts."""

    organization = models.ForeignKey(
        "core.Organization",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        verbose_name=_("organization"),
    )
    source = models.ForeignKey(
        TrafficSource, on_delete=models.PROTECT, related_name="+", db_index=False, verbose_name=_("traffic source")
    )
    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="+", db_index=False, verbose_name=_("campaign")
    )
    report_date = models.DateField(_("report date"))
    time_zone = models.CharField(_("time zone"), max_length=64)
    country = models.CharField(_("country"), max_length=2, blank=True, default="", db_collation=BYTES)
    os = models.CharField(_("OS"), max_length=32, blank=True, default="", db_collation=BYTES)
    currency = models.CharField(_("currency"), max_length=10, blank=True, default="")
    impressions = models.BigIntegerField(_("impressions"), null=True, blank=True)
    clicks = models.BigIntegerField(_("clicks"), null=True, blank=True)
    installs = models.BigIntegerField(_("installs"), null=True, blank=True)
    conversions = models.BigIntegerField(_("conversions"), null=True, blank=True)
    spend = AmountField(_("spend"), null=True, blank=True)
    revenue = AmountField(_("revenue"), null=True, blank=True)
    fact_count = models.PositiveIntegerField(_("daily metrics"))

    class Meta:
        verbose_name = _("daily rollup")
        verbose_name_plural = _("daily rollups")
        constraints = [
            models.UniqueConstraint(
                "organization",
                "report_date",
                "source",
                "campaign",
                "country",
                "os",
                "currency",
                "time_zone",
                name="analytics_rollup_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report_date} {self.campaign_id}"


class PostbackEndpoint(TenantModel):
    """The address a tracker (Keitaro, Binom, Voluum) calls server to server for each conversion of a traffic
    source: ``/analytics/postback/<public id>/?token=…``, one per source.

    The token is stored as its SHA-256 only: it is shown once, when the endpoint is created or its token
    rotated, and a stolen database does not let anyone post conversions. (A random 32-byte token needs no slow
    hash: nothing can be guessed from its digest.) The public id names the endpoint in the address and in the
    webhook inbox's deliveries; it is not a secret and does not change when the token is rotated."""

    source = models.OneToOneField(
        TrafficSource, on_delete=models.PROTECT, related_name="postback_endpoint", verbose_name=_("traffic source")
    )
    public_id = models.CharField(_("public id"), max_length=32, unique=True, editable=False)
    token_sha256 = models.CharField(_("token digest"), max_length=64, editable=False)
    token_hint = models.CharField(
        _("token ends with"), max_length=8, blank=True, default="", editable=False, help_text=_("To tell tokens apart.")
    )
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("An inactive endpoint refuses every postback.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    rotated_at = models.DateTimeField(_("token rotated"), null=True, blank=True)

    noun_forms = NounForms(
        accusative=pgettext_lazy("accusative", "postback endpoint"),
        genitive=pgettext_lazy("genitive", "postback endpoint"),
        accusative_plural=pgettext_lazy("accusative plural", "postback endpoints"),
        genitive_plural=pgettext_lazy("genitive plural", "postback endpoints"),
        count=ngettext_lazy("%(count)s postback endpoint", "%(count)s postback endpoints", "count"),
        gender=pgettext_lazy("grammatical gender", "postback endpoint"),
    )

    class Meta:
        verbose_name = _("postback endpoint")
        verbose_name_plural = _("postback endpoints")
        ordering = ["source__name"]

    def __str__(self) -> str:
        return str(self.source) if self.source_id else self.public_id


class ImportSchedule(TenantModel):
    """Files or reports pulled into a traffic source on a schedule (``apps.analytics.feeds``), each run through
    the same import pipeline as an upload: new files of a folder or an S3 prefix, or the last N days of a
    Moloco or AppsFlyer report (re-pulled every run, so that the network's restatements land)."""

    class Kind(models.TextChoices):
        FOLDER = "folder", _("Folder")
        S3 = "s3", _("S3 prefix")
        MOLOCO_API = "moloco_api", _("Moloco report API")
        APPSFLYER_API = "appsflyer_api", _("AppsFlyer Pull API")

    source = models.ForeignKey(
        TrafficSource, on_delete=models.PROTECT, related_name="import_schedules", verbose_name=_("traffic source")
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    settings = models.JSONField(
        _("settings"),
        default=dict,
        blank=True,
        help_text=_(
            'Folder: {"path": "/data/moloco", "pattern": "*.csv"}. S3: {"bucket": …, "prefix": …, "endpoint": …, '
            '"region": …}. Moloco: {"ad_account_id": …}. AppsFlyer: {"app_id": …}.'
        ),
    )
    credentials = EncryptedJSONField(_("credentials"), default=dict, blank=True)
    format = models.CharField(
        _("format"), max_length=32, blank=True, default="", help_text=_("Empty: detected from each file's header.")
    )
    repull_days = models.PositiveSmallIntegerField(
        _("days re-pulled"), default=7, help_text=_("Report APIs: each run asks again for this many past days.")
    )
    interval = models.DurationField(_("interval"), default=timedelta(hours=1))
    is_active = models.BooleanField(_("active"), default=True)
    next_run_at = models.DateTimeField(_("next run"), null=True, blank=True)
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True, default="")
    last_summary = models.JSONField(_("last run's result"), default=dict, blank=True)
    state = models.JSONField(
        _("state"), default=dict, blank=True, help_text=_("Where the listing stopped (S3: the newest object seen).")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    noun_forms = NounForms(
        accusative=pgettext_lazy("accusative", "import schedule"),
        genitive=pgettext_lazy("genitive", "import schedule"),
        accusative_plural=pgettext_lazy("accusative plural", "import schedules"),
        genitive_plural=pgettext_lazy("genitive plural", "import schedules"),
        count=ngettext_lazy("%(count)s import schedule", "%(count)s import schedules", "count"),
        gender=pgettext_lazy("grammatical gender", "import schedule"),
    )

    class Meta:
        verbose_name = _("import schedule")
        verbose_name_plural = _("import schedules")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(interval__gte=timedelta(minutes=1)), name="analytics_schedule_interval"),
        ]
        indexes = [models.Index(fields=["is_active", "next_run_at"], name="analytics_schedule_due")]

    def __str__(self) -> str:
        return self.name
