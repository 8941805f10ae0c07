"""Template filters of ``apps.core.language.formatting``: ``{{ amount|money:currency }}``, ``{{ qty|quantity }}``,
``{{ day|short_date }}``."""

from django import template

from apps.core.language.formatting import format_date, format_money, format_quantity

register = template.Library()


@register.filter
def money(amount, currency=None):
    return format_money(amount, currency)


@register.filter
def quantity(value):
    return format_quantity(value)


@register.filter
def short_date(value):
    return format_date(value)
