"""Admin of the ledger's reference data: projects, categories (a tree) and counterparties, saved and deleted
through ``services.books``.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy

from apps.core.admin_kit.services import ServiceAdmin, ServiceModelForm

from ..models import (
    Category,
    Counterparty,
    Project,
)
from ..services import books as book_services
from .common import several_organizations

# --- projects, categories, counterparties -----------------------------------------------------------------


class TagAdminForm(ServiceModelForm):
    def call_service(self):
        return book_services.tag_save(instance=self.instance, user=self.service_user)


class _TagAdmin(ServiceAdmin):
    form = TagAdminForm

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return readonly + ["organization"] if obj is not None else readonly

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        return filters + ["organization"] if several_organizations(request.user) else filters

    def delete_model(self, request, obj):
        book_services.tag_delete(instance=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        for instance in queryset:
            book_services.tag_delete(instance=instance, user=request.user)


@admin.register(Project)
class ProjectAdmin(_TagAdmin):
    list_display = ["name", "code", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "code"]
    fields = ["organization", "name", "code", "is_active"]


@admin.register(Category)
class CategoryAdmin(_TagAdmin):
    list_display = ["tree_name", "kind", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name"]
    fields = ["organization", "name", "kind", "parent", "is_active"]

    class Media:
        css = {"all": ["css/ledger-admin.css"]}

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("parent")

    def get_ordering(self, request):
        return ["kind", "parent__name", "name"]

    @admin.display(description=gettext_lazy("category"), ordering="name")
    def tree_name(self, category):
        if category.parent_id is None:
            return category.name
        return format_html(
            '<span class="ledger-tree ledger-depth-1">{} › {}</span>', category.parent.name, category.name
        )


@admin.register(Counterparty)
class CounterpartyAdmin(_TagAdmin):
    list_display = ["name", "kind", "tax_id", "email", "phone", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "tax_id", "email", "phone"]
    fields = ["organization", "name", "kind", "tax_id", "email", "phone", "notes", "is_active"]
