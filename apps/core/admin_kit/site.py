"""The admin site: the main workplace of every member, scoped to their organizations.

Members (not only staff) may enter; what they see and may change is decided per model by
``admin_base.KontoraModelAdmin`` from their roles. Sign-in goes through allauth, so the admin has no login
path of its own that could skip MFA or the brute-force lockout.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import admin
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from apps.core.accounts.roles import Role
from apps.core.accounts.tenancy import memberships, sees_everything
from apps.core.admin_kit import dashboards
from apps.core.admin_kit.nouns import with_nouns


class KontoraAdminSite(admin.AdminSite):
    site_header = _("Kontora")
    site_title = _("Kontora admin")
    index_title = _("Workplace")
    index_template = "admin/kontora_index.html"
    # The header's one link to the site is the template's own ("Site", to the localized home page); without
    # this the admin adds its "View site" next to it.
    site_url = None

    def register(self, model_or_iterable, admin_class=None, **options):
        """Every ModelAdmin, Kontora's or another package's (groups, periodic tasks…), names its model in the
        right grammatical case."""
        return super().register(model_or_iterable, with_nouns(admin_class or admin.ModelAdmin), **options)

    def has_permission(self, request) -> bool:
        user = request.user
        return bool(user.is_active and (sees_everything(user) or memberships(user)))

    def login(self, request, extra_context=None):
        if request.user.is_authenticated:
            if self.has_permission(request):
                return HttpResponseRedirect(request.GET.get("next") or reverse("admin:index", current_app=self.name))
            return render(request, "admin/no_organization.html", status=403)
        target = request.GET.get("next") or reverse("admin:index", current_app=self.name)
        return HttpResponseRedirect(f"{reverse('account_login')}?{urlencode({'next': target})}")

    def index(self, request, extra_context=None):
        from apps.core.selectors import organization_list

        panels = []
        for dashboard in dashboards.dashboards():
            context = dashboard.context(request)
            if context is not None:
                panels.append({"dashboard": dashboard, "context": context})
        roles = memberships(request.user)
        organizations = [
            {"organization": org, "role": Role(roles[org.pk]).label if org.pk in roles else None}
            for org in organization_list(user=request.user).order_by("name")[:50]
        ]
        extra = {"organizations": organizations, "dashboard_panels": panels, **(extra_context or {})}
        return super().index(request, extra_context=extra)
