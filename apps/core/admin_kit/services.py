"""Admin pages whose writes are service calls: a ModelForm whose save is the service's (its refusals shown next
to the fields they name), and the ModelAdmin that hands the form its user and adopts what the service saved.
Every app's admin uses these, so that no admin page saves a domain model on its own."""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from .base import KontoraModelAdmin


class ServiceModelForm(forms.ModelForm):
    """A ModelForm whose save is a service call made at the end of validation, so that the service's
    refusals show next to the fields they name. The admin view runs in one database transaction: if anything
    after validation fails, the service's write is rolled back with it."""

    service_user = None  # set by the ModelAdmin's get_form

    def call_service(self):  # pragma: no cover - each form says which service it calls
        raise NotImplementedError

    def _post_clean(self):
        super()._post_clean()
        if self.errors:
            return
        try:
            self.saved = self.call_service()
        except ValidationError as error:
            add_service_errors(self, error)
        except PermissionDenied as error:
            self.add_error(None, str(error) or _("Your role does not allow this change."))

    def save(self, commit=True):
        self.save_m2m = lambda: None
        return self.saved


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: named fields where the form has them, the rest on top."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for name, errors in error.message_dict.items():
        form.add_error(name if name in form.fields else None, errors)


class ServiceAdmin(KontoraModelAdmin):
    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"service_user": request.user})

    def save_model(self, request, obj, form, change):
        obj.pk = form.saved.pk  # the service saved it during validation
        obj._state.adding = False
