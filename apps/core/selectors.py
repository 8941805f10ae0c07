"""Reads of organizations, memberships and the audit log, scoped to the requesting user."""

from __future__ import annotations

from django.db.models import QuerySet

from apps.core.accounts.tenancy import scope
from apps.core.models import AuditLog, Membership, Organization


def organization_list(*, user) -> QuerySet[Organization]:
    return scope(Organization.objects.select_related("reporting_currency"), user)


def membership_list(*, user) -> QuerySet[Membership]:
    return scope(Membership.objects.select_related("user", "organization"), user)


def audit_log_list(*, user) -> QuerySet[AuditLog]:
    return scope(AuditLog.objects.select_related("actor", "api_key", "organization"), user)


# --- exchange rates ---------------------------------------------------------------------------------------
# Imported here rather than at the top so that this section stays self-contained.

from dataclasses import dataclass  # noqa: E402
from datetime import date as Date  # noqa: E402
from decimal import Decimal  # noqa: E402

from django.core.exceptions import ValidationError  # noqa: E402
from django.db.models import Case, IntegerField, Q, Value, When  # noqa: E402
from django.utils.translation import gettext as _  # noqa: E402

from apps.core.models import Currency, FxRate  # noqa: E402
from apps.core.money.amounts import round_to  # noqa: E402

FX_PIVOT = "RUB"  # the currency cross rates go through: every public (CBR) rate is quoted against it
FX_RATE_PLACES = 12  # derived rates are rounded half-even to the places FxRate.rate keeps


@dataclass(frozen=True)
class FxRateUsed:
    """The rate :func:`fx_rate_for` settled on, with what it was derived from (for the record of a conversion).

    ``rate`` is how many units of ``quote`` one unit of ``base`` costs. ``date`` is the date of the stored
    rate used (for a cross rate, the older of its two). ``method`` is ``direct`` (a stored base/quote rate as
    it is), ``inverse`` (a stored quote/base rate, inverted), ``cross`` (base/RUB divided by quote/RUB, each of
    them direct or inverted) or ``identity`` (base and quote are the same currency: 1). ``rates`` holds the
    stored rows used.
    """

    base: str
    quote: str
    on: Date
    date: Date
    rate: Decimal
    method: str
    rates: tuple[FxRate, ...] = ()

    @property
    def fx_rate(self) -> FxRate | None:
        """The stored row, when the rate is used exactly as stored (``direct``); a posting can refer to it."""
        return self.rates[0] if self.method == "direct" else None

    @property
    def source(self) -> str:
        """The sources of the rows used, e.g. ``cbr``, or ``cbr+manual`` for a cross rate of two kinds."""
        return "+".join(sorted({row.source for row in self.rates}))

    def convert(self, amount: Decimal, precision: int) -> Decimal:
        """``amount`` of ``base`` in ``quote``, rounded half-even to ``precision`` places (the money rule)."""
        return round_to(amount * self.rate, precision)


def _fx_best_between(organization_id: int | None, one: str, other: str, on: Date) -> FxRate | None:
    """The stored rate between two currencies, either way round, that :func:`fx_rate_for` would use."""
    visible = Q(organization__isnull=True)
    if organization_id is not None:
        visible |= Q(organization_id=organization_id)
    return (
        FxRate.objects.filter(visible, Q(base_id=one, quote_id=other) | Q(base_id=other, quote_id=one), date__lte=on)
        .annotate(
            public=Case(When(organization__isnull=True, then=Value(1)), default=Value(0), output_field=IntegerField()),
            inverse=Case(When(base_id=one, then=Value(0)), default=Value(1), output_field=IntegerField()),
        )
        .order_by("-date", "public", "inverse", "-created_at", "-id")
        .first()
    )


def _fx_towards(row: FxRate, base: str) -> Decimal:
    """Units of the row's other currency for one ``base``, unrounded (rounding happens once, at the end)."""
    return row.rate if row.base_id == base else Decimal(1) / row.rate


def fx_rate_for(*, organization, base: Currency | str, quote: Currency | str, on: Date) -> FxRateUsed:
    """The exchange rate to use for converting ``base`` into ``quote`` on ``on``, seen by ``organization``.

    Seen: the public rates (the CBR's daily fixing and public rates entered by administrators) and the
    organization's own (entered by hand, or recorded by its exchanges); ``organization=None`` sees public
    rates only. The rule, precisely:

    1. The same currency on both sides: rate 1 (``identity``).
    2. The stored rates between the two currencies, either way round, dated on or before ``on``: the latest
       date wins; on the same date the organization's own rate wins over a public one, then a rate stored as
       base/quote (``direct``) over one stored as quote/base (``inverse``, used as 1/rate), then the rate
       recorded last.
    3. When neither currency is RUB, a ``cross`` rate through RUB is also considered: base/RUB divided by
       quote/RUB, each chosen as in 2. Its date is the older of the two; it is used when that date is later
       than the date of the rate found in 2 (or when 2 found none), so a year-old rate entered by hand does
       not win over today's fixing. On equal dates the rate of 2 wins (fewer conversions).
    4. Nothing: a ValidationError naming the pair and the date (code ``fx_rate_missing``).

    A derived rate (inverse, cross) is computed in full and rounded half-even to 12 decimal places once.
    The age of the rate is not limited: ``date`` tells how old it is.
    """
    base_code = str(getattr(base, "pk", base)).upper()
    quote_code = str(getattr(quote, "pk", quote)).upper()
    organization_id = getattr(organization, "pk", organization)
    if base_code == quote_code:
        return FxRateUsed(base_code, quote_code, on, on, Decimal(1), "identity")

    found = None
    pair = _fx_best_between(organization_id, base_code, quote_code, on)
    if pair is not None:
        direct = pair.base_id == base_code
        found = FxRateUsed(
            base_code,
            quote_code,
            on,
            pair.date,
            pair.rate if direct else round_to(_fx_towards(pair, base_code), FX_RATE_PLACES),
            "direct" if direct else "inverse",
            (pair,),
        )
    if FX_PIVOT not in (base_code, quote_code) and (found is None or found.date < on):
        base_leg = _fx_best_between(organization_id, base_code, FX_PIVOT, on)
        quote_leg = _fx_best_between(organization_id, quote_code, FX_PIVOT, on) if base_leg is not None else None
        if base_leg is not None and quote_leg is not None:
            cross_date = min(base_leg.date, quote_leg.date)
            if found is None or cross_date > found.date:
                rate = _fx_towards(base_leg, base_code) / _fx_towards(quote_leg, quote_code)
                found = FxRateUsed(
                    base_code,
                    quote_code,
                    on,
                    cross_date,
                    round_to(rate, FX_RATE_PLACES),
                    "cross",
                    (base_leg, quote_leg),
                )
    if found is None:
        raise ValidationError(
            _(
                "No exchange rate for {base}/{quote} on or before {date}: there is none for the pair either way "
                "round, nor for both currencies against {pivot}."
            ).format(base=base_code, quote=quote_code, date=on.isoformat(), pivot=FX_PIVOT),
            code="fx_rate_missing",
            params={"base": base_code, "quote": quote_code, "date": on.isoformat()},
        )
    if found.rate <= 0:  # a derived rate too small for 12 places: refuse rather than convert to nothing
        raise ValidationError(
            _("The rate for {base}/{quote} on {date} is below 0.000000000001 and cannot be used.").format(
                base=base_code, quote=quote_code, date=on.isoformat()
            ),
            code="fx_rate_too_small",
        )
    return found
