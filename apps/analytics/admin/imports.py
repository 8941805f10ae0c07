"""Imports in the admin: the upload form (file, traffic source, format, keep the valid rows) that records the
job with ``import_job_create`` and queues ``traffic_import_task`` once the upload is committed; the jobs,
read-only, with their counts, warnings, status and the CSV report of bad cells; and the daily facts, read-only,
each drilled to the import and file line it came from."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from apps.core.accounts.roles import write_power
from apps.core.accounts.tenancy import has_power
from apps.core.admin_kit.base import KontoraModelAdmin
from apps.core.mechanisms.idempotency import is_replay
from apps.core.mechanisms.jobs import enqueue_on_commit

from ..formats import FORMATS
from ..formats.catalog import GENERIC_CODE, GENERIC_LABEL
from ..models import ImportJob, MetricFact
from ..services import import_job_create
from ..tasks import traffic_import_task


def format_choices() -> list[tuple[str, str]]:
    return (
        [("", _("Detect from the file's header"))]
        + [(f.code, f.label) for f in FORMATS]
        + [(GENERIC_CODE, GENERIC_LABEL)]
    )


class ImportUploadForm(forms.ModelForm):
    """The upload: saved by ``import_job_create`` at the end of validation (so its refusals show on the form),
    the import itself queued for after the commit."""

    format = forms.ChoiceField(label=_("format"), choices=format_choices, required=False)

    class Meta:
        model = ImportJob
        fields = ["source", "file", "format", "keep_valid"]

    service_user = None  # set by the ModelAdmin's get_form

    def _post_clean(self):
        # No model validation: the service decides (the organization comes from the source).
        if self.errors:
            return
        data = self.cleaned_data
        if not has_power(self.service_user, write_power("analytics"), data["source"].organization_id):
            # The sources offered are those the user may read; importing needs the power to write there.
            self.add_error("source", _("Your role may not import traffic into this organization."))
            return
        try:
            self.saved = import_job_create(
                organization=data["source"].organization_id,
                source=data["source"],
                file=data["file"],
                file_name=data["file"].name,
                format=data["format"],
                keep_valid=data["keep_valid"],
                user=self.service_user,
            )
        except ValidationError as error:
            self.add_error(None, error.messages)

    def save(self, commit=True):
        self.save_m2m = lambda: None
        return self.saved


def _queue(job: ImportJob) -> None:
    if not is_replay(job):
        enqueue_on_commit(traffic_import_task, job.pk)


@admin.register(ImportJob)
class ImportJobAdmin(KontoraModelAdmin):
    """Uploads are added here; a job is never edited: it runs, and its page tells what happened."""

    list_display = [
        "__str__",
        "source",
        "status",
        "rows_read",
        "rows_inserted",
        "rows_updated",
        "rows_unchanged",
        "rows_rejected",
        "error_count",
        "created_at",
    ]
    list_filter = ["status", "source"]
    search_fields = ["file_name", "sha256"]
    list_select_related = ["source", "organization"]
    date_hierarchy = "created_at"
    fieldsets = [
        (None, {"fields": ["organization", "source", "file_name", "format", "keep_valid", "forced", "status"]}),
        (
            _("Result"),
            {"fields": ["page_link", "message", "counts", "warnings_display", "errors_display", "error_report_link"]},
        ),
        (_("File"), {"fields": ["file", "sha256", "time_zone"]}),
        (_("Timing"), {"fields": ["created_by", "created_at", "started_at", "finished_at"]}),
    ]
    readonly_fields = [
        "organization",
        "source",
        "file_name",
        "format",
        "keep_valid",
        "forced",
        "status",
        "page_link",
        "message",
        "counts",
        "warnings_display",
        "errors_display",
        "error_report_link",
        "file",
        "sha256",
        "time_zone",
        "created_by",
        "created_at",
        "started_at",
        "finished_at",
    ]

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ["source", "file", "format", "keep_valid"]})]
        return self.fieldsets

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ImportUploadForm
            kwargs["fields"] = ["source", "file", "format", "keep_valid"]
            form = super().get_form(request, obj, change=change, **kwargs)
            return type(form.__name__, (form,), {"service_user": request.user})
        return super().get_form(request, obj, change=change, **kwargs)

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        job = form.saved  # import_job_create saved it during validation
        obj.pk = job.pk
        obj._state.adding = False
        _queue(job)
        if is_replay(job):
            self.message_user(
                request,
                _("This file was already imported into {source}: nothing new was queued.").format(source=job.source),
                messages.WARNING,
            )
        else:
            self.message_user(request, _("The file is queued for import; this page shows its progress."))

    def response_add(self, request, obj, post_url_continue=None):
        """The upload lands on the job's page, which follows the import live."""
        return HttpResponseRedirect(reverse("analytics:import-job", args=[obj.pk]))

    def save_related(self, request, form, formsets, change):
        """Nothing: the upload has no related rows."""

    def log_addition(self, request, obj, message):
        """The service wrote the audit record of the upload."""

    # --- what the job's page shows ------------------------------------------------------------------------

    @admin.display(description=_("progress"))
    def page_link(self, job: ImportJob) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("analytics:import-job", args=[job.pk]), _("Follow the import live")
        )

    @admin.display(description=_("rows"))
    def counts(self, job: ImportJob) -> str:
        return _(
            "read {read}, inserted {inserted}, updated {updated}, unchanged {unchanged}, rejected {rejected}"
        ).format(
            read=job.rows_read,
            inserted=job.rows_inserted,
            updated=job.rows_updated,
            unchanged=job.rows_unchanged,
            rejected=job.rows_rejected,
        )

    @admin.display(description=_("warnings"))
    def warnings_display(self, job: ImportJob) -> str:
        if not job.warnings:
            return "—"
        return format_html(
            "<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((_message_of(w),) for w in job.warnings[:50]))
        )

    @admin.display(description=_("bad cells (first ones)"))
    def errors_display(self, job: ImportJob) -> str:
        if not job.errors:
            return "—"
        return format_html(
            "<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((_message_of(e),) for e in job.errors[:20]))
        )

    @admin.display(description=_("error report"))
    def error_report_link(self, job: ImportJob) -> str:
        if not job.error_report:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:analytics_importjob_error_report", args=[job.pk]),
            _("Download the CSV of every bad cell"),
        )

    def get_urls(self):
        return [
            path(
                "<path:object_id>/error-report/",
                self.admin_site.admin_view(self.error_report_view),
                name="analytics_importjob_error_report",
            )
        ] + super().get_urls()

    def error_report_view(self, request, object_id):
        job = self.get_object(request, unquote(object_id))
        if job is None or not job.error_report:
            raise Http404
        return FileResponse(job.error_report.open("rb"), as_attachment=True, filename=f"import-{job.pk}-errors.csv")


def _message_of(item) -> str:
    """A bad cell or warning as the reader recorded it: line, column and message."""
    if not isinstance(item, dict):
        return str(item)
    where = ", ".join(
        str(part)
        for part in (
            _("line {line}").format(line=item["line"]) if item.get("line") else "",
            item.get("column", ""),
        )
        if part
    )
    text = item.get("message", "") or item.get("expected", "")
    return f"{where}: {text}" if where else str(text)


@admin.register(MetricFact)
class MetricFactAdmin(KontoraModelAdmin):
    """Read-only: facts are written by imports only. Each shows the import and file line it came from."""

    list_display = [
        "report_date",
        "source",
        "campaign",
        "country",
        "os",
        "impressions",
        "clicks",
        "installs",
        "spend",
        "revenue",
        "currency",
        "lineage",
    ]
    list_filter = ["source", "report_date"]
    search_fields = ["campaign__name", "creative", "ad_group", "sub_id"]
    empty_value_display = "—"  # a metric the file did not carry, as the dashboard shows it (never 0)
    list_select_related = ["source", "campaign", "import_job"]
    date_hierarchy = "report_date"
    show_full_result_count = False

    def get_fields(self, request, obj=None):
        return [
            "organization",
            "report_date",
            "time_zone",
            "source",
            "campaign",
            "ad_group",
            "creative",
            "placement",
            "country",
            "os",
            "sub_id",
            "impressions",
            "clicks",
            "installs",
            "conversions",
            "events",
            "spend",
            "revenue",
            "currency",
            "lineage",
        ]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    @admin.display(description=_("from"))
    def lineage(self, fact: MetricFact) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:analytics_importjob_change", args=[fact.import_job_id]),
            _("{file}, line {line}").format(file=fact.import_job, line=fact.line),
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
