"""Serializer fields that every API input uses for numbers, amounts and dates, so the rules of what a
client may send live in one place (``apps.core.money.amounts``, ``apps.core.validation.dates``)."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.money.amounts import MAX_DIGITS, MAX_PLACES, decimals_of, quantum, to_decimal
from apps.core.validation.dates import date_range_validator

BIGINT_MAX = 2**63 - 1  # ids and counts are PostgreSQL bigint at most


def money(amount: Decimal | None, precision: int) -> str | None:
    """``amount`` as a decimal string with exactly ``precision`` decimals (exact: the database holds amounts
    to their currency's precision, so nothing is rounded here)."""
    return None if amount is None else str(Decimal(amount).quantize(quantum(precision)))


def plain(value: Decimal, min_places: int = 0) -> str:
    """A quantity or price as a decimal string without trailing zeros beyond ``min_places`` decimals."""
    return str(value.quantize(quantum(max(min_places, decimals_of(value)))))


class IntegerField(serializers.IntegerField):
    """An integer that fits PostgreSQL's bigint unless narrower bounds are given: a larger one would fail in
    the database instead of being refused here."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_value", BIGINT_MAX)
        kwargs.setdefault("min_value", -BIGINT_MAX)
        super().__init__(**kwargs)


class DateField(serializers.DateField):
    """A date in Kontora's accepted range (``apps.core.validation.dates``)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(date_range_validator)


class DateTimeField(serializers.DateTimeField):
    """A date and time whose date lies in Kontora's accepted range."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(date_range_validator)


@extend_schema_field({"type": "string", "format": "decimal", "pattern": r"^-?[0-9]+(\.[0-9]+)?$", "example": "1500.00"})
class DecimalStringField(serializers.Field):
    """A decimal string of the one documented form (``1500``, ``-12.50``), read by
    ``apps.core.money.amounts.to_decimal`` and bounded by the column it is stored in (``max_digits``/
    ``decimal_places``). Returns a Decimal."""

    def __init__(self, *, max_digits: int = MAX_DIGITS, decimal_places: int = MAX_PLACES, **kwargs):
        self.max_digits = max_digits
        self.decimal_places = decimal_places
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        try:
            return to_decimal(
                data, field=self.field_name, max_digits=self.max_digits, decimal_places=self.decimal_places
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict[self.field_name]) from None

    def to_representation(self, value):
        return None if value is None else format(value, "f")


class StrictDecimalField(serializers.DecimalField):
    """DRF's DecimalField reading only the documented form of a number (``apps.core.money.amounts.to_decimal``): not
    ``1E+2``, ``+5``, ``5.``, ``1_000`` or other scripts' digits."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            try:
                to_decimal(data, field="value", max_digits=self.max_digits or MAX_DIGITS, decimal_places=0)
            except DjangoValidationError as error:
                raise serializers.ValidationError(error.message_dict["value"]) from None
        return super().to_internal_value(data)
