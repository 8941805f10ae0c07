from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from apps.core import services
from apps.core.accounts import tokens
from apps.core.accounts.roles import MANAGE_API_KEYS, MANAGE_MEMBERS, MANAGE_ORGANIZATION
from apps.core.accounts.tenancy import has_power, sees_everything
from apps.core.admin_kit.base import KontoraModelAdmin, KontoraTabularInline
from apps.core.mechanisms.audit import action_label
from apps.core.models import ApiKey, AuditLog, Membership, Organization, RefreshToken, User


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
