"""Customer pages (home, account) and the operational endpoints (/healthz, /metrics)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from apps.core import selectors, services
from apps.core.accounts.roles import Role
from apps.core.accounts.tenancy import memberships
from apps.core.forms import OrganizationCreateForm
from apps.core.operations.health import health_report
from apps.core.operations.metrics import metrics_view


def home(request):
    return render(request, "core/home.html")


@login_required
@require_http_methods(["GET", "POST"])
def account(request):
    form = OrganizationCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organization = services.organization_create(owner=request.user, **form.cleaned_data)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Organization “{name}” created.").format(name=organization.name))
            return redirect("pages:account")
    roles = memberships(request.user)
    organizations = [
        {"organization": org, "role": Role(roles[org.pk]).label if org.pk in roles else None}
        for org in selectors.organization_list(user=request.user).order_by("name")
    ]
    return render(request, "core/account.html", {"organizations": organizations, "form": form})


def healthz(request):
    from django.http import JsonResponse

    report, healthy = health_report()
    return JsonResponse(report, status=200 if healthy else 503)


metrics = metrics_view
