from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from . import services
from .admin_base import KontoraModelAdmin, KontoraTabularInline
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
        if change:
            services.organization_update(
                organization=obj, user=request.user, **{f: form.cleaned_data[f] for f in form.changed_data}
            )
        else:
            super().save_model(request, obj, form, change)

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


@admin.register(AuditLog)
class AuditLogAdmin(KontoraModelAdmin):
    """The audit trail is written by services only; here it is read."""

    list_display = ["created_at", "organization", "actor", "action", "object_repr", "request_id"]
    list_filter = ["action", "organization", "created_at"]
    search_fields = ["action", "object_repr", "actor__email", "request_id"]
    list_select_related = ["organization", "actor"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
