"""Money: Decimal amounts with a currency code, rounded only at defined points with a defined mode.

Amounts are never floats. Each currency has a precision (RUB/USD/EUR 2, USDT/TRX 6, BTC 8); an amount with
more decimals than its currency allows is refused, not silently rounded. Conversions round half-even (banker's
rounding, so repeated conversions don't drift one way) to the target currency's precision and record the
rate they used.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

ROUNDING = ROUND_HALF_EVEN


def quantum(precision: int) -> Decimal:
    return Decimal(1).scaleb(-precision)


# The one documented form of an amount: an optional minus, ASCII digits, and optionally a point followed by
# more digits ("1500", "-0.5", "1500.00"). Not "+5", "5.", "1_000", "1E+2" or other scripts' digits, which
# Python's Decimal would all accept and store as something the sender may not have meant.
_AMOUNT = re.compile(r"-?[0-9]+(\.[0-9]+)?", re.ASCII)
# The widest number Kontora stores anywhere (NUMERIC(28, 8): 20 integer digits, 8 decimals); callers that
# write a narrower column pass its own digits and places.
MAX_DIGITS = 28
MAX_PLACES = 8
RATE_PLACES = 12  # FxRate.rate is NUMERIC(28, 12)


def to_decimal(
    value, *, field: str = "amount", max_digits: int = MAX_DIGITS, decimal_places: int = MAX_PLACES
) -> Decimal:
    """A Decimal from a Decimal, int or decimal string of the documented form; refused (naming ``field``) are
    floats (they cannot hold money exactly), any other spelling of a number, and a number too large for a
    column of ``max_digits`` digits with ``decimal_places`` decimals."""
    if isinstance(value, bool | float):
        raise ValidationError({field: _("Send amounts as decimal strings, not floating-point numbers.")})
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int):
        amount = Decimal(value)
    else:
        text = str(value).strip() if isinstance(value, str) else None
        if text is None or len(text) > 2 * max_digits or not _AMOUNT.fullmatch(text):
            shown = str(value)[:40]
            raise ValidationError(
                {field: _("“{value}” is not a decimal number such as 1500 or -12.50.").format(value=shown)}
            )
        try:
            amount = Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern admits only what Decimal reads
            raise ValidationError({field: _("“{value}” is not a number.").format(value=value)}) from None
    if not amount.is_finite():
        raise ValidationError({field: _("“{value}” is not a finite number.").format(value=value)})
    check_size(amount, field=field, max_digits=max_digits, decimal_places=decimal_places)
    return amount


def check_size(amount: Decimal, *, field: str, max_digits: int = MAX_DIGITS, decimal_places: int = MAX_PLACES):
    """Refuse an amount whose whole part has more digits than the column holds (it would overflow)."""
    whole = max_digits - decimal_places
    if abs(amount) >= Decimal(10) ** whole:
        raise ValidationError(
            {
                field: _("{value} is too large: at most {digits} digits before the decimal point.").format(
                    value=_short(amount), digits=whole
                )
            }
        )
    return amount


def _short(amount: Decimal) -> str:
    text = format(amount, "f") if abs(amount.adjusted()) < 40 else format(amount, "E")
    return text if len(text) <= 40 else text[:37] + "…"


def decimals_of(amount: Decimal) -> int:
    exponent = amount.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def check_precision(amount: Decimal, *, currency: str, precision: int, field: str = "amount") -> Decimal:
    """Return ``amount`` if it has at most ``precision`` decimals, else raise a ValidationError naming both."""
    if decimals_of(amount) > precision:
        raise ValidationError(
            {
                field: _("{amount} has more decimals than {currency} allows ({precision}).").format(
                    amount=amount, currency=currency, precision=precision
                )
            }
        )
    return amount


def round_to(amount: Decimal, precision: int) -> Decimal:
    """Round half-even to ``precision`` decimals: the one rounding rule for conversions."""
    return amount.quantize(quantum(precision), rounding=ROUNDING)


def convert(amount: Decimal, rate: Decimal, precision: int) -> Decimal:
    return round_to(amount * rate, precision)
