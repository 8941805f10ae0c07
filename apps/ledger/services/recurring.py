"""Recurring payments: a template transaction posted on a schedule, each occurrence exactly once.

What makes an occurrence post once is its idempotency key, ``recurring:<id>:<date>`` (unique per
organization in the database): two workers, a retried task, a "post due now" click racing the beat task,
a catch-up after downtime all end in one transaction per occurrence. On top of that a run takes the recurring
payment's row with ``FOR UPDATE SKIP LOCKED``, so concurrent runners share the work instead of queueing on it.

A run posts the due occurrences in date order, up to today where the organization is, at most
:data:`CATCH_UP_LIMIT` per recurring payment per run (the next run, 15 minutes later, goes on). An occurrence
inside the closed period is skipped and reported (audit record and log), not retried. Any other refusal
(a closed account, an account that may not go below zero) stops that recurring payment's run at that
occurrence, is stored in ``last_error`` (shown in the admin) and is retried by the next run.
"""

from __future__ import annotations

import calendar
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import date as Date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from apps.core.language.formatting import format_date
from apps.core.mechanisms.audit import audit_record
from apps.core.mechanisms.idempotency import product_key
from apps.core.models import Organization
from apps.core.money.amounts import check_precision, to_decimal

from ..models import (
    Account,
    Category,
    Counterparty,
    PeriodLock,
    Project,
    RecurringInterval,
    RecurringPayment,
    RecurringPaymentLeg,
    Transaction,
)
from . import purposes
from .common import pk as _pk
from .common import require_power
from .common import user_id as _user_id
from .posting import Leg, transaction_post

logger = logging.getLogger(__name__)

CATCH_UP_LIMIT = 100
MAX_LEGS = 50


REFUSED = gettext_lazy("Your role does not allow changing recurring payments.")


def _require_write(user, organization_id: int) -> None:
    require_power(user, organization_id, refused=REFUSED)


# --- the schedule -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Schedule:
    """Every ``count`` days, weeks or months from ``start`` (monthly on ``day_of_month``, clamped to the
    month's last day, so the 31st is Feb 28 or 29), up to ``end`` when given."""

    unit: str
    count: int
    start: Date
    end: Date | None = None
    day_of_month: int | None = None

    @classmethod
    def of(cls, recurring: RecurringPayment) -> Schedule:
        return cls(
            unit=recurring.interval_unit,
            count=recurring.interval_count,
            start=recurring.start_date,
            end=recurring.end_date,
            day_of_month=recurring.day_of_month,
        )

    def _month_base(self) -> int:
        # Months counted from year 0; the first occurrence is the first on or after the start date.
        base = self.start.year * 12 + self.start.month - 1
        if self._in_month(base) < self.start:
            base += 1
        return base

    def _in_month(self, month_index: int) -> Date:
        year, month = divmod(month_index, 12)
        month += 1
        day = min(self.day_of_month or self.start.day, calendar.monthrange(year, month)[1])
        return Date(year, month, day)

    def nth(self, index: int) -> Date:
        """The ``index``-th occurrence (from 0), ignoring the end date."""
        if self.unit == RecurringInterval.DAYS:
            return self.start + timedelta(days=index * self.count)
        if self.unit == RecurringInterval.WEEKS:
            return self.start + timedelta(weeks=index * self.count)
        return self._in_month(self._month_base() + index * self.count)

    def _index_on_or_after(self, day: Date) -> int:
        if day <= self.start:
            return 0
        if self.unit in (RecurringInterval.DAYS, RecurringInterval.WEEKS):
            step = self.count * (7 if self.unit == RecurringInterval.WEEKS else 1)
            return -(-(day - self.start).days // step)
        months = (day.year * 12 + day.month - 1) - self._month_base()
        index = max(0, months // self.count)
        while self.nth(index) < day:
            index += 1
        return index

    def first_on_or_after(self, day: Date) -> Date | None:
        """The first occurrence on or after ``day``, or ``None`` once the schedule has ended."""
        occurrence = self.nth(self._index_on_or_after(day))
        return None if self.end is not None and occurrence > self.end else occurrence

    def after(self, day: Date) -> Date | None:
        return self.first_on_or_after(day + timedelta(days=1))

    def before(self, day: Date) -> Date | None:
        """The last occurrence before ``day`` (and within the end date), or ``None``."""
        if self.end is not None and day > self.end:
            day = self.end + timedelta(days=1)
        index = self._index_on_or_after(day) - 1
        return self.nth(index) if index >= 0 else None

    def between(self, first: Date, last: Date, *, limit: int = 1000) -> Iterator[Date]:
        """Occurrences from ``first`` through ``last``, in order, at most ``limit``."""
        occurrence = self.first_on_or_after(first)
        while occurrence is not None and occurrence <= last and limit > 0:
            yield occurrence
            limit -= 1
            occurrence = self.after(occurrence)

    def describe(self) -> str:
        """The schedule in words: "every 2 weeks", "every month on day 31"."""
        count = self.count
        if self.unit == RecurringInterval.DAYS:
            every = _("every day") if count == 1 else ngettext("every {count} day", "every {count} days", count)
        elif self.unit == RecurringInterval.WEEKS:
            every = _("every week") if count == 1 else ngettext("every {count} week", "every {count} weeks", count)
        else:
            every = _("every month") if count == 1 else ngettext("every {count} month", "every {count} months", count)
        every = every.format(count=count)
        if self.unit == RecurringInterval.MONTHS and self.day_of_month:
            return _("{every} on day {day}").format(every=every, day=self.day_of_month)
        return every


# --- checking the template --------------------------------------------------------------------------------


def recurring_legs_check(*, organization_id: int, legs: Iterable[Mapping]) -> list[Leg]:
    """Check template legs given as mappings (``account``, ``amount`` signed, optional ``project``,
    ``category``, ``counterparty``, ``memo``): accounts of the organization and open, amounts non-zero within
    their currency's precision, balanced per currency. Errors name ``legs.<index>.<field>``."""
    legs = list(legs)
    if len(legs) > MAX_LEGS:
        raise ValidationError({"legs": _("At most {n} legs.").format(n=MAX_LEGS)})
    accounts = {
        a.pk: a
        for a in Account.objects.filter(
            organization_id=organization_id, pk__in=[_pk(leg.get("account")) for leg in legs if leg.get("account")]
        )
        .select_related("currency")
        .annotate(has_children=purposes.has_children())
    }
    tags = {
        "project": set(Project.objects.filter(organization_id=organization_id).values_list("pk", flat=True)),
        "category": set(Category.objects.filter(organization_id=organization_id).values_list("pk", flat=True)),
        "counterparty": set(Counterparty.objects.filter(organization_id=organization_id).values_list("pk", flat=True)),
    }
    tag_errors = {
        "project": _("No such project in this organization."),
        "category": _("No such category in this organization."),
        "counterparty": _("No such counterparty in this organization."),
    }
    errors: dict[str, list[str]] = {}
    checked: list[Leg] = []
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for index, leg in enumerate(legs):
        prefix = f"legs.{index}."
        before = len(errors)
        account = accounts.get(_pk(leg.get("account")))
        try:
            purposes.account_purpose_check(account, purposes.POSTING)
        except ValidationError as error:
            errors[prefix + "account"] = error.message_dict["account"]
        amount = None
        try:
            amount = to_decimal(leg.get("amount"), field="amount")
            if amount == 0:
                errors[prefix + "amount"] = [_("The amount must not be zero.")]
            elif account is not None:
                check_precision(amount, currency=account.currency_id, precision=account.currency.precision)
        except ValidationError as error:
            errors[prefix + "amount"] = error.message_dict["amount"]
        values = {}
        for name in ("project", "category", "counterparty"):
            value = _pk(leg.get(name)) or None
            if value is not None and value not in tags[name]:
                errors[prefix + name] = [tag_errors[name]]
            values[name] = value
        if len(errors) == before and account is not None and amount is not None:
            checked.append(Leg(account.pk, amount, memo=str(leg.get("memo") or "")[:500], **values))
            sums[account.currency_id] += amount
    if errors:
        raise ValidationError(errors)
    if len(checked) < 2:
        raise ValidationError({"legs": _("A transaction needs at least two entries.")})
    unbalanced = {currency: total for currency, total in sums.items() if total != 0}
    if unbalanced:
        raise ValidationError(
            {
                "legs": [
                    _("The entries do not balance in {currency}: debits and credits differ by {total}.").format(
                        currency=currency, total=total
                    )
                    for currency, total in sorted(unbalanced.items())
                ]
            }
        )
    return checked


def simple_legs(*, from_account, to_account, amount, project=None, category=None, counterparty=None) -> list[dict]:
    """A payment from one account to another: debit ``to_account``, credit ``from_account``."""
    amount = to_decimal(amount, field="amount")
    if amount <= 0:
        raise ValidationError({"amount": _("The amount must be above zero.")})
    tags = {"project": project, "category": category, "counterparty": counterparty}
    return [{"account": to_account, "amount": amount, **tags}, {"account": from_account, "amount": -amount, **tags}]


def check_schedule(data: dict) -> None:
    errors = {}
    unit = data.get("interval_unit")
    if unit not in RecurringInterval.values:
        errors["interval_unit"] = _("Choose days, weeks or months.")
    count = data.get("interval_count")
    if not isinstance(count, int) or isinstance(count, bool) or count < 1 or count > 1000:
        errors["interval_count"] = _("Repeat every 1 to 1000 units.")
    day = data.get("day_of_month")
    if day is not None:
        if unit != RecurringInterval.MONTHS:
            errors["day_of_month"] = _("A day of the month applies to monthly schedules only.")
        elif not isinstance(day, int) or not 1 <= day <= 31:
            errors["day_of_month"] = _("The day of the month is 1 to 31 (a day the month lacks means its last day).")
    start, end = data.get("start_date"), data.get("end_date")
    if not isinstance(start, Date):
        errors["start_date"] = _("A date is required.")
    elif end is not None and (not isinstance(end, Date) or end < start):
        errors["end_date"] = _("The end date is before the start date.")
    if not str(data.get("name") or "").strip():
        errors["name"] = _("This field is required.")
    if errors:
        raise ValidationError(errors)


SCHEDULE_FIELDS = ("name", "description", "interval_unit", "interval_count", "day_of_month", "start_date", "end_date")


def _handled_through(recurring: RecurringPayment) -> Date | None:
    """The last occurrence already dealt with (posted, skipped in a closed period, or skipped by a resume),
    under the schedule the row holds now: the one before ``next_due_date``."""
    schedule = Schedule.of(recurring)
    if recurring.next_due_date is not None:
        handled = schedule.before(recurring.next_due_date)
    elif recurring.end_date is not None:
        handled = schedule.before(recurring.end_date + timedelta(days=1))  # the schedule ran out
    else:
        handled = None
    if recurring.last_posted_date is not None and (handled is None or recurring.last_posted_date > handled):
        handled = recurring.last_posted_date
    return handled


def _next_due(recurring: RecurringPayment, handled_through: Date | None = None) -> Date | None:
    """The first occurrence still to handle under the row's schedule: from the start when nothing has been
    handled, else the first after ``handled_through``."""
    schedule = Schedule.of(recurring)
    if handled_through is None:
        return schedule.first_on_or_after(recurring.start_date)
    return schedule.first_on_or_after(max(handled_through + timedelta(days=1), recurring.start_date))


def _legs_text(legs: Iterable) -> list[str]:
    """Legs as the audit record shows them: "account amount [project/category/counterparty] memo"."""
    texts = []
    for leg in legs:
        if isinstance(leg, RecurringPaymentLeg):
            account, tags = leg.account_id, (leg.project_id, leg.category_id, leg.counterparty_id)
        else:
            account, tags = leg.account, (leg.project, leg.category, leg.counterparty)
        amount = f"{Decimal(leg.amount).normalize():f}"
        texts.append(f"{account} {amount} [{'/'.join(str(t or '—') for t in tags)}] {leg.memo}".rstrip())
    return texts


def _save_legs(recurring: RecurringPayment, legs: list[Leg]) -> None:
    recurring.legs.all().delete()
    RecurringPaymentLeg.objects.bulk_create(
        RecurringPaymentLeg(
            recurring_payment=recurring,
            account_id=leg.account,
            amount=leg.amount,
            project_id=leg.project,
            category_id=leg.category,
            counterparty_id=leg.counterparty,
            memo=leg.memo,
        )
        for leg in legs
    )


def recurring_payment_create(
    *,
    organization: Organization | int,
    user,
    name: str,
    start_date: Date,
    interval_unit: str = RecurringInterval.MONTHS,
    interval_count: int = 1,
    day_of_month: int | None = None,
    end_date: Date | None = None,
    description: str = "",
    legs: Iterable[Mapping] | None = None,
    from_account: Account | int | None = None,
    to_account: Account | int | None = None,
    amount=None,
    project=None,
    category=None,
    counterparty=None,
    paused: bool = False,
) -> RecurringPayment:
    """Create a recurring payment from template ``legs`` or, simpler, ``from_account`` → ``to_account`` for
    ``amount`` (with optional tags). Its first occurrence is the first scheduled date on or after the start."""
    organization_id = _pk(organization)
    _require_write(user, organization_id)
    data = {
        "name": name,
        "description": description,
        "interval_unit": interval_unit,
        "interval_count": interval_count,
        "day_of_month": day_of_month,
        "start_date": start_date,
        "end_date": end_date,
    }
    check_schedule(data)
    if legs is None:
        legs = simple_legs(
            from_account=_pk(from_account),
            to_account=_pk(to_account),
            amount=amount,
            project=_pk(project),
            category=_pk(category),
            counterparty=_pk(counterparty),
        )
    checked = recurring_legs_check(organization_id=organization_id, legs=legs)
    with transaction.atomic():
        recurring = RecurringPayment(
            organization_id=organization_id,
            name=name.strip()[:200],
            description=(description or "")[:500],
            interval_unit=interval_unit,
            interval_count=interval_count,
            day_of_month=day_of_month,
            start_date=start_date,
            end_date=end_date,
            paused=paused,
            created_by_id=_user_id(user),
        )
        recurring.next_due_date = _next_due(recurring)
        recurring.save()
        _save_legs(recurring, checked)
        audit_record(
            action="ledger.recurring.create",
            actor=user,
            organization=organization_id,
            obj=recurring,
            changes={
                **{name: [None, str(getattr(recurring, name))] for name in SCHEDULE_FIELDS},
                "next_due_date": [None, str(recurring.next_due_date)],
                "legs": [[], _legs_text(checked)],
            },
        )
    return recurring


def recurring_payment_update(
    *, recurring_payment: RecurringPayment | int, user, legs: Iterable[Mapping] | None = None, **fields
) -> RecurringPayment:
    """Change the schedule or the template (when ``legs`` is given). Posted occurrences stay as they are; the
    next occurrence is recomputed from the last posted one."""
    unknown = set(fields) - set(SCHEDULE_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: {names}.").format(names=", ".join(sorted(unknown))))
    with transaction.atomic():
        recurring = RecurringPayment.objects.select_for_update().get(pk=_pk(recurring_payment))
        _require_write(user, recurring.organization_id)
        data = {name: getattr(recurring, name) for name in SCHEDULE_FIELDS}
        data.update(fields)
        check_schedule(data)
        checked = (
            recurring_legs_check(organization_id=recurring.organization_id, legs=legs) if legs is not None else None
        )
        before = {name: str(getattr(recurring, name)) for name in SCHEDULE_FIELDS}
        before["next_due_date"] = str(recurring.next_due_date)
        legs_before = _legs_text(recurring.legs.all())
        handled = _handled_through(recurring)  # under the schedule before the change
        for name, value in fields.items():
            setattr(recurring, name, value)
        recurring.name = recurring.name.strip()[:200]
        recurring.next_due_date = _next_due(recurring, handled)
        recurring.save()
        if checked is not None:
            _save_legs(recurring, checked)
        changes = {
            name: [before[name], str(getattr(recurring, name))]
            for name in (*SCHEDULE_FIELDS, "next_due_date")
            if before[name] != str(getattr(recurring, name))
        }
        legs_after = _legs_text(recurring.legs.all())
        if legs_after != legs_before:
            changes["legs"] = [legs_before, legs_after]
        audit_record(
            action="ledger.recurring.update",
            actor=user,
            organization=recurring.organization_id,
            obj=recurring,
            changes=changes,
        )
    return recurring


def recurring_payment_delete(*, recurring_payment: RecurringPayment | int, user) -> None:
    """Delete a recurring payment and its template. What it posted stays in the books (and its keys stay
    taken, so nothing it posted can post again)."""
    with transaction.atomic():
        recurring = RecurringPayment.objects.select_for_update().get(pk=_pk(recurring_payment))
        _require_write(user, recurring.organization_id)
        audit_record(
            action="ledger.recurring.delete",
            actor=user,
            organization=recurring.organization_id,
            obj=recurring,
            changes={"last_posted_date": str(recurring.last_posted_date)},
        )
        recurring.legs.all().delete()
        recurring.delete()


def recurring_payment_pause(*, recurring_payment: RecurringPayment | int, user) -> RecurringPayment:
    """Stop posting until resumed. Pausing a paused recurring payment changes nothing."""
    with transaction.atomic():
        recurring = RecurringPayment.objects.select_for_update().get(pk=_pk(recurring_payment))
        _require_write(user, recurring.organization_id)
        if not recurring.paused:
            recurring.paused = True
            recurring.save(update_fields=["paused"])
            audit_record(action="ledger.recurring.pause", actor=user, organization=recurring.organization_id,
                         obj=recurring)  # fmt: skip
    return recurring


def recurring_payment_resume(
    *, recurring_payment: RecurringPayment | int, user, catch_up: bool = False
) -> RecurringPayment:
    """Post again from now on. The occurrences that fell due while it was paused are skipped (a pause means
    "not these"), unless ``catch_up`` is set, in which case the next run posts them."""
    with transaction.atomic():
        recurring = RecurringPayment.objects.select_for_update().get(pk=_pk(recurring_payment))
        _require_write(user, recurring.organization_id)
        if not recurring.paused:
            return recurring
        recurring.paused = False
        skipped: list[str] = []
        if not catch_up and recurring.next_due_date is not None:
            today = recurring.organization.today()
            schedule = Schedule.of(recurring)
            skipped = [str(d) for d in schedule.between(recurring.next_due_date, today - timedelta(days=1), limit=1000)]
            recurring.next_due_date = schedule.first_on_or_after(max(today, recurring.next_due_date))
        recurring.save(update_fields=["paused", "next_due_date"])
        audit_record(
            action="ledger.recurring.resume",
            actor=user,
            organization=recurring.organization_id,
            obj=recurring,
            changes={"skipped": skipped, "next_due_date": str(recurring.next_due_date)},
        )
    return recurring


# --- posting what is due ----------------------------------------------------------------------------------


@dataclass
class RunResult:
    """What one run did for one recurring payment."""

    recurring_payment: int
    posted: list[Date] = field(default_factory=list)
    skipped_closed: list[Date] = field(default_factory=list)
    error: str = ""
    busy: bool = False  # another runner holds it right now
    capped: bool = False  # more occurrences are due than one run posts


def _message(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(f"{name}: {' '.join(messages)}" for name, messages in error.message_dict.items())
    return " ".join(error.messages)


def recurring_payment_post_due(
    *, recurring_payment: RecurringPayment | int, now: datetime | None = None, limit: int = CATCH_UP_LIMIT, user=None
) -> RunResult:
    """Post every due occurrence of one recurring payment, in date order, up to today where the organization
    is, at most ``limit``; each with the key ``recurring:<id>:<date>``, so none posts twice whoever runs this
    and however often. ``user`` (a member clicking "post due now") is checked for the power to post."""
    result = RunResult(recurring_payment=_pk(recurring_payment))
    with transaction.atomic():
        recurring = (
            RecurringPayment.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("organization")
            .filter(pk=_pk(recurring_payment))
            .first()
        )
        if recurring is None:
            result.busy = RecurringPayment.objects.filter(pk=_pk(recurring_payment)).exists()
            return result
        _require_write(user, recurring.organization_id)
        if recurring.paused or recurring.next_due_date is None:
            return result
        today = recurring.organization.today(now=now)
        schedule = Schedule.of(recurring)
        legs = [
            Leg(leg.account_id, leg.amount, leg.project_id, leg.category_id, leg.counterparty_id, leg.memo)
            for leg in recurring.legs.all()
        ]
        locked_through = (
            PeriodLock.objects.filter(organization_id=recurring.organization_id)
            .values_list("locked_through", flat=True)
            .first()
        )
        occurrence = recurring.next_due_date
        error = ""
        while occurrence is not None and occurrence <= today:
            if len(result.posted) + len(result.skipped_closed) >= limit:
                result.capped = True
                break
            if locked_through is not None and occurrence <= locked_through:
                result.skipped_closed.append(occurrence)
                logger.warning(
                    "recurring payment %s: occurrence %s is inside the closed period (through %s), skipped",
                    recurring.pk,
                    occurrence,
                    locked_through,
                )
                audit_record(
                    action="ledger.recurring.skip_closed_period",
                    organization=recurring.organization_id,
                    obj=recurring,
                    changes={"occurrence": str(occurrence), "locked_through": str(locked_through)},
                )
            else:
                try:
                    with transaction.atomic():
                        transaction_post(
                            organization=recurring.organization_id,
                            user=user,
                            date=occurrence,
                            entries=legs,
                            idempotency_key=product_key("recurring", recurring.pk, occurrence.isoformat()),
                            description=recurring.description or recurring.name,
                            kind=Transaction.Kind.RECURRING,
                        )
                except ValidationError as refusal:
                    error = _("{date}: {reason}").format(date=format_date(occurrence), reason=_message(refusal))
                    logger.warning("recurring payment %s: %s", recurring.pk, error)
                    break
                result.posted.append(occurrence)
                recurring.last_posted_date = occurrence
            occurrence = schedule.after(occurrence)
        if error and error != recurring.last_error:
            audit_record(
                action="ledger.recurring.refused",
                organization=recurring.organization_id,
                obj=recurring,
                changes={"error": error},
            )
        result.error = error
        recurring.next_due_date = occurrence
        recurring.last_error = error
        recurring.save(update_fields=["next_due_date", "last_posted_date", "last_error"])
        if result.posted:
            audit_record(
                action="ledger.recurring.post",
                actor=user,
                organization=recurring.organization_id,
                obj=recurring,
                changes={"posted": [str(d) for d in result.posted]},
            )
    return result


@dataclass
class RunSummary:
    posted: int = 0
    skipped_closed: int = 0
    failed: int = 0
    busy: int = 0
    capped: int = 0
    results: list[RunResult] = field(default_factory=list)


def recurring_payments_post_due(*, now: datetime | None = None, limit: int = CATCH_UP_LIMIT) -> RunSummary:
    """Post the due occurrences of every active recurring payment (the beat task), each in its own database
    transaction so that one refusal does not hold the others back."""
    now = now or timezone.now()
    # No time zone is more than 14 hours ahead of UTC: anything due by tomorrow (UTC) is a candidate, and
    # each is then checked against its organization's own today.
    horizon = now.astimezone(UTC).date() + timedelta(days=1)
    candidates = list(
        RecurringPayment.objects.filter(paused=False, next_due_date__isnull=False, next_due_date__lte=horizon)
        .order_by("next_due_date", "pk")
        .values_list("pk", flat=True)
    )
    summary = RunSummary()
    for recurring_id in candidates:
        result = recurring_payment_post_due(recurring_payment=recurring_id, now=now, limit=limit)
        summary.results.append(result)
        summary.posted += len(result.posted)
        summary.skipped_closed += len(result.skipped_closed)
        summary.failed += bool(result.error)
        summary.busy += result.busy
        summary.capped += result.capped
    if summary.posted or summary.failed or summary.skipped_closed:
        logger.info(
            "recurring payments: %s posted, %s skipped (closed period), %s refused, %s busy, %s capped",
            summary.posted,
            summary.skipped_closed,
            summary.failed,
            summary.busy,
            summary.capped,
        )
    return summary
