"""Uploads and import jobs: ``POST /imports/`` (multipart: file, source, format, keep_valid) records the job
with ``import_job_create`` and queues ``traffic_import_task`` once committed, answering 202 with the job; the
same file uploaded again answers 200 with the job that holds it. ``GET /imports/`` lists the jobs,
``GET /imports/{id}/error-report/`` downloads the CSV of every bad cell."""

from __future__ import annotations

from django.db import transaction
from django.http import FileResponse, Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from apps.core.accounts.roles import write_power
from apps.core.accounts.tenancy import has_power, scope
from apps.core.api.errors import ErrorSerializer
from apps.core.api.viewsets import TenantScopedMixin
from apps.core.mechanisms.idempotency import is_replay
from apps.core.mechanisms.jobs import enqueue_on_commit

from ..filters import ImportJobFilter
from ..formats import FORMATS
from ..formats.catalog import GENERIC_CODE
from ..models import ImportJob, TrafficSource
from ..services import import_job_create
from ..tasks import traffic_import_task

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description=_("Invalid fields, or the upload was refused.")),
    403: OpenApiResponse(ErrorSerializer, description=_("Your role may not import traffic.")),
    404: OpenApiResponse(ErrorSerializer, description=_("Not found in your organizations.")),
}


class ImportJobSerializer(serializers.ModelSerializer):
    source_name = serializers.CharField(source="source.name", read_only=True)

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "source",
            "source_name",
            "file_name",
            "sha256",
            "format",
            "status",
            "keep_valid",
            "forced",
            "rows_read",
            "rows_inserted",
            "rows_updated",
            "rows_unchanged",
            "rows_rejected",
            "error_count",
            "errors",
            "warnings",
            "message",
            "time_zone",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    source = serializers.PrimaryKeyRelatedField(queryset=TrafficSource.objects.all())
    format = serializers.ChoiceField(
        choices=[""] + [fmt.code for fmt in FORMATS] + [GENERIC_CODE], required=False, default=""
    )
    keep_valid = serializers.BooleanField(required=False, default=False)

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None:  # another organization's source "does not exist", like a missing one
            fields["source"].queryset = scope(TrafficSource.objects.all(), request.user)
        return fields


class ImportJobViewSet(TenantScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = ImportJob.objects.select_related("source")
    serializer_class = ImportJobSerializer
    filterset_class = ImportJobFilter
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]

    def get_parsers(self):
        if getattr(self, "action", None) == "create" or self.request is None or self.request.method == "POST":
            return [MultiPartParser()]
        return super().get_parsers()

    @extend_schema(
        summary=_("Upload a traffic file: the import runs in the background"),
        request={"multipart/form-data": UploadSerializer},
        responses={202: ImportJobSerializer, 200: ImportJobSerializer, **ERRORS},
    )
    def create(self, request, *args, **kwargs):
        serializer = UploadSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        source = data["source"]
        if not has_power(request.user, write_power("analytics"), source.organization_id):
            raise exceptions.PermissionDenied(_("Your role may not import traffic into this organization."))
        with transaction.atomic():
            job = import_job_create(
                organization=source.organization_id,
                source=source,
                file=data["file"],
                file_name=data["file"].name,
                format=data["format"],
                keep_valid=data["keep_valid"],
                user=request.user,
            )
            if not is_replay(job):
                enqueue_on_commit(traffic_import_task, job.pk)
        answer = ImportJobSerializer(job, context=self.get_serializer_context()).data
        return Response(answer, status=status.HTTP_200_OK if is_replay(job) else status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary=_("Download the CSV report of every bad cell of the import"),
        responses={(200, "text/csv"): OpenApiTypes.BINARY, 404: ERRORS[404]},
    )
    @action(detail=True, methods=["get"], url_path="error-report")
    def error_report(self, request, pk=None):
        job = self.get_object()
        if not job.error_report:
            raise Http404
        return FileResponse(
            job.error_report.open("rb"),
            as_attachment=True,
            filename=f"import-{job.pk}-errors.csv",
            content_type="text/csv",
        )


def register(router) -> None:
    router.register("imports", ImportJobViewSet, basename="analytics-import")
