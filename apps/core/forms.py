from decimal import Decimal

from django import forms
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.language.formatting import field_decimals
from apps.core.models import Currency, Organization
from apps.core.validation.dates import date_range_validator
from apps.core.validation.limits import TEXT_MAX_LENGTH


class OrganizationCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    slug = forms.SlugField(
        label=_("Short name"),
        max_length=64,
        required=False,
        help_text=_("Used in addresses; made from the name if empty."),
    )
    time_zone = forms.CharField(label=_("Time zone"), max_length=64, initial="Europe/Moscow")
    reporting_currency = forms.ModelChoiceField(
        label=_("Reporting currency"),
        queryset=Currency.objects.filter(is_active=True),
        initial="RUB",
        to_field_name="code",
    )
    language = forms.ChoiceField(
        label=_("Language"), choices=Organization._meta.get_field("language").choices, initial="ru"
    )

    def clean_reporting_currency(self):
        return self.cleaned_data["reporting_currency"].code

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        if slug and Organization.objects.filter(slug=slug).exists():
            raise forms.ValidationError(_("The short name “{slug}” is taken.").format(slug=slug))
        return slug


class DateField(forms.DateField):
    """A date in Kontora's accepted range (``apps.core.validation.dates``): a form error, not a failure further on."""

    default_validators = [date_range_validator]


class TrimmedNumberInput(forms.NumberInput):
    """A decimal input that shows a stored value with its meaningful decimals ("1.5", not "1.50000000")."""

    def __init__(self, attrs=None, decimal_places: int = 2):
        super().__init__(attrs)
        self.decimal_places = decimal_places

    def format_value(self, value):
        if isinstance(value, Decimal) and value.is_finite():
            return format(value, f".{field_decimals(value, self.decimal_places)}f")
        return super().format_value(value)


def bounded_formfield(db_field, formfield):
    """Kontora's input rules on an admin form field: dates in the accepted range (``apps.core.validation.dates``),
    unbounded text capped at the API's limit, and stored decimals shown without trailing zeros."""
    if formfield is None:
        return formfield
    if isinstance(db_field, models.DecimalField) and type(formfield.widget) is forms.NumberInput:
        formfield.widget = TrimmedNumberInput(formfield.widget.attrs, decimal_places=db_field.decimal_places)
    if isinstance(db_field, models.DateField):  # DateTimeField too
        formfield.validators.append(date_range_validator)
    elif isinstance(db_field, models.TextField) and db_field.max_length is None:
        formfield.max_length = TEXT_MAX_LENGTH
        formfield.validators.append(MaxLengthValidator(TEXT_MAX_LENGTH))
        formfield.widget.attrs["maxlength"] = str(TEXT_MAX_LENGTH)
    return formfield
