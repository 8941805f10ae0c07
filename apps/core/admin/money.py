"""The admin of currencies and exchange rates (the services are in apps.core.money.fx)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from apps.core.accounts.tenancy import sees_everything
from apps.core.admin_kit.base import KontoraModelAdmin
from apps.core.models import Currency, FxRate
from apps.core.money import fx


@admin.register(Currency)
class CurrencyAdmin(KontoraModelAdmin):
    list_display = ["code", "name", "precision", "is_crypto", "is_active"]
    list_filter = ["is_crypto", "is_active"]
    search_fields = ["code", "name"]


class FxPairListFilter(admin.SimpleListFilter):
    """Filter by currency pair ("USD/RUB"), offering only the pairs the user's rates have."""

    title = _("pair")
    parameter_name = "pair"

    def lookups(self, request, model_admin):
        pairs = model_admin.get_queryset(request).order_by().values_list("base_id", "quote_id").distinct()
        return [(f"{base}/{quote}", f"{base}/{quote}") for base, quote in sorted(pairs)]

    def queryset(self, request, queryset):
        base, _sep, quote = (self.value() or "").partition("/")
        return queryset.filter(base_id=base, quote_id=quote) if base and quote else queryset


class FxPublicListFilter(admin.SimpleListFilter):
    title = _("shared")
    parameter_name = "public"

    def lookups(self, request, model_admin):
        return [("yes", _("Public rates")), ("no", _("Own rates"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(organization__isnull=self.value() == "yes")
        return queryset


class FxRateForm(forms.ModelForm):
    by = None  # the signed-in user, set by FxRateAdmin.get_form

    class Meta:
        model = FxRate
        fields = ["organization", "date", "base", "quote", "rate", "source"]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            values = fx.fx_rate_validate(
                organization=data.get("organization"),
                date=data.get("date"),
                base=data.get("base"),
                quote=data.get("quote"),
                rate=data.get("rate"),
                source=data.get("source") or FxRate.Source.MANUAL,
            )
            if not fx.fx_rate_may_write(self.by, values["organization_id"]):
                raise ValidationError({"organization": _("Public exchange rates are entered by superusers only.")})
            existing = fx.fx_rate_same_day(values, exclude=self.instance.pk)
            # Entering the very same rate again is harmless (the service returns the first); another figure
            # for a date and pair that have one, or moving a rate onto one, is not.
            if existing is not None and (self.instance.pk or existing.rate != values["rate"]):
                raise fx.fx_rate_duplicate_error(existing)
        except ValidationError as error:
            for name, messages_ in error.message_dict.items():
                self.add_error(name if name in self.fields else None, messages_)
        return data


@admin.register(FxRate)
class FxRateAdmin(KontoraModelAdmin):
    """Exchange rates: the public daily fixing (fetched, read-only for members) and each organization's own,
    entered by hand by members who may write core data. A rate used by a posting is kept as it is."""

    form = FxRateForm
    list_display = ["date", "base", "quote", "rate", "source", "organization", "created_at"]
    list_filter = [FxPairListFilter, "source", FxPublicListFilter, "date", "base", "quote"]
    search_fields = ["base__code", "quote__code"]
    list_select_related = ["organization"]
    date_hierarchy = "date"
    ordering = ["-date", "base", "quote", "-id"]
    readonly_fields = ["created_at"]

    def get_fields(self, request, obj=None):
        return [*FxRateForm.Meta.fields, *(["created_at"] if obj is not None else [])]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.by = request.user
        return form

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "source":
            # Members enter rates by hand; fetched (CBR) rates are public, exchanges record their own.
            allowed = [FxRate.Source.MANUAL]
            if sees_everything(request.user):
                allowed.append(FxRate.Source.CBR)
            kwargs["choices"] = [(value, label) for value, label in FxRate.Source.choices if value in allowed]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def _is_record(self, obj) -> bool:
        return obj is not None and (obj.source == FxRate.Source.DEAL or fx.fx_rate_in_use(obj))

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and not self._is_record(obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and not self._is_record(obj)

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in FxRateForm.Meta.fields}
        if change:
            saved = fx.fx_rate_update(fx_rate=obj, user=request.user, **data)
        else:
            saved, _created = fx.fx_rate_create(user=request.user, **data)
        # The admin goes on with `obj` (history entry, redirect): make it the saved rate.
        obj.__dict__.update({k: v for k, v in saved.__dict__.items() if k != "_state"})
        obj._state.adding = False
        obj._state.db = saved._state.db

    def delete_model(self, request, obj):
        fx.fx_rate_delete(fx_rate=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        for fx_rate in queryset:
            try:
                fx.fx_rate_delete(fx_rate=fx_rate, user=request.user)
            except (ValidationError, PermissionDenied) as error:
                messages.error(request, f"{fx_rate}: {'; '.join(getattr(error, 'messages', [str(error)]))}")
