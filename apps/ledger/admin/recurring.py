"""Admin of the ledger: recurring payments, edited with their template legs (saved by one service call) and
paused, resumed or posted now by actions. Every refusal of a service becomes a message naming the recurring
payment and the reason.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from apps.core.accounts.tenancy import organization_ids, scope
from apps.core.admin_kit.base import KontoraModelAdmin
from apps.core.admin_kit.inlines import adopt, kept_rows, note_inline_changes
from apps.core.language.formatting import format_date

from ..models import (
    RecurringPayment,
    RecurringPaymentLeg,
)
from ..selectors import accounts_for
from ..services import purposes
from ..services import recurring as recurring_services
from .common import CompactInline, reason_of, spread_errors

# --- recurring payments -----------------------------------------------------------------------------------


class RecurringLegFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        recurring = self.instance
        if not recurring.organization_id:
            return
        rows = [
            form for form in self.forms if getattr(form, "cleaned_data", None) and not form.cleaned_data.get("DELETE")
        ]
        try:
            recurring_services.recurring_legs_check(
                organization_id=recurring.organization_id,
                legs=[
                    {
                        name: form.cleaned_data.get(name)
                        for name in ("account", "amount", "project", "category", "counterparty", "memo")
                    }  # fmt: skip
                    for form in rows
                ],
            )
        except ValidationError as error:
            problems = []
            spread_errors(error, rows, problems.append)
            if problems:
                raise ValidationError(problems) from None


class RecurringLegInline(CompactInline):
    model = RecurringPaymentLeg
    formset = RecurringLegFormSet
    fields = ["account", "amount", "project", "category", "counterparty", "memo"]
    extra = 2

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "account":
            # The accounts a posting may name (open, no sub-accounts), in the user's organizations.
            field.queryset = scope(accounts_for(None, purposes.POSTING), request.user)
        return field


class RecurringPaymentForm(forms.ModelForm):
    class Meta:
        model = RecurringPayment
        fields = ["organization", *recurring_services.SCHEDULE_FIELDS]

    def clean(self):
        data = super().clean()
        try:
            recurring_services.check_schedule({name: data.get(name) for name in recurring_services.SCHEDULE_FIELDS})
        except ValidationError as error:
            for name, found in error.message_dict.items():
                if name in self.fields and name not in self.errors:
                    for message in found:
                        self.add_error(name, message)
        return data


@admin.register(RecurringPayment)
class RecurringPaymentAdmin(KontoraModelAdmin):
    """The template legs and the schedule; the beat task posts what falls due, each occurrence once."""

    form = RecurringPaymentForm

    class Media:
        css = {"all": ["css/ledger-admin.css"]}

    list_display = ["name", "schedule", "next_due_date", "last_posted_date", "paused", "problem"]

    def get_list_display(self, request):
        ids = organization_ids(request.user)
        several = ids is None or len(ids) > 1
        return [*self.list_display, "organization"] if several else self.list_display

    list_filter = ["organization", "paused", "interval_unit"]
    search_fields = ["name", "description"]
    list_select_related = ["organization"]
    inlines = [RecurringLegInline]
    actions = ["pause", "resume", "post_due_now"]
    readonly_fields = ["paused", "next_due_date", "last_posted_date", "last_error", "created_by", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return [*self.readonly_fields, "organization"]  # it stays in the organization it was made in
        return self.readonly_fields

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            (None, {"fields": ["organization", "name", "description"]}),
            (
                _("Schedule"),
                {"fields": ["interval_unit", "interval_count", "day_of_month", "start_date", "end_date"]},
            ),
        ]
        if obj is not None:
            fieldsets.append((_("State"), {"fields": self.readonly_fields}))
        return fieldsets

    @admin.display(description=_("schedule"))
    def schedule(self, obj: RecurringPayment) -> str:
        return recurring_services.Schedule.of(obj).describe()

    @admin.display(description=_("last problem"))
    def problem(self, obj: RecurringPayment) -> str:
        return (obj.last_error[:80] + "…") if len(obj.last_error) > 80 else obj.last_error

    def save_model(self, request, obj, form, change):
        """Nothing yet: the schedule is saved with its legs, by one service call, in :meth:`save_related`."""

    def save_related(self, request, form, formsets, change):
        # Through the services: they check the template, compute the next occurrence from what was already
        # handled and write the audit record (with the real before and after).
        data = form.cleaned_data
        schedule = {name: data[name] for name in recurring_services.SCHEDULE_FIELDS if name in data}
        legs_formset = next(formset for formset in formsets if formset.model is RecurringPaymentLeg)
        names = ("account", "amount", "project", "category", "counterparty", "memo")
        legs = [{name: row.cleaned_data.get(name) for name in names} for row in kept_rows(legs_formset)]
        if change:
            saved = recurring_services.recurring_payment_update(
                recurring_payment=form.instance.pk, user=request.user, legs=legs, **schedule
            )
        else:
            saved = recurring_services.recurring_payment_create(
                organization=data["organization"], user=request.user, legs=legs, **schedule
            )
        adopt(form.instance, saved)
        note_inline_changes(formsets)

    def delete_model(self, request, obj):
        recurring_services.recurring_payment_delete(recurring_payment=obj, user=request.user)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_post_permission(self, request) -> bool:
        return self._may_write(request)

    def _each(self, request, queryset, call) -> int:
        done = 0
        for recurring in queryset.order_by("pk"):
            try:
                call(recurring)
            except (ValidationError, PermissionDenied) as error:
                self.message_user(
                    request, _("{name}: {reason}").format(name=recurring, reason=reason_of(error)), messages.ERROR
                )
            else:
                done += 1
        return done

    @admin.action(description=_("Pause the selected recurring payments"), permissions=["post"])
    def pause(self, request, queryset):
        done = self._each(
            request,
            queryset,
            lambda r: recurring_services.recurring_payment_pause(recurring_payment=r, user=request.user),
        )
        self.message_user(request, ngettext("{count} paused.", "{count} paused.", done).format(count=done))

    @admin.action(
        description=_("Resume the selected recurring payments (skipping what fell due while paused)"),
        permissions=["post"],
    )
    def resume(self, request, queryset):
        done = self._each(
            request,
            queryset,
            lambda r: recurring_services.recurring_payment_resume(recurring_payment=r, user=request.user),
        )
        self.message_user(request, ngettext("{count} resumed.", "{count} resumed.", done).format(count=done))

    @admin.action(description=_("Post what is due now"), permissions=["post"])
    def post_due_now(self, request, queryset):
        for recurring in queryset.order_by("pk"):
            try:
                result = recurring_services.recurring_payment_post_due(recurring_payment=recurring, user=request.user)
            except (ValidationError, PermissionDenied) as error:
                self.message_user(
                    request, _("{name}: {reason}").format(name=recurring, reason=reason_of(error)), messages.ERROR
                )
                continue
            if result.busy:
                self.message_user(
                    request,
                    _("{name}: being posted by another worker right now; try again in a moment.").format(
                        name=recurring
                    ),
                    messages.WARNING,
                )
                continue
            if result.posted:
                self.message_user(
                    request,
                    ngettext(
                        "{name}: {count} occurrence posted ({dates}).",
                        "{name}: {count} occurrences posted ({dates}).",
                        len(result.posted),
                    ).format(
                        name=recurring, count=len(result.posted), dates=", ".join(map(format_date, result.posted))
                    ),
                    messages.SUCCESS,
                )
            if result.skipped_closed:
                self.message_user(
                    request,
                    _("{name}: skipped {dates}, inside the closed period.").format(
                        name=recurring, dates=", ".join(map(format_date, result.skipped_closed))
                    ),
                    messages.WARNING,
                )
            if result.error:
                self.message_user(
                    request, _("{name}: {reason}").format(name=recurring, reason=result.error), messages.ERROR
                )
            if not (result.posted or result.skipped_closed or result.error):
                self.message_user(request, _("{name}: nothing is due.").format(name=recurring), messages.INFO)
