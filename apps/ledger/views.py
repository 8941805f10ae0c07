"""The books' dashboard page and the fresh sections its script asks for when balances change."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET

from .dashboard import DEFAULT_MONTHS, SECTIONS, dashboard_context, pick_organization, visible_organizations


def _months(request) -> int:
    value = request.GET.get("months", "")
    return int(value) if value.isdigit() else DEFAULT_MONTHS


def _organization(request):
    organization = pick_organization(request.user, request.GET.get("org"))
    if organization is None and request.GET.get("org"):
        raise Http404  # another organization's books, or none: not found either way
    return organization


@login_required
@require_GET
def dashboard(request):
    organization = _organization(request)
    if organization is None:
        return render(request, "ledger/dashboard_none.html", status=404)
    context = dashboard_context(organization=organization, months=_months(request))
    context["organizations"] = list(visible_organizations(request.user).values_list("slug", "name")[:50])
    return render(request, "ledger/dashboard.html", context)


@login_required
@require_GET
def dashboard_sections(request):
    """The dashboard's sections rendered afresh, for ``static/js/ledger-dashboard.js``."""
    organization = _organization(request)
    if organization is None:
        raise Http404
    context = dashboard_context(organization=organization, months=_months(request))
    sections = {name: render_to_string(f"ledger/dashboard_{name}.html", context, request) for name in SECTIONS}
    response = JsonResponse({"organization": organization.pk, "at": timezone.now().isoformat(), "sections": sections})
    response["Cache-Control"] = "no-store"
    return response
