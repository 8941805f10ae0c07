from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from . import services
from .admin_base import KontoraModelAdmin, KontoraTabularInline
from .audit import action_label
from .models import AuditLog, Currency, Membership, Organization, User
from .roles import MANAGE_MEMBERS, MANAGE_ORGANIZATION
from .tenancy import has_power, sees_everything


@admin.register(User)
class UserAdmin(KontoraModelAdmin, DjangoUserAdmin):
    """Members see the people of their organizations; only superusers edit accounts."""

    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_active", "is_superuser", "last_login"]
    list_filter = ["is_active", "is_superuser", "date_joined"]
    search_fields = ["email", "first_name", "last_name"]
    readonly_fields = ["last_login", "date_joined"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Personal info"), {"fields": ["first_name", "last_name", "language"]}),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]


class MembershipInline(KontoraTabularInline):
    model = Membership
    fields = ["user", "role", "created_at"]
    readonly_fields = ["created_at"]
    autocomplete_fields = ["user"]

    def _may_write(self, request, obj=None) -> bool:
        return has_power(request.user, MANAGE_MEMBERS, obj.pk if obj else None)


@admin.register(Organization)
class OrganizationAdmin(KontoraModelAdmin):
    list_display = ["name", "slug", "time_zone", "reporting_currency", "language", "require_mfa", "created_at"]
    list_filter = ["language", "require_mfa", "reporting_currency"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["created_at"]
    inlines = [MembershipInline]

    def has_add_permission(self, request) -> bool:
        return sees_everything(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return has_power(request.user, MANAGE_ORGANIZATION, obj.pk if obj else None)

    def has_delete_permission(self, request, obj=None) -> bool:
        return has_power(request.user, "delete_organization", obj.pk if obj else None)

    def save_model(self, request, obj, form, change):
        # Through the services, which write the audit record with the stored row as "before" (the form has
        # already put the new values on ``obj``).
        data = form.cleaned_data
        if change:
            services.organization_update(
                organization=obj, user=request.user, **{f: data[f] for f in form.changed_data if f in data}
            )
            return
        created = services.organization_create(
            owner=None,
            by=request.user,
            name=data["name"],
            slug=data.get("slug", ""),
            time_zone=data["time_zone"],
            reporting_currency=data["reporting_currency"].pk,
            language=data["language"],
            require_mfa=data.get("require_mfa", False),
            logo=data.get("logo") or "",
        )
        obj.pk, obj.slug, obj.logo, obj.created_at = created.pk, created.slug, created.logo, created.created_at
        obj._state.adding, obj._state.db = False, created._state.db

    def save_formset(self, request, form, formset, change):
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        memberships = formset.save(commit=False)
        try:
            for membership in formset.deleted_objects:
                services.membership_remove(membership=membership, by=request.user)
            for membership in memberships:
                if membership.pk:
                    services.membership_change_role(membership=membership, role=membership.role, by=request.user)
                else:
                    services.membership_add(
                        organization=form.instance, user=membership.user, role=membership.role, by=request.user
                    )
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, "; ".join(getattr(error, "messages", [str(error)])))


@admin.register(Membership)
class MembershipAdmin(KontoraModelAdmin):
    list_display = ["user", "organization", "role", "created_at"]
    list_filter = ["role", "organization"]
    search_fields = ["user__email", "organization__name"]
    autocomplete_fields = ["user"]
    list_select_related = ["user", "organization"]

    def _may_write(self, request, obj=None) -> bool:
        return has_power(request.user, MANAGE_MEMBERS, obj.organization_id if obj else None)

    def save_model(self, request, obj, form, change):
        if change:
            services.membership_change_role(membership=obj, role=obj.role, by=request.user)
        else:
            services.membership_add(organization=obj.organization, user=obj.user, role=obj.role, by=request.user)

    def delete_model(self, request, obj):
        services.membership_remove(membership=obj, by=request.user)


@admin.register(Currency)
class CurrencyAdmin(KontoraModelAdmin):
    list_display = ["code", "name", "precision", "is_crypto", "is_active"]
    list_filter = ["is_crypto", "is_active"]
    search_fields = ["code", "name"]


class AuditActionListFilter(admin.SimpleListFilter):
    """The actions of the audit records the user may see, by their labels, not their codes."""

    title = _("action")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        codes = model_admin.get_queryset(request).order_by().values_list("action", flat=True).distinct()
        return sorted(((code, action_label(code)) for code in codes), key=lambda choice: choice[1])

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


@admin.register(AuditLog)
class AuditLogAdmin(KontoraModelAdmin):
    """The audit trail is written by services only; here it is read."""

    list_display = ["created_at", "organization", "actor", "api_key", "action_display", "object_repr", "request_id"]
    list_filter = [AuditActionListFilter, "organization", "created_at"]
    search_fields = ["action", "object_repr", "actor__email", "api_key__name", "request_id"]
    list_select_related = ["organization", "actor", "api_key"]
    date_hierarchy = "created_at"

    @admin.display(description=_("action"), ordering="action")
    def action_display(self, record: AuditLog) -> str:
        return record.action_label

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "action_display"]

    def get_fields(self, request, obj=None):
        return ["action_display" if name == "action" else name for name in super().get_fields(request, obj)]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# --- API credentials (services in apps.core.tokens) ------------------------------------------------------
# Imported here rather than at the top so that this section stays self-contained.

from django import forms  # noqa: E402
from django.utils.translation import ngettext  # noqa: E402

from . import tokens  # noqa: E402
from .models import ApiKey, RefreshToken  # noqa: E402
from .roles import MANAGE_API_KEYS  # noqa: E402


class ApiKeyAddForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("scopes"),
        choices=ApiKey.Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[ApiKey.Scope.READ],
        help_text=_("Read lets the key see the organization's data; write also lets it change it."),
    )
    by = None  # the signed-in user, set by ApiKeyAdmin.get_form

    class Meta:
        model = ApiKey
        fields = ["organization", "name", "scopes", "role", "expires_at"]

    def clean(self):
        data = super().clean()
        if self.errors or data.get("organization") is None:
            return data
        try:
            tokens.api_key_check(
                organization=data["organization"],
                name=data.get("name", ""),
                scopes=data.get("scopes", []),
                role=data.get("role", ""),
                expires_at=data.get("expires_at"),
                by=self.by,
            )
        except PermissionDenied as error:
            raise ValidationError(str(error)) from error
        return data


@admin.register(ApiKey)
class ApiKeyAdmin(KontoraModelAdmin):
    """Keys are created here (the key is shown once, in a message) and revoked by an action; they are never
    edited, and kept after revocation for the record."""

    form = ApiKeyAddForm
    list_display = [
        "name",
        "organization",
        "prefix",
        "scopes",
        "role",
        "created_by",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["organization", "role", "created_at"]
    search_fields = ["name", "prefix"]
    list_select_related = ["organization", "created_by"]
    actions = ["revoke"]

    def _write_power(self) -> str:
        return MANAGE_API_KEYS

    def get_fields(self, request, obj=None):
        if obj is None:
            return list(ApiKeyAddForm.Meta.fields)
        return [
            "organization",
            "name",
            "prefix",
            "scopes",
            "role",
            "created_by",
            "created_at",
            "expires_at",
            "last_used_at",
            "revoked_at",
        ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.by = request.user
        return form

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_revoke_permission(self, request) -> bool:
        return self._may_write(request)

    def save_model(self, request, obj, form, change):
        if change:
            return
        api_key, plain = tokens.api_key_create(
            organization=obj.organization,
            name=obj.name,
            scopes=list(obj.scopes),
            role=obj.role,
            expires_at=obj.expires_at,
            by=request.user,
        )
        # The admin goes on with `obj` (history entry, redirect): make it the saved key.
        obj.__dict__.update({k: v for k, v in api_key.__dict__.items() if k != "_state"})
        obj._state.adding = False
        obj._state.db = api_key._state.db
        messages.warning(
            request,
            _("The key of “{name}” is {key} — copy it now: it is not shown again.").format(
                name=api_key.name, key=plain
            ),
        )

    @admin.action(description=_("Revoke the selected API keys"), permissions=["revoke"])
    def revoke(self, request, queryset):
        revoked = 0
        for api_key in queryset.filter(revoked_at__isnull=True):
            try:
                tokens.api_key_revoke(api_key=api_key, by=request.user)
            except PermissionDenied as error:
                messages.error(request, f"{api_key}: {error}")
            else:
                revoked += 1
        self.message_user(
            request, ngettext("{count} key revoked.", "{count} keys revoked.", revoked).format(count=revoked)
        )


@admin.register(RefreshToken)
class RefreshTokenAdmin(admin.ModelAdmin):
    """Logins to the API, for superusers investigating an account. Read-only; a login can be revoked."""

    list_display = ["user", "family", "created_at", "expires_at", "used_at", "revoked_at", "user_agent"]
    list_filter = ["created_at", "revoked_at"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    fields = ["user", "family", "created_at", "expires_at", "used_at", "revoked_at", "user_agent"]
    readonly_fields = fields
    actions = ["revoke_family"]

    def has_module_permission(self, request) -> bool:
        return sees_everything(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return sees_everything(request.user)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_revoke_family_permission(self, request) -> bool:
        return sees_everything(request.user)

    @admin.action(description=_("Revoke the logins of the selected tokens"), permissions=["revoke_family"])
    def revoke_family(self, request, queryset):
        families = set(queryset.values_list("family", flat=True))
        for family in families:
            tokens.refresh_family_revoke(family=family, by=request.user)
        self.message_user(
            request,
            ngettext("{count} login revoked.", "{count} logins revoked.", len(families)).format(count=len(families)),
        )


# --- exchange rates (services in apps.core.fx) -----------------------------------------------------------
# Imported here rather than at the top so that this section stays self-contained.

from . import fx  # noqa: E402
from .models import FxRate  # noqa: E402


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
