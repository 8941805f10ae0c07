"""The base of every Kontora ModelAdmin: scoping and role checks in one place.

- Changelists, change pages, foreign-key and many-to-many choices, autocompletes and related-field list
  filters only ever show rows of the user's organizations (``apps.core.accounts.tenancy.scope``).
- An object of another organization answers 404, not a redirect with a message.
- Reading needs a membership; changing a tenant row needs the ``write:<app>`` power in that row's
  organization; global reference data (currencies…) and the public rows of a model shared when its
  organization is empty (``tenant_shared_when_null``: public exchange rates) are changed by superusers only.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import NotRelationField, get_fields_from_path
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse

from apps.core.accounts.roles import write_power
from apps.core.accounts.tenancy import (
    has_power,
    is_tenant_model,
    memberships,
    organization_id_of,
    organizations_with_power,
    scope,
    sees_everything,
    tenant_path,
)
from apps.core.admin_kit.nouns import NounAdminMixin
from apps.core.forms import bounded_formfield
from apps.core.models import Organization

# The admin's own scripts that its widgets assume are already loaded: jQuery (for the admin's namespace) and
# core.js (quickElement, which the calendar and clock of the date widgets call). The admin's change pages load
# them through ModelAdmin.media; a custom page (an action's form, a report) gets them from admin_page_media().
ADMIN_CORE_MEDIA = forms.Media(js=["admin/js/vendor/jquery/jquery.js", "admin/js/jquery.init.js", "admin/js/core.js"])


def admin_page_media(*media: forms.Media) -> forms.Media:
    """The media of a custom admin page built on ``admin/kontora/form_page.html``: the admin's core scripts
    first, then ``media`` (a form's widgets, a ModelAdmin's own) in the order Django's merge keeps. The page's
    template loads the JavaScript catalog (gettext) before them."""
    combined = ADMIN_CORE_MEDIA
    for each in media:
        combined += each
    return combined


class TenantRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """A related-field filter whose choices are limited to the user's organizations."""

    def field_choices(self, field, request, model_admin):
        queryset = scope(field.related_model._default_manager.all(), request.user)
        ordering = self.field_admin_ordering(field, request, model_admin)
        if ordering:
            queryset = queryset.order_by(*ordering)
        return [(obj.pk, str(obj)) for obj in queryset]


class KontoraModelAdmin(NounAdminMixin, admin.ModelAdmin):
    """Scoped, role-checked, and naming its model in the right grammatical case (``apps.core.admin_kit.nouns``)."""

    list_per_page = 50
    show_full_result_count = False

    # --- scoping -------------------------------------------------------------------------------------

    def get_queryset(self, request):
        return scope(super().get_queryset(request), request.user)

    def _write_power(self) -> str:
        return write_power(self.model._meta.app_label)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        return bounded_formfield(db_field, super().formfield_for_dbfield(db_field, request, **kwargs))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.related_model
        if related is Organization and is_tenant_model(self.model) and tenant_path(self.model) != "":
            writable = organizations_with_power(request.user, self._write_power())
            queryset = Organization.objects.all()
            kwargs["queryset"] = queryset if writable is None else queryset.filter(pk__in=writable)
            if writable is not None and len(writable) == 1:
                kwargs.setdefault("initial", next(iter(writable)))
            if writable is not None and getattr(self.model, "tenant_shared_when_null", False):
                kwargs["required"] = True  # left empty, the row would be public: superusers only
        elif is_tenant_model(related):
            kwargs["queryset"] = scope(related._default_manager.all(), request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if is_tenant_model(db_field.related_model):
            kwargs["queryset"] = scope(db_field.related_model._default_manager.all(), request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_list_filter(self, request):
        filters = []
        for entry in super().get_list_filter(request):
            if isinstance(entry, str):
                try:
                    field = get_fields_from_path(self.model, entry)[-1]
                except (FieldDoesNotExist, NotRelationField):
                    field = None
                if field is not None and getattr(field, "is_relation", False) and is_tenant_model(field.related_model):
                    entry = (entry, TenantRelatedFieldListFilter)
            filters.append(entry)
        return filters

    # --- refusals from services ----------------------------------------------------------------------

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """A service that refuses a save (the last owner demoted, a posting into a closed period…) raises
        ValidationError after the form was valid; show its reason on the page instead of a server error."""
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:
            if request.method != "POST":
                raise
            return self._refused(request, error, request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as error:
            if request.method != "POST":
                raise
            opts = self.model._meta
            return self._refused(
                request, error, reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[object_id])
            )

    def _refused(self, request, error: ValidationError, back_to: str):
        for message in error.messages:
            self.message_user(request, message, messages.ERROR)
        return HttpResponseRedirect(back_to)

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Another organization's object (or none at all) is simply not found.
        raise Http404

    # --- roles ---------------------------------------------------------------------------------------

    def _is_member(self, request) -> bool:
        return sees_everything(request.user) or bool(memberships(request.user))

    def _may_write(self, request, obj=None) -> bool:
        user = request.user
        if sees_everything(user):
            return True
        if not is_tenant_model(self.model) or tenant_path(self.model) == "@users":
            return False  # global reference data and user accounts: superusers only
        org_id = organization_id_of(obj) if obj is not None else None
        if obj is not None and org_id is None and getattr(self.model, "tenant_shared_when_null", False):
            # A public row (no organization, shared by all): no member's power reaches it. Without this,
            # "None" would mean "in any of the user's organizations" and every owner could edit it.
            return False
        return has_power(user, self._write_power(), org_id)

    def has_module_permission(self, request) -> bool:
        return self._is_member(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._is_member(request)

    def has_add_permission(self, request) -> bool:
        return self._may_write(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._may_write(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._may_write(request, obj)


class KontoraTabularInline(admin.TabularInline):
    """An inline whose foreign-key choices are scoped like the parent admin's."""

    extra = 0

    def get_queryset(self, request):
        return scope(super().get_queryset(request), request.user)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        return bounded_formfield(db_field, super().formfield_for_dbfield(db_field, request, **kwargs))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if is_tenant_model(db_field.related_model):
            kwargs["queryset"] = scope(db_field.related_model._default_manager.all(), request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _may_write(self, request, obj=None) -> bool:
        if sees_everything(request.user):
            return True
        return has_power(
            request.user, write_power(self.model._meta.app_label), organization_id_of(obj) if obj else None
        )

    def has_view_permission(self, request, obj=None) -> bool:
        return sees_everything(request.user) or bool(memberships(request.user))

    def has_add_permission(self, request, obj=None) -> bool:
        return self._may_write(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._may_write(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._may_write(request, obj)
