"""Import schedules in the admin: saved through ``import_schedule_save`` (credentials entered one field each,
never shown again but masked; an empty field keeps the stored value), with an action that runs the chosen
schedules now through the same service as Celery beat."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from apps.core.accounts.roles import write_power
from apps.core.accounts.tenancy import has_power, sees_everything
from apps.core.admin_kit.base import KontoraModelAdmin
from apps.core.mechanisms.jobs import enqueue_on_commit
from apps.core.mechanisms.secrets import mask

from ..models import ImportSchedule
from ..services.schedules import import_schedule_claim, import_schedule_save
from ..tasks import import_schedule_run_task

CREDENTIAL_FIELDS = {
    "access_key_id": _("S3 access key id"),
    "secret_access_key": _("S3 secret access key"),
    "api_key": _("Moloco API key"),
    "api_token": _("AppsFlyer API token (V2)"),
}
KEEP_HELP = _("Stored: {masked}. Leave empty to keep it.")


class ImportScheduleForm(forms.ModelForm):
    class Meta:
        model = ImportSchedule
        fields = ["source", "name", "kind", "settings", "format", "repull_days", "interval", "is_active"]

    service_user = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        stored = dict(self.instance.credentials or {}) if self.instance.pk else {}
        for key, label in CREDENTIAL_FIELDS.items():
            field = forms.CharField(
                label=label,
                required=False,
                widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
            )
            if stored.get(key):
                field.help_text = str(KEEP_HELP).format(masked=mask(stored[key]))
            self.fields[f"cred_{key}"] = field

    def _post_clean(self):
        if self.errors:
            return
        data = self.cleaned_data
        user = self.service_user
        source = self.instance.source if self.instance.pk else data.get("source")
        if not (sees_everything(user) or has_power(user, write_power("analytics"), source.organization_id)):
            self.add_error(None, _("Your role does not allow this change."))
            return
        try:
            self.saved = import_schedule_save(
                schedule=self.instance if self.instance.pk else None,
                source=source,
                name=data["name"],
                kind=data["kind"],
                settings=data.get("settings") or {},
                credentials={key: data.get(f"cred_{key}", "") for key in CREDENTIAL_FIELDS},
                format=data.get("format", ""),
                repull_days=data["repull_days"],
                interval=data["interval"],
                is_active=data.get("is_active", False),
                user=user,
            )
        except ValidationError as error:
            for name, found in error.message_dict.items():
                self.add_error(name if name in self.fields else None, found)

    def save(self, commit=True):
        self.save_m2m = lambda: None
        return self.saved


@admin.register(ImportSchedule)
class ImportScheduleAdmin(KontoraModelAdmin):
    form = ImportScheduleForm
    list_display = ["name", "source", "kind", "is_active", "interval", "next_run_at", "last_run_at", "last_error"]
    list_filter = ["kind", "is_active", "source"]
    search_fields = ["name", "source__name"]
    list_select_related = ["source"]
    actions = ["run_now"]
    readonly_fields = ["credentials_masked", "next_run_at", "last_run_at", "last_error", "last_summary", "created_at"]

    def get_fields(self, request, obj=None):
        fields = [*ImportScheduleForm.Meta.fields, *(f"cred_{key}" for key in CREDENTIAL_FIELDS)]
        if obj is not None:
            fields = [name for name in fields if name != "source"] + ["source_shown", *self.readonly_fields]
        return fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["source_shown", *self.readonly_fields]

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["fields"] = [name for name in ImportScheduleForm.Meta.fields if obj is None or name != "source"]
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"service_user": request.user})

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # switched off instead; its imports stay

    def save_model(self, request, obj, form, change):
        obj.pk = form.saved.pk  # the service saved it during validation
        obj._state.adding = False

    def log_addition(self, request, obj, message):
        """The service wrote the audit record."""

    def log_change(self, request, obj, message):
        """The service wrote the audit record."""

    @admin.display(description=_("traffic source"))
    def source_shown(self, obj: ImportSchedule) -> str:
        return str(obj.source)

    @admin.display(description=_("credentials"))
    def credentials_masked(self, obj: ImportSchedule) -> str:
        return ", ".join(f"{key}: {mask(value)}" for key, value in sorted((obj.credentials or {}).items())) or "—"

    @admin.action(description=_("Run now"))
    def run_now(self, request, queryset):
        for schedule in queryset.order_by("pk"):
            if not self.has_change_permission(request, schedule):
                self.message_user(
                    request,
                    _("Your role does not allow running {schedule}.").format(schedule=schedule),
                    messages.ERROR,
                )
                continue
            if not import_schedule_claim(schedule=schedule):
                self.message_user(
                    request, _("{schedule} is being run already.").format(schedule=schedule), messages.WARNING
                )
                continue
            # The run fetches and imports whole reports: a worker does it, not this request.
            enqueue_on_commit(import_schedule_run_task, schedule.pk)
            self.message_user(
                request,
                _("{schedule} is queued to run now; its last run and error show here when it is done.").format(
                    schedule=schedule
                ),
                messages.SUCCESS,
            )
