"""Exchange rates: the public daily fixing fetched from outside, and rates an organization enters by hand.

The source is configured by environment variables, read each time they are needed:

- ``FX_RATES_SOURCE``: ``cbr`` (default), the Central Bank of Russia's daily XML; ``none`` turns fetching off
  (the beat task then logs that and does nothing, and ``fx_fetch`` says so).
- ``FX_RATES_URL``: where the CBR's daily XML is (default ``https://www.cbr.ru/scripts/XML_daily.asp``), for a
  mirror or a proxy. The date goes in the ``date_req`` parameter (``DD/MM/YYYY``).

The CBR publishes, for each date, how many roubles ``Nominal`` units of a currency cost (``Value``, with a
decimal comma, e.g. 100 Japanese yen). Kontora stores the rate of one unit, ``Value / Nominal``, as a public
``FxRate`` (no organization, source ``cbr``, quote RUB) for each currency it knows (the Currency table),
under the date the CBR says the rates are for: asked for a Sunday, it answers with Saturday's fixing, which
is then stored once, for Saturday. Fetching the same date again adds nothing.

A rate that was used by a posting (``ledger.Transaction.fx_rate``) is part of that record: it can no longer
be changed or deleted. Rates of actual exchanges (source ``deal``) are recorded by the exchanges themselves.
"""

from __future__ import annotations

import logging
import zoneinfo
from dataclasses import dataclass, field
from datetime import date as Date
from datetime import datetime
from decimal import Decimal, InvalidOperation
from xml.etree import ElementTree

import httpx
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.accounts.roles import write_power
from apps.core.accounts.tenancy import has_power, sees_everything
from apps.core.language.formatting import format_date, format_quantity
from apps.core.mechanisms.audit import audit_record
from apps.core.models import Currency, FxRate, Organization
from apps.core.money.amounts import RATE_PLACES, round_to, to_decimal
from config.env import env_str

logger = logging.getLogger(__name__)

CBR = "cbr"
NONE = "none"
SOURCES = (CBR, NONE)
CBR_DEFAULT_URL = "https://www.cbr.ru/scripts/XML_daily.asp"
# The CBR fixes its rates on Moscow's calendar; "today" for the daily fetch is Moscow's date.
CBR_TIME_ZONE = zoneinfo.ZoneInfo("Europe/Moscow")
TIMEOUT = httpx.Timeout(15.0, connect=5.0)
RUB = "RUB"

# Writing an organization's own rates needs this power in it (owners and administrators by default; see
# apps.core.accounts.roles). Public rates (no organization) are written by superusers only.
FX_WRITE_POWER = write_power("core")

# Tests put an ``httpx.MockTransport`` here; in production it stays None (the real network).
TRANSPORT: httpx.BaseTransport | None = None


class FxRatesError(Exception):
    """Fetching rates did not happen; ``str(error)`` says why, in words for a person."""


class FxRatesNotConfigured(FxRatesError):
    """Fetching is turned off (``FX_RATES_SOURCE=none``) or set to a source Kontora does not know."""


class FxRatesUnavailable(FxRatesError):
    """The source could not be reached, refused, or answered something that is not a rates document."""


# --- the CBR daily XML ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CbrRate:
    code: str
    nominal: int
    value: Decimal  # roubles for ``nominal`` units

    @property
    def per_unit(self) -> Decimal:
        return round_to(self.value / self.nominal, RATE_PLACES)


@dataclass(frozen=True)
class CbrDaily:
    date: Date  # the date the rates are set for (may be earlier than the one asked for)
    rates: tuple[CbrRate, ...]


def _decimal_comma(text: str | None, what: str) -> Decimal:
    try:
        value = Decimal((text or "").strip().replace("\u00a0", "").replace(" ", "").replace(",", "."))
    except InvalidOperation:
        raise FxRatesUnavailable(
            _("The Central Bank's answer has an unreadable {what}: “{text}”.").format(what=what, text=text)
        ) from None
    if not value.is_finite():
        raise FxRatesUnavailable(
            _("The Central Bank's answer has an unreadable {what}: “{text}”.").format(what=what, text=text)
        )
    return value


def parse_cbr_daily(content: bytes) -> CbrDaily:
    """Read the CBR's ``XML_daily.asp`` answer (windows-1251 encoded XML) into Decimal rates."""
    # The stdlib parser resolves no external entities and expat caps entity expansion; a rates document
    # has no business declaring a DTD at all, so one is refused outright.
    if b"<!DOCTYPE" in content[:2048] or b"<!ENTITY" in content[:2048]:
        raise FxRatesUnavailable(_("The Central Bank's answer declares a DTD; it is not a rates document."))
    try:
        root = ElementTree.fromstring(content)
    except ElementTree.ParseError as error:
        raise FxRatesUnavailable(
            _("The Central Bank's answer is not readable XML ({error}).").format(error=error)
        ) from None
    if root.tag != "ValCurs":
        raise FxRatesUnavailable(
            _("The Central Bank's answer is not a rates document (its root is <{tag}>).").format(tag=root.tag)
        )
    raw_date = root.get("Date")
    if not raw_date:
        # An invalid request is answered with 200 and a bare "<ValCurs>Error in parameters</ValCurs>".
        raise FxRatesUnavailable(
            _("The Central Bank answered without rates: “{text}”.").format(text=(root.text or "").strip())
        )
    try:
        on = datetime.strptime(raw_date, "%d.%m.%Y").date()
    except ValueError:
        raise FxRatesUnavailable(
            _("The Central Bank's answer has an unreadable date: “{text}”.").format(text=raw_date)
        ) from None
    rates = []
    for valute in root.iter("Valute"):
        code = (valute.findtext("CharCode") or "").strip().upper()
        nominal = _decimal_comma(valute.findtext("Nominal"), _("nominal"))
        value = _decimal_comma(valute.findtext("Value"), _("value"))
        if not code or nominal <= 0 or nominal != nominal.to_integral_value() or value <= 0:
            raise FxRatesUnavailable(
                _(
                    "The Central Bank's answer has an unusable line for “{code}”: nominal {nominal}, value {value}."
                ).format(code=code or "?", nominal=nominal, value=value)
            )
        rates.append(CbrRate(code=code, nominal=int(nominal), value=value))
    return CbrDaily(date=on, rates=tuple(rates))


class CbrClient:
    """Fetches the CBR's daily rates for a date."""

    def __init__(self, *, url: str = CBR_DEFAULT_URL, transport: httpx.BaseTransport | None = None):
        self.url = url
        self.transport = transport

    def daily(self, on: Date) -> CbrDaily:
        try:
            with httpx.Client(transport=self.transport, timeout=TIMEOUT, follow_redirects=True) as client:
                response = client.get(self.url, params={"date_req": on.strftime("%d/%m/%Y")})
        except httpx.HTTPError as error:
            raise FxRatesUnavailable(
                _("The Central Bank's rates could not be fetched from {url}: {error}.").format(
                    url=self.url, error=error.__class__.__name__
                )
            ) from error
        if response.status_code != 200:
            raise FxRatesUnavailable(
                _("The Central Bank's rates could not be fetched from {url}: it answered HTTP {status}.").format(
                    url=self.url, status=response.status_code
                )
            )
        return parse_cbr_daily(response.content)


def fx_source() -> str:
    """The configured source, checked: ``cbr``, or :class:`FxRatesNotConfigured` saying what is wrong."""
    source = (env_str("FX_RATES_SOURCE", CBR) or CBR).strip().lower()
    if source == NONE:
        raise FxRatesNotConfigured(_("Fetching exchange rates is turned off (FX_RATES_SOURCE=none)."))
    if source not in SOURCES:
        raise FxRatesNotConfigured(
            _("FX_RATES_SOURCE={value} is not a source Kontora knows (use cbr or none).").format(value=source)
        )
    return source


def cbr_client() -> CbrClient:
    url = (env_str("FX_RATES_URL", "") or "").strip() or CBR_DEFAULT_URL
    return CbrClient(url=url, transport=TRANSPORT)


def fx_today() -> Date:
    """Today on the CBR's calendar (Moscow)."""
    return timezone.now().astimezone(CBR_TIME_ZONE).date()


# --- fetching: the public rates ---------------------------------------------------------------------------


@dataclass
class FxFetchResult:
    source: str
    requested: Date
    date: Date  # the date the source set the rates for
    created: list[str] = field(default_factory=list)  # codes stored now
    unchanged: list[str] = field(default_factory=list)  # codes already stored with the same rate
    differing: list[str] = field(default_factory=list)  # codes already stored with another rate (kept)
    unknown: int = 0  # currencies the source lists that Kontora does not know

    def as_dict(self) -> dict:
        return {
            "source": self.source,
            "requested": self.requested.isoformat(),
            "date": self.date.isoformat(),
            "created": self.created,
            "unchanged": self.unchanged,
            "differing": self.differing,
            "unknown": self.unknown,
        }


def fx_rates_fetch(*, date: Date) -> FxFetchResult:
    """Fetch the public rates the source set for ``date`` and store those of the currencies Kontora knows.

    Idempotent: a rate already stored for that date, pair and source is left as it is, so running this twice
    (or a task retry, or two workers at once) stores each rate once. Should the source later publish another
    figure for a stored date, the stored one is kept (it may already have been used) and a warning is logged.

    Raises :class:`FxRatesNotConfigured` when fetching is off and :class:`FxRatesUnavailable` when the
    source cannot be read; nothing is stored then.
    """
    source = fx_source()
    daily = cbr_client().daily(date)
    known = set(Currency.objects.exclude(code=RUB).values_list("code", flat=True))
    wanted = {rate.code: rate.per_unit for rate in daily.rates if rate.code in known}
    result = FxFetchResult(
        source=source, requested=date, date=daily.date, unknown=sum(1 for r in daily.rates if r.code not in known)
    )
    with transaction.atomic():
        stored = dict(
            FxRate.objects.filter(
                organization__isnull=True, date=daily.date, quote_id=RUB, source=FxRate.Source.CBR, base_id__in=wanted
            ).values_list("base_id", "rate")
        )
        new = []
        for code, rate in sorted(wanted.items()):
            if code not in stored:
                new.append(
                    FxRate(organization=None, date=daily.date, base_id=code, quote_id=RUB, rate=rate, source=CBR)
                )
                result.created.append(code)
            elif stored[code] == rate:
                result.unchanged.append(code)
            else:
                result.differing.append(code)
                logger.warning(
                    "fx: the CBR now gives %s/RUB %s for %s; the stored %s is kept",
                    code,
                    rate,
                    daily.date,
                    stored[code],
                )
        # A concurrent fetch of the same date may have stored some meanwhile: the unique key keeps one.
        FxRate.objects.bulk_create(new, ignore_conflicts=True)
        if new:
            audit_record(
                action="core.fx_rates.fetch",
                changes={"source": source, "date": daily.date.isoformat(), "created": result.created},
            )
    logger.info(
        "fx: %s rates for %s (asked %s): %d stored, %d already there",
        source,
        daily.date,
        date,
        len(result.created),
        len(result.unchanged) + len(result.differing),
    )
    return result


# --- rates entered by hand --------------------------------------------------------------------------------


def plain(value: Decimal) -> str:
    """A rate as people write it: no exponent, no trailing zeros (80, 0.524418)."""
    return format(value.normalize(), "f")


def fx_rate_may_write(user, organization_id: int | None) -> bool:
    """Whether ``user`` may write the rates of the organization (``None``: the public rates)."""
    if user is None:
        return True  # system work (commands, tasks)
    if organization_id is None:
        return sees_everything(user)
    return has_power(user, FX_WRITE_POWER, organization_id)


def _refuse_unless_may_write(user, organization_id: int | None) -> None:
    if fx_rate_may_write(user, organization_id):
        return
    if organization_id is None:
        raise PermissionDenied(_("Public exchange rates are changed by Kontora administrators only."))
    raise PermissionDenied(_("Your role does not allow changing this organization's exchange rates."))


def fx_rate_in_use(fx_rate: FxRate) -> bool:
    """Whether any record (a posted transaction…) refers to the rate: it is then part of that record.

    Found through the model's reverse relations, so core need not know the apps that refer to rates.
    """
    for relation in FxRate._meta.get_fields(include_hidden=True):
        if relation.auto_created and not relation.concrete and (relation.one_to_many or relation.one_to_one):
            manager = relation.related_model._base_manager
            if manager.filter(**{relation.field.name: fx_rate.pk}).exists():
                return True
    return False


def fx_rate_validate(
    *,
    organization: Organization | int | None,
    date: Date,
    base: Currency | str,
    quote: Currency | str,
    rate,
    source: str = FxRate.Source.MANUAL,
) -> dict:
    """Check a rate to be entered by hand; return the clean values or raise a ValidationError naming the field."""
    base_code = getattr(base, "pk", base)
    quote_code = getattr(quote, "pk", quote)
    organization_id = getattr(organization, "pk", organization)
    errors: dict[str, str] = {}
    known = set(Currency.objects.filter(code__in=[base_code, quote_code]).values_list("code", flat=True))
    for name, code in (("base", base_code), ("quote", quote_code)):
        if code not in known:
            errors[name] = _("“{code}” is not a currency Kontora knows.").format(code=code)
    if not errors and base_code == quote_code:
        errors["quote"] = _("A rate needs two different currencies; both are {code}.").format(code=base_code)
    value = None
    try:
        value = to_decimal(rate, field="rate", decimal_places=RATE_PLACES)
    except ValidationError as error:
        errors.update({k: v[0] for k, v in error.message_dict.items()})
    if value is not None:
        if value <= 0:
            errors["rate"] = _("The rate must be positive; {value} is not.").format(value=plain(value))
        elif value != round_to(value, RATE_PLACES):
            errors["rate"] = _("{value} has more than {places} decimals.").format(
                value=plain(value), places=RATE_PLACES
            )
        elif value >= Decimal(10) ** 16:
            errors["rate"] = _("{value} is too large for a rate.").format(value=plain(value))
    if source == FxRate.Source.DEAL:
        errors["source"] = _("Rates of actual exchanges are recorded by the exchanges themselves.")
    elif source == FxRate.Source.CBR and organization_id is not None:
        errors["source"] = _(
            "Central Bank rates are public: leave the organization empty, or choose “entered by hand”."
        )
    elif source not in FxRate.Source.values:
        errors["source"] = _("“{value}” is not a rate source.").format(value=source)
    if not isinstance(date, Date):
        errors["date"] = _("A date is required.")
    if errors:
        raise ValidationError(errors)
    return {
        "organization_id": organization_id,
        "date": date,
        "base_id": base_code,
        "quote_id": quote_code,
        "rate": value,
        "source": source,
    }


def fx_rate_same_day(values: dict, exclude: int | None = None) -> FxRate | None:
    """The rate the unique keys allow once: public (date, pair, source), an organization's own manual one."""
    if values["organization_id"] is None:
        lookup = {"organization__isnull": True, "source": values["source"]}
    elif values["source"] == FxRate.Source.MANUAL:
        lookup = {"organization_id": values["organization_id"], "source": FxRate.Source.MANUAL}
    else:
        return None
    queryset = FxRate.objects.filter(
        date=values["date"], base_id=values["base_id"], quote_id=values["quote_id"], **lookup
    )
    if exclude is not None:
        queryset = queryset.exclude(pk=exclude)
    return queryset.first()


def fx_rate_duplicate_error(existing: FxRate) -> ValidationError:
    return ValidationError(
        {
            "rate": _("There is already a rate for {base}/{quote} on {date} ({rate}): change that one instead.").format(
                base=existing.base_id,
                quote=existing.quote_id,
                date=format_date(existing.date),
                rate=format_quantity(existing.rate),
            )
        },
        code="duplicate",
    )


def fx_rate_create(
    *,
    organization: Organization | int | None,
    user,
    date: Date,
    base: Currency | str,
    quote: Currency | str,
    rate,
    source: str = FxRate.Source.MANUAL,
) -> tuple[FxRate, bool]:
    """Enter a rate by hand: an organization's own (its members with the power), or a public one
    (``organization=None``, superusers only). Returns ``(rate, created)``.

    Entering the same rate again (a double click, a retried request) returns the first one unchanged; a
    different figure for a date and pair that already have one is refused with a clear message.
    """
    values = fx_rate_validate(organization=organization, date=date, base=base, quote=quote, rate=rate, source=source)
    _refuse_unless_may_write(user, values["organization_id"])
    existing = fx_rate_same_day(values)
    if existing is not None:
        if existing.rate == values["rate"]:
            return existing, False
        raise fx_rate_duplicate_error(existing)
    try:
        with transaction.atomic():
            fx_rate = FxRate.objects.create(**values)
            audit_record(
                action="core.fx_rate.create",
                actor=user,
                organization=values["organization_id"],
                obj=fx_rate,
                changes={"rate": str(fx_rate.rate), "source": source},
            )
    except IntegrityError:
        # Entered at the same moment by another request: the unique key let one through.
        existing = fx_rate_same_day(values)
        if existing is None:
            raise
        if existing.rate == values["rate"]:
            return existing, False
        raise fx_rate_duplicate_error(existing) from None
    return fx_rate, True


def fx_rate_update(*, fx_rate: FxRate, user, **changes) -> FxRate:
    """Correct a rate entered by hand (or a public one, as a superuser). A rate used by a posting, or the rate
    of an actual exchange, is a record and stays as it is."""
    with transaction.atomic():
        fx_rate = FxRate.objects.select_for_update().get(pk=fx_rate.pk)
        _refuse_unless_may_write(user, fx_rate.organization_id)
        if fx_rate.source == FxRate.Source.DEAL:
            raise ValidationError(_("This is the rate of an actual exchange; it cannot be changed."))
        if fx_rate_in_use(fx_rate):
            raise ValidationError(_("This rate was used by a posting; enter a new rate instead of changing it."))
        current = {
            "organization": fx_rate.organization_id,
            "date": fx_rate.date,
            "base": fx_rate.base_id,
            "quote": fx_rate.quote_id,
            "rate": fx_rate.rate,
            "source": fx_rate.source,
        }
        wanted = {**current, **{k: getattr(v, "pk", v) for k, v in changes.items()}}
        values = fx_rate_validate(**wanted)
        _refuse_unless_may_write(user, values["organization_id"])
        existing = fx_rate_same_day(values, exclude=fx_rate.pk)
        if existing is not None:
            raise fx_rate_duplicate_error(existing)
        diff = {
            name: [str(current[name]), str(wanted[name])] for name in current if str(current[name]) != str(wanted[name])
        }
        for name, value in values.items():
            setattr(fx_rate, name, value)
        fx_rate.save()
        audit_record(
            action="core.fx_rate.update", actor=user, organization=fx_rate.organization_id, obj=fx_rate, changes=diff
        )
    return fx_rate


def fx_rate_delete(*, fx_rate: FxRate, user) -> None:
    with transaction.atomic():
        fx_rate = FxRate.objects.select_for_update().get(pk=fx_rate.pk)
        _refuse_unless_may_write(user, fx_rate.organization_id)
        if fx_rate.source == FxRate.Source.DEAL:
            raise ValidationError(_("This is the rate of an actual exchange; it cannot be deleted."))
        if fx_rate_in_use(fx_rate):
            raise ValidationError(_("This rate was used by a posting; it cannot be deleted."))
        audit_record(action="core.fx_rate.delete", actor=user, organization=fx_rate.organization_id, obj=fx_rate)
        fx_rate.delete()
