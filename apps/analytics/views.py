"""Traffic pages under the language prefix (/ru/analytics/, /en/analytics/): the dashboard and its live
sections, a campaign's rows, an import job with its live progress (and the JSON its script polls when the
live connection is down), and the upload form that lands on the job's page."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from apps.core.language.formatting import format_number
from apps.core.mechanisms.idempotency import is_replay
from apps.core.mechanisms.jobs import enqueue_on_commit

from .dashboard import (
    DEFAULT_DAYS,
    SECTIONS,
    DashboardForm,
    Params,
    dashboard_context,
    pick_organization,
    read_params,
    table,
    visible_organizations,
)
from .formats import FORMATS
from .formats.catalog import GENERIC_CODE, GENERIC_LABEL
from .models import Campaign, ImportJob
from .reports import MissingRate, ReportFilters, same_campaign_ids, traffic_report
from .selectors import (
    campaign_fact_list,
    campaign_get,
    campaign_newest_date,
    import_job_for_user,
    writable_traffic_sources,
)
from .services import import_job_create
from .tasks import traffic_import_task

FACTS_PER_PAGE = 50


def _organization(request):
    organization = pick_organization(request.user, request.GET.get("org"))
    if organization is None and request.GET.get("org"):
        raise Http404  # another organization's traffic, or none: not found either way
    return organization


def _dashboard(request):
    """The organization, the filters and the figures; ``None`` figures when the filters are invalid."""
    organization = _organization(request)
    if organization is None:
        return None, None, None
    form = DashboardForm(request.GET, organization=organization)
    if not form.is_valid():
        return organization, form, None
    return organization, form, dashboard_context(read_params(form))


@login_required
@require_GET
def dashboard(request):
    organization, form, context = _dashboard(request)
    if organization is None:
        return render(request, "analytics/none.html", status=404)
    page = {
        "organization": organization,
        "form": form,
        "organizations": list(visible_organizations(request.user).values_list("slug", "name")[:50]),
        "can_upload": bool(writable_traffic_sources(user=request.user)),
    }
    if context is None:  # a bad filter: say which, show nothing half-filtered
        return render(request, "analytics/dashboard.html", page, status=400)
    return render(request, "analytics/dashboard.html", {**context, **page})


@login_required
@require_GET
def dashboard_sections(request):
    """The dashboard's sections rendered afresh, for ``static/js/analytics.js`` (after an import finishes)."""
    organization, form, context = _dashboard(request)
    if organization is None:
        raise Http404
    if context is None:
        return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
    sections = {name: render_to_string(f"analytics/dashboard_{name}.html", context, request) for name in SECTIONS}
    response = JsonResponse({"organization": organization.pk, "at": timezone.now().isoformat(), "sections": sections})
    response["Cache-Control"] = "no-store"
    return response


# --- drill-down: a campaign's rows, each to the import it came from -----------------------------------------


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


@login_required
@require_GET
def campaign(request, pk: int):
    try:
        found = campaign_get(user=request.user, campaign_id=pk)
    except Campaign.DoesNotExist:
        raise Http404 from None
    organization = found.organization
    # The campaign as every source reports it: the ad network's campaign and the tracker's of the same name.
    ids = same_campaign_ids(organization_id=organization.pk, campaign_id=found.pk)
    namesakes = list(
        Campaign.objects.filter(pk__in=ids).select_related("source", "offer__program").order_by("source__name", "pk")
    )
    newest = campaign_newest_date(organization_id=organization.pk, campaign_ids=ids)
    date_to = _date(request.GET.get("date_to")) or newest or organization.today()
    date_from = _date(request.GET.get("date_from")) or date_to - dt.timedelta(days=DEFAULT_DAYS - 1)
    if date_from > date_to:
        date_from, date_to = date_to, date_from
    facts = campaign_fact_list(organization_id=organization.pk, campaign_ids=ids, date_from=date_from, date_to=date_to)
    facts = Paginator(facts, FACTS_PER_PAGE)
    page = facts.get_page(request.GET.get("page"))
    report = missing_rate = None
    try:
        report = traffic_report(
            organization=organization,
            date_from=date_from,
            date_to=date_to,
            group_by="day",
            filters=ReportFilters(campaign=found.pk, campaigns=tuple(ids)),
        )
    except MissingRate as error:
        missing_rate = error.messages[0]
    params = Params(organization=organization, date_from=date_from, date_to=date_to, campaign=found.pk)
    context = {
        "organization": organization,
        "campaign": found,
        "sources": list({namesake.source_id: namesake.source for namesake in namesakes}.values()),
        "offer": found.offer or next((namesake.offer for namesake in namesakes if namesake.offer), None),
        "date_from": date_from,
        "date_to": date_to,
        "page": page,
        "report": report,
        "table": table(params, report) if report else None,
        "missing_rate": missing_rate,
        "dashboard_query": params.query(group_by="day", campaign=found.pk),
        "page_query": f"date_from={date_from.isoformat()}&date_to={date_to.isoformat()}",
    }
    return render(request, "analytics/campaign.html", context)


# --- an import job: its page, its status for the script, the upload form --------------------------------------


def _job(request, pk: int) -> ImportJob:
    try:
        return import_job_for_user(user=request.user, job_id=pk)
    except ImportJob.DoesNotExist:
        raise Http404 from None


def _job_context(job: ImportJob) -> dict:
    duration = None
    if job.started_at and job.finished_at:
        duration = format_number(max((job.finished_at - job.started_at).total_seconds(), 0), 1)
    counts = [
        (_("Rows read"), job.rows_read),
        (_("Inserted"), job.rows_inserted),
        (_("Updated (restated)"), job.rows_updated),
        (_("Unchanged"), job.rows_unchanged),
        (_("Rejected"), job.rows_rejected),
        (_("Bad cells"), job.error_count),
    ]
    return {
        "job": job,
        "counts": [(label, format_number(value, 0)) for label, value in counts],
        "duration": duration,
        "warnings": [_message_of(item) for item in (job.warnings or [])[:50]],
        "errors": [_message_of(item) for item in (job.errors or [])[:20]],
        "error_report_url": (
            reverse("admin:analytics_importjob_error_report", args=[job.pk]) if job.error_report else ""
        ),
        "dashboard_url": reverse("analytics:dashboard") + f"?org={job.organization.slug}",
    }


def _message_of(item) -> str:
    """A bad cell or warning as the reader recorded it: line, column and message."""
    if not isinstance(item, dict):
        return str(item)
    where = ", ".join(
        part
        for part in (
            _("line {line}").format(line=item["line"]) if item.get("line") else "",
            str(item.get("column", "") or ""),
        )
        if part
    )
    text = str(item.get("message", "") or item.get("expected", ""))
    return f"{where}: {text}" if where else text


@login_required
@require_GET
def import_job(request, pk: int):
    job = _job(request, pk)
    return render(request, "analytics/import_job.html", _job_context(job))


@login_required
@require_GET
def import_job_status(request, pk: int):
    """The job's status and its result section, for the page's script when the live connection is down."""
    job = _job(request, pk)
    response = JsonResponse(
        {
            "id": job.pk,
            "status": job.status,
            "status_label": job.get_status_display(),
            "finished": job.is_finished,
            "rows_read": job.rows_read,
            "section": render_to_string("analytics/import_job_result.html", _job_context(job), request),
        }
    )
    response["Cache-Control"] = "no-store"
    return response


def _format_choices() -> list[tuple[str, str]]:
    return (
        [("", gettext_lazy("Detect from the file's header"))]
        + [(fmt.code, fmt.label) for fmt in FORMATS]
        + [(GENERIC_CODE, GENERIC_LABEL)]
    )


class UploadForm(forms.Form):
    source = forms.TypedChoiceField(label=gettext_lazy("Traffic source"), coerce=int)
    file = forms.FileField(label=gettext_lazy("File"))
    format = forms.ChoiceField(label=gettext_lazy("Format"), choices=_format_choices, required=False)
    keep_valid = forms.BooleanField(
        label=gettext_lazy("Import the valid rows of a file with errors"),
        required=False,
        help_text=gettext_lazy("Otherwise a file with a bad cell imports nothing, and its error report says why."),
    )

    def __init__(self, *args, sources, **kwargs):
        super().__init__(*args, **kwargs)
        self.sources = {source.pk: source for source in sources}
        several = len({source.organization_id for source in sources}) > 1
        self.fields["source"].choices = [
            (source.pk, f"{source.organization.name} · {source.name}" if several else source.name) for source in sources
        ]


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request):
    sources = writable_traffic_sources(user=request.user)
    form = UploadForm(request.POST or None, request.FILES or None, sources=sources)
    if request.method == "POST" and form.is_valid():
        source = form.sources[form.cleaned_data["source"]]
        upload = form.cleaned_data["file"]
        try:
            with transaction.atomic():
                job = import_job_create(
                    organization=source.organization_id,
                    source=source,
                    file=upload,
                    file_name=upload.name,
                    format=form.cleaned_data["format"],
                    keep_valid=form.cleaned_data["keep_valid"],
                    user=request.user,
                )
                if not is_replay(job):
                    enqueue_on_commit(traffic_import_task, job.pk)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if is_replay(job):
                messages.warning(
                    request,
                    _("This file was already imported into {source}: here is that import.").format(source=source),
                )
            else:
                messages.success(request, _("The file is queued for import: this page follows its progress."))
            return redirect("analytics:import-job", pk=job.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "analytics/upload.html", {"form": form, "sources": sources}, status=status)
