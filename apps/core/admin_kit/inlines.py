"""Admin pages that save a row and its inline rows with one service call: the inline rows a form keeps, the
saved row adopted by the form, and what the inlines changed for the page's history message."""

from __future__ import annotations


def kept_rows(formset) -> list:
    """The inline rows a submitted form keeps, in their order (empty extra rows and deleted rows left out)."""
    rows = [
        form for form in formset.forms if getattr(form, "cleaned_data", None) and not form.cleaned_data.get("DELETE")
    ]
    if "position" in formset.form.base_fields:
        rows.sort(key=lambda form: form.cleaned_data.get("position") or 0)  # stable: ties keep the page's order
    return rows


def adopt(target, saved) -> None:
    """Make the form's object the row a service saved, so the admin's messages and redirect point at it."""
    for field in type(saved)._meta.concrete_fields:
        setattr(target, field.attname, getattr(saved, field.attname))
    target._state.adding, target._state.db = False, saved._state.db


def note_inline_changes(formsets) -> None:
    """What each inline changed, for the admin's history message; the service itself wrote the rows."""
    for formset in formsets:
        deleted = formset.deleted_forms if formset.can_delete else []
        formset.deleted_objects = [form.instance for form in deleted if form.instance.pk]
        kept = [form for form in formset.forms if form not in deleted and form.has_changed()]
        formset.new_objects = [form.instance for form in kept if not form.instance.pk]
        formset.changed_objects = [(form.instance, form.changed_data) for form in kept if form.instance.pk]
