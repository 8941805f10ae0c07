"""Money: Decimal amounts with a currency code, rounded only at defined points with a defined mode.

Amounts are never floats. Each currency has a precision (RUB/USD/EUR 2, USDT/TRX 6, BTC 8); an amount with
more decimals than its currency allows is refused, not silently rounded. Conversions round half-even (banker's
rounding, so repeated conversions don't drift one way) to the target currency's precision and record the
rate they used.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

ROUNDING = ROUND_HALF_EVEN


def quantum(precision: int) -> Decimal:
    return Decimal(1).scaleb(-precision)


def to_decimal(value, *, field: str = "amount") -> Decimal:
    """A Decimal from a Decimal, int or numeric string; floats are refused (they cannot hold money exactly)."""
    if isinstance(value, bool | float):
        raise ValidationError({field: _("Send amounts as decimal strings, not floating-point numbers.")})
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field: _("“{value}” is not a number.").format(value=value)}) from None
    if not amount.is_finite():
        raise ValidationError({field: _("“{value}” is not a finite number.").format(value=value)})
    return amount


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
